"""Progress of long work as log lines with rate and ETA (no terminal tricks, CI friendly)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

__all__ = ["Logger", "with_progress"]

T = TypeVar("T")
Logger = Callable[[str], None]


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
    start = last = clock()
    done = 0
    for item in items:
        yield item
        done += 1
        now = clock()
        if now - last >= every_s or done == total:
            elapsed = now - start
            eta = elapsed / done * (total - done) if done else float("nan")
            log(f"{label}: {done}/{total} ({100 * done / max(total, 1):.0f} %), "
                f"{elapsed:.1f} s elapsed, ETA {eta:.1f} s")  # fmt: skip
            last = now
