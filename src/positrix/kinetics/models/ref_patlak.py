"""Reference Patlak plot: ``C_T/C_R = Ki′ ∫C_R/C_R + b`` for t ≥ t* (Ki′ in 1/min)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from positrix.kinetics.fitting import FitResult
from positrix.kinetics.linear import late_frames, line_fit, tac_integral
from positrix.kinetics.reference import check_reference
from positrix.kinetics.sampling import Sampling

__all__ = ["fit_ref_patlak"]


def fit_ref_patlak(
    data: NDArray[np.float64],
    reference: NDArray[np.float64],
    sampling: Sampling,
    weights: NDArray[np.float64],
    *,
    tstar_min: float,
    region: str = "",
) -> FitResult:
    """Ki′ (reported as ``Ki``) and intercept from the frames after t*."""
    check_reference(reference)
    late = late_frames(sampling, tstar_min)
    int_cr = tac_integral(sampling, reference)
    with np.errstate(divide="ignore", invalid="ignore"):
        x, y = int_cr / reference, data / reference
    result = line_fit(
        x,
        y,
        weights,
        late,
        names=["Ki", "intercept"],
        model="ref-patlak",
        region=region,
        labels=("∫C_R dt / C_R (min)", "C_T / C_R (1)"),
        tstar_min=tstar_min,
    )
    return result
