"""Shared pieces of the linear (graphical and multilinear) methods.

Regional curves are frame means.  Integrals of a measured curve run from 0 to each frame's
mid-time through the piecewise-linear curve joining (0, 0) and the (mid-time, value)
points; integrals of the input come from its fine grid.  ``t*`` selects the frames whose
start is at or after it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from positrix.errors import PositrixError
from positrix.kinetics.data import InputFunction
from positrix.kinetics.fitting import FitResult, GraphicalPlot, information_criteria
from positrix.kinetics.sampling import Sampling

__all__ = ["input_at_frames", "late_frames", "line_fit", "regression", "tac_integral"]


def tac_integral(sampling: Sampling, values: NDArray[np.float64]) -> NDArray[np.float64]:
    """∫_0^{mid_i} of a TAC given as frame values, shape like ``values`` (last axis frames)."""
    mids = sampling.mid_min
    t = np.concatenate([[0.0], mids])
    y = np.concatenate([np.zeros((*values.shape[:-1], 1)), values], axis=-1)
    pieces = 0.5 * (y[..., 1:] + y[..., :-1]) * np.diff(t)
    return np.cumsum(pieces, axis=-1)


def input_at_frames(
    inp: InputFunction, sampling: Sampling
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The input's frame values and its integral from 0 to each frame mid-time."""
    inp.check_covers(sampling)
    grid = sampling.grid
    cp = inp.on_grid(grid)
    steps = 0.5 * (cp[1:] + cp[:-1]) * sampling.step_min
    cumulative = np.concatenate([[0.0], np.cumsum(steps)])
    return sampling.frame_values(cp), np.interp(sampling.mid_min, grid, cumulative)


def late_frames(sampling: Sampling, tstar_min: float, *, minimum: int = 3) -> NDArray[np.bool_]:
    """Frames that start at or after t*; refuses a t* that leaves fewer than ``minimum``."""
    if tstar_min < 0:
        raise PositrixError("t* must be ≥ 0", field="--tstar-min")
    chosen = (sampling.start_min >= tstar_min - 1e-9) & (sampling.duration_min > 0)
    if chosen.sum() < minimum:
        raise PositrixError(
            f"t* = {tstar_min:g} min leaves {int(chosen.sum())} frame(s); the last frame "
            f"starts at {sampling.start_min[-1]:g} min",
            field="--tstar-min",
            fix=f"choose a t* that keeps at least {minimum} frames",
        )
    return chosen


def regression(
    columns: Sequence[NDArray[np.float64]],
    y: NDArray[np.float64],
    weights: NDArray[np.float64],
    *,
    names: Sequence[str],
    model: str,
    region: str,
) -> tuple[FitResult, NDArray[np.float64], NDArray[np.float64]]:
    """Weighted least squares ``y ≈ Σ c_i · column_i``: the result, coefficients and covariance."""
    x = np.column_stack(columns)
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        bad = FitResult.failed(model, region, names, "non-finite values (a zero TAC value?)")
        return bad, np.full(len(names), np.nan), np.full((len(names), len(names)), np.nan)
    sw = np.sqrt(weights)
    solution, *_ = np.linalg.lstsq(x * sw[:, None], y * sw, rcond=None)
    coefficients = np.asarray(solution, dtype=np.float64)
    fitted = x @ coefficients
    rss = float(np.sum(weights * (y - fitted) ** 2))
    n, k = len(y), len(names)
    dof = max(n - k, 1)
    cov = np.linalg.pinv((x * weights[:, None]).T @ x) * rss / dof
    se = np.sqrt(np.clip(np.diag(cov), 0, None))
    aic, bic = information_criteria(rss, n, k)
    result = FitResult(
        model,
        region,
        dict(zip(names, map(float, coefficients), strict=True)),
        dict(zip(names, map(float, se), strict=True)),
        fitted,
        y - fitted,
        aic,
        bic,
        True,
        "",
        (),
        k,
        rss,
    )
    return result, coefficients, cov


def line_fit(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    weights: NDArray[np.float64],
    late: NDArray[np.bool_],
    *,
    names: Sequence[str],
    model: str,
    region: str,
    labels: tuple[str, str] = ("x", "y"),
    tstar_min: float = 0.0,
) -> FitResult:
    """Weighted straight line ``y = slope · x + intercept`` over the ``late`` frames
    (the graphical plots); ``names`` are (slope, intercept).  The result carries every
    frame's ``(x, y)`` with the axis ``labels`` and t* for its plot."""
    result, _, _ = regression(
        [x[late], np.ones(int(late.sum()))],
        y[late],
        weights[late],
        names=names,
        model=model,
        region=region,
    )
    slope, intercept = (result.parameters[n] for n in names)
    plot = GraphicalPlot(
        np.asarray(x), np.asarray(y), late, labels[0], labels[1], tstar_min, (slope, intercept)
    )
    return dataclasses.replace(result, graphical=plot)


def ratio_se(a: float, b: float, cov_ab: NDArray[np.float64]) -> float:
    """Standard error of −a/b by the delta method, from the 2 × 2 covariance of (a, b)."""
    gradient = np.array([-1.0 / b, a / b**2])
    return float(np.sqrt(max(float(gradient @ cov_ab @ gradient), 0.0)))
