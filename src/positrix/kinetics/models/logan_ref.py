"""Logan reference plot (Logan 1996): ``∫C_T/C_T = DVR (∫C_R + C_R/k2′)/C_T + b`` for t ≥ t*.

Without k2′ the ``C_R/k2′`` term is dropped (valid late, when it is negligible).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from positrix.kinetics.fitting import FitResult
from positrix.kinetics.linear import late_frames, line_fit, tac_integral
from positrix.kinetics.reference import check_reference
from positrix.kinetics.sampling import Sampling

__all__ = ["fit_logan_ref"]


def fit_logan_ref(
    data: NDArray[np.float64],
    reference: NDArray[np.float64],
    sampling: Sampling,
    weights: NDArray[np.float64],
    *,
    tstar_min: float,
    k2_prime: float | None = None,
    region: str = "",
) -> FitResult:
    """DVR (and BPND = DVR − 1) from the frames after t*."""
    check_reference(reference)
    late = late_frames(sampling, tstar_min)
    int_ct, int_cr = tac_integral(sampling, data), tac_integral(sampling, reference)
    extra = reference / k2_prime if k2_prime else 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        x, y = (int_cr + extra) / data, int_ct / data
    result = line_fit(
        x,
        y,
        weights,
        late,
        names=["DVR", "intercept"],
        model="logan-ref",
        region=region,
        labels=("(∫C_R dt + C_R/k2′) / C_T (min)", "∫C_T dt / C_T (min)"),
        tstar_min=tstar_min,
    )
    if not result.converged:
        return result
    return result.extended(
        {**result.parameters, "BPND": result.parameters["DVR"] - 1.0},
        {**result.se, "BPND": result.se["DVR"]},
    )
