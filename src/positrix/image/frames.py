"""Frame timing of a dynamic (or static) acquisition."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta

import numpy as np
from numpy.typing import ArrayLike, NDArray

from positrix.errors import PositrixError
from positrix.physics.decay import frame_decay_correction
from positrix.physics.nuclides import Nuclide
from positrix.physics.units import as_aware

__all__ = ["FrameTable"]


def _readonly(values: ArrayLike) -> NDArray[np.float64]:
    array = np.array(values, dtype=np.float64, ndmin=1)
    array.flags.writeable = False
    return array


_SPEC = re.compile(
    r"^\s*(?P<count>\d+)\s*[x×*]\s*(?P<value>\d+(\.\d*)?)\s*(?P<unit>s|min|m|h)?\s*$"
)
_UNIT_S = {"s": 1.0, None: 1.0, "min": 60.0, "m": 60.0, "h": 3600.0}


class FrameTable:
    """Start and duration of each frame, relative to the acquisition start.

    Parameters
    ----------
    start_s
        Frame starts in s after ``acquisition_start``, shape ``(n_frames,)``.
    duration_s
        Frame durations in s, shape ``(n_frames,)``.
    acquisition_start
        Time-zone-aware date-time of time 0, or ``None`` when unknown (naive: UTC).

    Examples
    --------
    >>> ft = FrameTable.from_spec("2x30s,1x1min")
    >>> ft.mid_s.tolist()
    [15.0, 45.0, 90.0]
    """

    __slots__ = ("acquisition_start", "duration_s", "start_s")

    start_s: NDArray[np.float64]
    duration_s: NDArray[np.float64]
    acquisition_start: datetime | None

    def __init__(
        self, start_s: ArrayLike, duration_s: ArrayLike, acquisition_start: datetime | None = None
    ) -> None:
        start = _readonly(start_s)
        duration = _readonly(duration_s)
        if start.shape != duration.shape or start.ndim != 1:
            raise PositrixError(
                f"{start.size} frame starts but {duration.size} durations",
                field="frames",
                fix="give one start and one duration per frame",
            )
        if not (np.all(np.isfinite(start)) and np.all(np.isfinite(duration))):
            raise PositrixError("frame times must be finite numbers", field="frames")
        if np.any(duration < 0):
            raise PositrixError("a frame duration is negative", field="frame duration")
        if np.any(start[1:] < start[:-1] + duration[:-1] - 1e-6):
            raise PositrixError(
                "frames overlap or are not in time order",
                field="frame start",
                fix="sort the frames by start time; each must start after the previous one ends",
            )
        object.__setattr__(self, "start_s", start)
        object.__setattr__(self, "duration_s", duration)
        moment = as_aware(acquisition_start) if acquisition_start is not None else None
        object.__setattr__(self, "acquisition_start", moment)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("FrameTable is immutable")

    def __repr__(self) -> str:
        return (
            f"FrameTable(start_s={self.start_s.tolist()}, duration_s={self.duration_s.tolist()}, "
            f"acquisition_start={self.acquisition_start!r})"
        )

    @classmethod
    def from_durations(
        cls, durations_s: Sequence[float], *, acquisition_start: datetime | None = None
    ) -> FrameTable:
        """Contiguous frames from time 0 with the given durations (s)."""
        durations = np.asarray(durations_s, dtype=np.float64)
        starts = np.concatenate([[0.0], np.cumsum(durations)[:-1]])
        return cls(starts, durations, acquisition_start)

    @classmethod
    def from_spec(cls, spec: str, *, acquisition_start: datetime | None = None) -> FrameTable:
        """Contiguous frames from a protocol string such as ``"10x10s,6x30s,5x5min"``."""
        durations: list[float] = []
        for part in spec.split(","):
            match = _SPEC.match(part)
            if not match:
                raise PositrixError(
                    f"cannot read frame group '{part.strip()}' in '{spec}'",
                    field="frames",
                    fix="write groups as COUNTxDURATION with s, min or h, e.g. 10x10s,6x30s,5x5min",
                )
            seconds = float(match["value"]) * _UNIT_S[match["unit"]]
            durations += [seconds] * int(match["count"])
        return cls.from_durations(durations, acquisition_start=acquisition_start)

    @property
    def n_frames(self) -> int:
        """Number of frames."""
        return int(self.start_s.size)

    def __len__(self) -> int:
        return self.n_frames

    @property
    def end_s(self) -> NDArray[np.float64]:
        """Frame ends in s."""
        return self.start_s + self.duration_s

    @property
    def mid_s(self) -> NDArray[np.float64]:
        """Frame mid-times in s."""
        return self.start_s + 0.5 * self.duration_s

    def start_times(self) -> list[datetime]:
        """Absolute frame start times (needs ``acquisition_start``)."""
        if self.acquisition_start is None:
            raise PositrixError("the acquisition start time is unknown", field="acquisition_start")
        return [self.acquisition_start + timedelta(seconds=float(s)) for s in self.start_s]

    def seconds_from_start(self, moment: datetime) -> float:
        """Seconds from ``acquisition_start`` to ``moment``."""
        if self.acquisition_start is None:
            raise PositrixError(
                "the acquisition start time is unknown, so frame times cannot be related to "
                "clock times",
                field="acquisition_start",
                fix="record the scan start time in the file",
            )
        return (as_aware(moment) - self.acquisition_start).total_seconds()

    def decay_correction_factors(
        self, nuclide: Nuclide | str, *, reference: datetime | float = 0.0
    ) -> NDArray[np.float64]:
        """Per-frame factors from frame-mean activity to activity at ``reference``.

        ``reference`` is a date-time or seconds on this table's clock.
        """
        ref_s = (
            reference if isinstance(reference, float | int) else self.seconds_from_start(reference)
        )
        return frame_decay_correction(nuclide, self.start_s, self.duration_s, reference_s=ref_s)

    def select(self, indices: Sequence[int] | NDArray[np.intp]) -> FrameTable:
        """The table of the given frames (in the given, increasing, order)."""
        idx = np.asarray(indices, dtype=np.intp)
        return FrameTable(self.start_s[idx], self.duration_s[idx], self.acquisition_start)

    def to_records(self) -> list[dict[str, float]]:
        """``[{"start_s": …, "duration_s": …}, …]`` for JSON output."""
        return [
            {"start_s": float(s), "duration_s": float(d)}
            for s, d in zip(self.start_s, self.duration_s, strict=True)
        ]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FrameTable):
            return NotImplemented
        return (
            np.array_equal(self.start_s, other.start_s)
            and np.array_equal(self.duration_s, other.duration_s)
            and self.acquisition_start == other.acquisition_start
        )

    __hash__ = None  # type: ignore[assignment]
