"""Progress of long work as log lines with rate and ETA (no terminal tricks, CI friendly)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

__all__ = ["Logger", "Progress", "with_progress"]

T = TypeVar("T")
Logger = Callable[[str], None]


class Progress:
    """Counts steps of long work and logs ``label: done/total``, elapsed time and ETA.

    The ETA comes from the rate of the steps after the first: the first step of a kernel
    often includes its JIT compilation and would make the estimate many times too long.
    Until a second step is done the ETA is shown as unknown.

    Parameters
    ----------
    total
        Number of steps.
    label
        Prefix of each line.
    log
        Where lines go; ``None`` for silence.
    every_s
        Least time between two lines (the last step is always logged).
    clock
        Time source in s (for tests).

    Examples
    --------
    >>> now = iter([0.0, 30.0, 31.0, 32.0])  # a 30 s first step (compilation), then 1 s
    >>> lines = []
    >>> step = Progress(3, label="osem", log=lines.append, every_s=0, clock=lambda: next(now))
    >>> step(); step(); step()
    >>> lines[0].endswith("ETA unknown (first step)"), lines[1].endswith("ETA 1.0 s")
    (True, True)
    """

    def __init__(
        self,
        total: int,
        *,
        label: str,
        log: Logger | None,
        every_s: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total, self.label, self.log, self.every_s, self.clock = (
            total,
            label,
            log,
            every_s,
            clock,
        )
        self.done = 0
        self.start = self.last = clock()
        self.first_done: float | None = None

    def eta_s(self, now: float) -> float | None:
        """Seconds left from the rate after the first step; ``None`` until it is known."""
        if self.first_done is None or self.done < 2:
            return None
        rate = (now - self.first_done) / (self.done - 1)
        return rate * (self.total - self.done)

    def __call__(self, detail: str = "") -> None:
        """One step done; log a line when due (``detail`` is added to it)."""
        self.done += 1
        now = self.clock()
        if self.done == 1:
            self.first_done = now
        if self.log is None or not (now - self.last >= self.every_s or self.done == self.total):
            return
        eta = self.eta_s(now)
        eta_text = "ETA unknown (first step)" if eta is None else f"ETA {eta:.1f} s"
        extra = f" {detail}" if detail else ""
        self.log(
            f"{self.label}:{extra} {self.done}/{self.total} "
            f"({100 * self.done / max(self.total, 1):.0f} %), {now - self.start:.1f} s elapsed, "
            f"{eta_text}"
        )
        self.last = now


def with_progress(
    items: Iterable[T],
    *,
    total: int,
    label: str,
    log: Logger | None,
    every_s: float = 2.0,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[T]:
    """Yield ``items``; every ``every_s`` seconds (and at the end) log ``done/total`` and ETA.

    With ``log=None`` the items pass through silently.

    Examples
    --------
    >>> lines = []
    >>> list(with_progress(range(3), total=3, label="slices", log=lines.append))
    [0, 1, 2]
    >>> lines[-1].startswith("slices: 3/3 (100 %)")
    True
    """
    if log is None:
        yield from items
        return
    step = Progress(total, label=label, log=log, every_s=every_s, clock=clock)
    for item in items:
        yield item
        step()
