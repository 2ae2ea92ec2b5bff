"""MRTM (Ichise 2003, MRTM1): ``C_T = γ1 ∫C_R + γ2 ∫C_T + γ3 C_R``.

``DVR = −γ1/γ2``, ``BPND = DVR − 1`` and ``k2′ = γ1/γ3`` are reported with the γ's.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from positrix.kinetics.fitting import FitResult
from positrix.kinetics.linear import late_frames, ratio_se, regression, tac_integral
from positrix.kinetics.reference import check_reference
from positrix.kinetics.sampling import Sampling

__all__ = ["fit_mrtm"]


def _quotient_se(a: float, b: float, cov_ab: NDArray[np.float64]) -> float:
    """Standard error of a/b by the delta method (gradient [1/b, −a/b²])."""
    gradient = np.array([1.0 / b, -a / b**2])
    return float(np.sqrt(max(float(gradient @ cov_ab @ gradient), 0.0)))


def fit_mrtm(
    data: NDArray[np.float64],
    reference: NDArray[np.float64],
    sampling: Sampling,
    weights: NDArray[np.float64],
    *,
    tstar_min: float = 0.0,
    region: str = "",
) -> FitResult:
    """BPND, DVR and k2′ (1/min) from the frames after t* (default all)."""
    check_reference(reference)
    late = late_frames(sampling, tstar_min)
    int_ct, int_cr = tac_integral(sampling, data), tac_integral(sampling, reference)
    result, c, cov = regression(
        [int_cr[late], int_ct[late], reference[late]],
        data[late],
        weights[late],
        names=["gamma1", "gamma2", "gamma3"],
        model="mrtm",
        region=region,
    )
    if not result.converged:
        return result
    dvr = -c[0] / c[1]
    dvr_se = ratio_se(c[0], c[1], cov[:2, :2])
    parameters = {
        **result.parameters,
        "DVR": float(dvr),
        "BPND": float(dvr - 1.0),
        "k2_prime": float(c[0] / c[2]),
    }
    se = {
        **result.se,
        "DVR": dvr_se,
        "BPND": dvr_se,
        "k2_prime": _quotient_se(c[0], c[2], cov[np.ix_([0, 2], [0, 2])]),
    }
    return result.extended(parameters, se)
