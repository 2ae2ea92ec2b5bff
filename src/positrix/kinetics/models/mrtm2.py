"""MRTM2 (Ichise 2003): k2′ fixed, ``C_T = γ1 (∫C_R + C_R/k2′) + γ2 ∫C_T``; DVR = −γ1/γ2."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from positrix.errors import PositrixError
from positrix.kinetics.fitting import FitResult
from positrix.kinetics.linear import late_frames, ratio_se, regression, tac_integral
from positrix.kinetics.reference import check_reference
from positrix.kinetics.sampling import Sampling

__all__ = ["fit_mrtm2"]


def fit_mrtm2(
    data: NDArray[np.float64],
    reference: NDArray[np.float64],
    sampling: Sampling,
    weights: NDArray[np.float64],
    *,
    k2_prime: float,
    tstar_min: float = 0.0,
    region: str = "",
) -> FitResult:
    """BPND and DVR with k2′ (1/min) fixed."""
    if not k2_prime > 0:
        raise PositrixError("MRTM2 needs a positive k2′", field="--k2-prime")
    check_reference(reference)
    late = late_frames(sampling, tstar_min)
    int_ct, int_cr = tac_integral(sampling, data), tac_integral(sampling, reference)
    x1 = int_cr + reference / k2_prime
    result, c, cov = regression(
        [x1[late], int_ct[late]],
        data[late],
        weights[late],
        names=["gamma1", "gamma2"],
        model="mrtm2",
        region=region,
    )
    if not result.converged:
        return result
    dvr = -c[0] / c[1]
    se = ratio_se(c[0], c[1], cov)
    return result.extended(
        {**result.parameters, "DVR": float(dvr), "BPND": float(dvr - 1.0), "k2_prime": k2_prime},
        {**result.se, "DVR": se, "BPND": se},
    )
