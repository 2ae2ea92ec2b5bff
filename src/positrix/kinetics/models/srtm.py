"""Simplified reference tissue model (Lammertsma & Hume 1996): R1, k2, BPND.

``C_T = R1 C_R + (k2 − R1 k2/(1 + BPND)) C_R ⊛ exp(−k2 t/(1 + BPND))``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from positrix.kinetics.fitting import FitResult, fit_least_squares
from positrix.kinetics.reference import check_reference, reference_on_grid
from positrix.kinetics.sampling import Sampling, exp_convolve

__all__ = ["fit_srtm", "model_srtm"]


def model_srtm(
    R1: float, k2: float, BPND: float, reference: NDArray[np.float64], sampling: Sampling
) -> NDArray[np.float64]:
    """Frame values of the SRTM target curve for a reference TAC (frame values)."""
    k2a = k2 / (1.0 + BPND)
    convolved = exp_convolve(reference_on_grid(sampling, reference), k2a, sampling.step_min)
    return R1 * reference + (k2 - R1 * k2a) * sampling.frame_values(convolved)


def fit_srtm(
    data: NDArray[np.float64],
    reference: NDArray[np.float64],
    sampling: Sampling,
    weights: NDArray[np.float64],
    *,
    region: str = "",
) -> FitResult:
    """Fit R1, k2 (1/min) and BPND; adds ``k2_prime = k2 / R1``."""
    check_reference(reference)
    return fit_least_squares(
        lambda p: model_srtm(p[0], p[1], p[2], reference, sampling),
        data,
        weights,
        names=["R1", "k2", "BPND"],
        start=[1.0, 0.1, 1.0],
        lower=[1e-4, 1e-5, -0.99],
        upper=[10.0, 10.0, 50.0],
        model_name="srtm",
        region=region,
        derived=lambda p: {"k2_prime": p["k2"] / p["R1"]},
    )
