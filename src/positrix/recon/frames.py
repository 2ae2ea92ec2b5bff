"""Frame definitions for dynamic reconstruction: ``"10x10s,6x30s,5x5min"`` → start, duration."""

from __future__ import annotations

import re

import numpy as np
from numpy.typing import NDArray

from positrix.errors import PositrixError

__all__ = ["parse_frames"]

_UNITS = {"s": 1.0, "sec": 1.0, "min": 60.0, "m": 60.0, "h": 3600.0}
_PART = re.compile(r"^\s*(\d+)\s*[x×]\s*([0-9.]+)\s*(s|sec|min|m|h)\s*$")


def parse_frames(
    text: str | None, *, total_s: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Frame starts and durations (s) from ``"NxD[unit],…"``; ``None`` gives one frame.

    Examples
    --------
    >>> parse_frames("2x30s,1x1min", total_s=120.0)
    (array([ 0., 30., 60.]), array([30., 30., 60.]))
    """
    if not text:
        return np.array([0.0]), np.array([float(total_s)])
    durations: list[float] = []
    for part in text.split(","):
        match = _PART.match(part)
        if not match:
            raise PositrixError(
                f"cannot read frame group '{part.strip()}'",
                field="--frames",
                fix='write groups as COUNTxDURATION with a unit, e.g. "10x10s,6x30s,5x5min"',
            )
        count, length, unit = int(match[1]), float(match[2]), match[3]
        if count < 1 or not length > 0:
            raise PositrixError(f"frame group '{part.strip()}' is empty", field="--frames")
        durations += [length * _UNITS[unit]] * count
    duration = np.array(durations)
    start = np.concatenate([[0.0], np.cumsum(duration)[:-1]])
    end = float(start[-1] + duration[-1])
    if end > total_s + 1e-6:
        raise PositrixError(
            f"the frames last {end:g} s but the acquisition only {total_s:g} s",
            field="--frames",
            fix="shorten the frame list",
        )
    return start, duration
