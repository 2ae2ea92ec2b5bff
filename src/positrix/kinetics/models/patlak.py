"""Patlak plot (irreversible uptake): ``C_T/C_p = Ki ∫C_p/C_p + V0`` for t ≥ t*."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from positrix.kinetics.data import InputFunction
from positrix.kinetics.fitting import FitResult
from positrix.kinetics.linear import input_at_frames, late_frames, line_fit
from positrix.kinetics.sampling import Sampling

__all__ = ["fit_patlak", "patlak_axes"]


def patlak_axes(
    data: NDArray[np.float64], inp: InputFunction, sampling: Sampling
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """x = ∫C_p/C_p (min), y = C_T/C_p at every frame."""
    cp, int_cp = input_at_frames(inp, sampling)
    with np.errstate(divide="ignore", invalid="ignore"):
        return int_cp / cp, data / cp


def fit_patlak(
    data: NDArray[np.float64],
    inp: InputFunction,
    sampling: Sampling,
    weights: NDArray[np.float64],
    *,
    tstar_min: float,
    region: str = "",
) -> FitResult:
    """Ki (mL/cm³/min) and intercept V0 (mL/cm³) from the frames after t*."""
    late = late_frames(sampling, tstar_min)
    x, y = patlak_axes(data, inp, sampling)
    result = line_fit(
        x,
        y,
        weights,
        late,
        names=["Ki", "V0"],
        model="patlak",
        region=region,
        labels=("∫Cp dt / Cp (min)", "C_T / Cp (mL/cm³)"),
        tstar_min=tstar_min,
    )
    return result
