"""Logan plot (reversible, plasma input): ``∫C_T/C_T = VT ∫C_p/C_T + b`` for t ≥ t*."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from positrix.kinetics.data import InputFunction
from positrix.kinetics.fitting import FitResult
from positrix.kinetics.linear import input_at_frames, late_frames, line_fit, tac_integral
from positrix.kinetics.sampling import Sampling

__all__ = ["fit_logan"]


def fit_logan(
    data: NDArray[np.float64],
    inp: InputFunction,
    sampling: Sampling,
    weights: NDArray[np.float64],
    *,
    tstar_min: float,
    region: str = "",
) -> FitResult:
    """VT (mL/mL) and intercept from the frames after t*."""
    late = late_frames(sampling, tstar_min)
    _, int_cp = input_at_frames(inp, sampling)
    int_ct = tac_integral(sampling, data)
    with np.errstate(divide="ignore", invalid="ignore"):
        x, y = int_cp / data, int_ct / data
    result = line_fit(
        x,
        y,
        weights,
        late,
        names=["VT", "intercept"],
        model="logan",
        region=region,
        labels=("∫Cp dt / C_T (min·cm³/mL)", "∫C_T dt / C_T (min)"),
        tstar_min=tstar_min,
    )
    return result
