"""One-tissue compartment model (K1, k2; VT = K1/k2), plasma input."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from positrix.kinetics.compartment import fit_compartment, pet_frames
from positrix.kinetics.data import InputFunction
from positrix.kinetics.fitting import FitResult
from positrix.kinetics.sampling import Sampling

__all__ = ["fit_1tcm", "model_1tcm"]


def model_1tcm(
    K1: float,
    k2: float,
    inp: InputFunction,
    sampling: Sampling,
    *,
    vb: float = 0.0,
    delay_s: float = 0.0,
) -> NDArray[np.float64]:
    """Frame values of ``(1 − vB) K1 e^(−k2 t) ⊛ Cp + vB Cb`` (rates in 1/min)."""
    return pet_frames([K1], [k2], inp, sampling, vb=vb, delay_s=delay_s)


def fit_1tcm(
    data: NDArray[np.float64],
    inp: InputFunction,
    sampling: Sampling,
    weights: NDArray[np.float64],
    *,
    region: str = "",
    vb: float | None = 0.05,
    fit_delay: bool = False,
) -> FitResult:
    """Fit the 1TCM; ``vb=None`` fits vB.  Adds ``VT = K1/k2``."""
    return fit_compartment(
        ["K1", "k2"],
        data,
        inp,
        sampling,
        weights,
        model_name="1tcm",
        region=region,
        vb=vb,
        fit_delay=fit_delay,
        derived=lambda p: {"VT": p["K1"] / p["k2"]},
    )
