"""SRTM2 (Wu & Carson 2002): SRTM with the reference efflux k2′ fixed; fits R1 and BPND.

``k2 = R1 · k2′``; the target curve is the SRTM curve with that k2.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from positrix.errors import PositrixError
from positrix.kinetics.fitting import FitResult, fit_least_squares
from positrix.kinetics.models.srtm import model_srtm
from positrix.kinetics.reference import check_reference
from positrix.kinetics.sampling import Sampling

__all__ = ["fit_srtm2"]


def fit_srtm2(
    data: NDArray[np.float64],
    reference: NDArray[np.float64],
    sampling: Sampling,
    weights: NDArray[np.float64],
    *,
    k2_prime: float,
    region: str = "",
) -> FitResult:
    """Fit R1 and BPND with k2′ (1/min) fixed; adds k2."""
    if not k2_prime > 0:
        raise PositrixError(
            "SRTM2 needs a positive k2′",
            field="--k2-prime",
            fix="give k2′ in 1/min, e.g. from an SRTM or MRTM fit",
        )
    check_reference(reference)
    return fit_least_squares(
        lambda p: model_srtm(p[0], p[0] * k2_prime, p[1], reference, sampling),
        data,
        weights,
        names=["R1", "BPND"],
        start=[1.0, 1.0],
        lower=[1e-4, -0.99],
        upper=[10.0, 50.0],
        model_name="srtm2",
        region=region,
        derived=lambda p: {"k2": p["R1"] * k2_prime},
    )
