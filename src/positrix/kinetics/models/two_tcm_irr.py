"""Irreversible two-tissue compartment model (k4 = 0; Ki = K1 k3 / (k2 + k3))."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from positrix.kinetics.compartment import fit_compartment, irf_two_tissue, pet_frames
from positrix.kinetics.data import InputFunction
from positrix.kinetics.fitting import FitResult
from positrix.kinetics.sampling import Sampling

__all__ = ["fit_2tcm_irr", "model_2tcm_irr"]


def model_2tcm_irr(
    K1: float,
    k2: float,
    k3: float,
    inp: InputFunction,
    sampling: Sampling,
    *,
    vb: float = 0.0,
    delay_s: float = 0.0,
) -> NDArray[np.float64]:
    """Frame values of the irreversible 2TCM (rates in 1/min)."""
    amplitudes, rates = irf_two_tissue(K1, k2, k3, 0.0)
    return pet_frames(amplitudes, rates, inp, sampling, vb=vb, delay_s=delay_s)


def fit_2tcm_irr(
    data: NDArray[np.float64],
    inp: InputFunction,
    sampling: Sampling,
    weights: NDArray[np.float64],
    *,
    region: str = "",
    vb: float | None = 0.05,
    fit_delay: bool = False,
) -> FitResult:
    """Fit the irreversible 2TCM; ``vb=None`` fits vB.  Adds Ki."""
    return fit_compartment(
        ["K1", "k2", "k3"],
        data,
        inp,
        sampling,
        weights,
        model_name="2tcm-irr",
        region=region,
        vb=vb,
        fit_delay=fit_delay,
        derived=lambda p: {"Ki": p["K1"] * p["k3"] / (p["k2"] + p["k3"])},
    )
