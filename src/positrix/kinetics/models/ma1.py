"""Ichise's multilinear analysis MA1: ``C_T = −(VT/b) ∫C_p + (1/b) ∫C_T`` for t ≥ t*."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from positrix.kinetics.data import InputFunction
from positrix.kinetics.fitting import FitResult
from positrix.kinetics.linear import (
    input_at_frames,
    late_frames,
    ratio_se,
    regression,
    tac_integral,
)
from positrix.kinetics.sampling import Sampling

__all__ = ["fit_ma1"]


def fit_ma1(
    data: NDArray[np.float64],
    inp: InputFunction,
    sampling: Sampling,
    weights: NDArray[np.float64],
    *,
    tstar_min: float,
    region: str = "",
) -> FitResult:
    """VT = −γ1/γ2 from ``C_T = γ1 ∫C_p + γ2 ∫C_T`` over the frames after t*."""
    late = late_frames(sampling, tstar_min)
    _, int_cp = input_at_frames(inp, sampling)
    int_ct = tac_integral(sampling, data)
    result, c, cov = regression(
        [int_cp[late], int_ct[late]],
        data[late],
        weights[late],
        names=["gamma1", "gamma2"],
        model="ma1",
        region=region,
    )
    if not result.converged:
        return result
    vt = -c[0] / c[1]
    parameters = {**result.parameters, "VT": float(vt)}
    se = {**result.se, "VT": ratio_se(c[0], c[1], cov)}
    return result.extended(parameters, se)
