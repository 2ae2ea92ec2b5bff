"""From continuous model curves to frame values, and exact exponential convolution.

Kinetics works in **minutes** (times in min, rate constants in 1/min), the field's
convention; frame tables in seconds are converted here, at the boundary.

Model curves live on a uniform fine grid (default 1 s).  Convolution of an input that is
linear between grid points with ``exp(−b t)`` is exact on that grid (first-order recursion,
:func:`exp_convolve`); frame values are exact frame means of the curve (integral of the
piecewise-linear curve over the frame, divided by its duration) or, as an option, the curve
at mid-frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import signal

from positrix.errors import PositrixError
from positrix.image.frames import FrameTable

__all__ = ["Sampling", "exp_convolve"]


@dataclass(frozen=True, eq=False)
class Sampling:
    """Frames (min) and the fine grid on which model curves are computed.

    Attributes
    ----------
    start_min, duration_min
        Frame starts and durations in minutes, shape ``(n_frames,)``.
    step_min
        Fine-grid step (default 1/60 min = 1 s).
    frame_model
        ``"average"`` (exact frame means) or ``"midpoint"`` (value at mid-frame).
    """

    start_min: NDArray[np.float64]
    duration_min: NDArray[np.float64]
    step_min: float = 1.0 / 60.0
    frame_model: str = "average"

    def __post_init__(self) -> None:
        start = np.asarray(self.start_min, dtype=np.float64)
        duration = np.asarray(self.duration_min, dtype=np.float64)
        if self.frame_model not in ("average", "midpoint"):
            raise PositrixError(
                f"unknown frame model '{self.frame_model}'",
                field="--frame-model",
                fix="use average or midpoint",
            )
        if start.ndim != 1 or start.shape != duration.shape or start.size == 0:
            raise PositrixError("frames need one start and one duration each", field="frames")
        # overlaps up to 0.5 s are rounding (e.g. times in minutes with 3 decimals): clipped
        overlap = start[:-1] + duration[:-1] - start[1:]
        if np.any(duration < 0) or np.any(np.diff(start) < 0) or np.any(overlap > 0.5 / 60):
            raise PositrixError(
                "frames overlap or are not sorted by start time",
                field="frame start/duration",
                fix="sort the rows by frame start; each frame must end before the next starts",
            )
        duration = duration.copy()
        duration[:-1] -= np.clip(overlap, 0.0, None)
        if start[0] < 0:
            raise PositrixError("a frame starts before time 0", field="frame_start_s")
        object.__setattr__(self, "start_min", start)
        object.__setattr__(self, "duration_min", duration)

    @classmethod
    def from_frames(cls, frames: FrameTable, **options: object) -> Sampling:
        """From a frame table (seconds)."""
        return cls(frames.start_s / 60.0, frames.duration_s / 60.0, **options)  # type: ignore[arg-type]

    @property
    def mid_min(self) -> NDArray[np.float64]:
        """Frame mid-times (min)."""
        return self.start_min + 0.5 * self.duration_min

    @property
    def end_min(self) -> NDArray[np.float64]:
        """Frame ends (min)."""
        return self.start_min + self.duration_min

    @property
    def grid(self) -> NDArray[np.float64]:
        """Fine time grid (min) from 0 to the end of the last frame."""
        n = int(np.ceil(self.end_min[-1] / self.step_min)) + 1
        return np.arange(n, dtype=np.float64) * float(self.step_min)

    def frame_values(self, curve: NDArray[np.float64]) -> NDArray[np.float64]:
        """Frame values of curves on :attr:`grid` (last axis time), shape ``(..., n_frames)``.

        Frames of zero duration get the value at their start.
        """
        grid = self.grid
        if self.frame_model == "midpoint":
            return _interp_last(curve, grid, self.mid_min)
        # exact integral of the piecewise-linear curve: cumulative trapezoid, interpolated
        steps = 0.5 * (curve[..., 1:] + curve[..., :-1]) * self.step_min
        cumulative = np.concatenate([np.zeros((*curve.shape[:-1], 1)), np.cumsum(steps, -1)], -1)
        at_start = _integral_at(cumulative, curve, grid, self.start_min, self.step_min)
        at_end = _integral_at(cumulative, curve, grid, self.end_min, self.step_min)
        duration = self.duration_min
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = (at_end - at_start) / np.where(duration > 0, duration, 1.0)
        point = _interp_last(curve, grid, self.start_min)
        return np.where(duration > 0, mean, point)


def _interp_last(
    curve: NDArray[np.float64], grid: NDArray[np.float64], times: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Linear interpolation along the last axis at ``times``."""
    position = np.clip(times / (grid[1] - grid[0]), 0, grid.size - 1)
    low = np.minimum(np.floor(position).astype(int), grid.size - 2)
    frac = position - low
    return curve[..., low] * (1 - frac) + curve[..., low + 1] * frac


def _integral_at(
    cumulative: NDArray[np.float64],
    curve: NDArray[np.float64],
    grid: NDArray[np.float64],
    times: NDArray[np.float64],
    step: float,
) -> NDArray[np.float64]:
    """∫_0^t of the piecewise-linear curve, exact at any t."""
    position = np.clip(times / step, 0, grid.size - 1)
    low = np.minimum(np.floor(position).astype(int), grid.size - 2)
    frac = position - low
    y0, y1 = curve[..., low], curve[..., low + 1]
    partial = step * (frac * y0 + 0.5 * frac**2 * (y1 - y0))
    return cumulative[..., low] + partial


def exp_convolve(values: ArrayLike, rate: float, step: float) -> NDArray[np.float64]:
    """``∫_0^t values(s) · exp(−rate (t − s)) ds`` on a uniform grid, exact for an input that
    is linear between grid points.

    Parameters
    ----------
    values
        Input on the grid, last axis time (starting at t = 0).
    rate
        Exponential rate (1/min), ≥ 0.
    step
        Grid step (min).
    """
    x = np.asarray(values, dtype=np.float64)
    if rate <= 0:
        steps = 0.5 * (x[..., 1:] + x[..., :-1]) * step
        out = np.concatenate([np.zeros((*x.shape[:-1], 1)), np.cumsum(steps, -1)], -1)
        return out
    z = rate * step
    e = np.exp(-z)
    if z < 1e-4:  # series: avoids cancelling nearly equal terms for tiny rates
        c1 = step * (0.5 - z / 6.0 + z * z / 24.0)  # weight of x_{n+1}
        c0 = step * (0.5 - z / 3.0 + z * z / 8.0)  # weight of x_n
    else:
        c1 = (z + np.expm1(-z)) / (rate * z)
        c0 = -np.expm1(-z) / rate - c1
    drive = c0 * x[..., :-1] + c1 * x[..., 1:]
    filtered = signal.lfilter([1.0], [1.0, -e], drive, axis=-1)
    return np.concatenate([np.zeros((*x.shape[:-1], 1)), filtered], -1)
