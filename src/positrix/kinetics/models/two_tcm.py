"""Reversible two-tissue compartment model (K1, k2, k3, k4; VT = K1/k2 · (1 + k3/k4))."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from positrix.kinetics.compartment import fit_compartment, irf_two_tissue, pet_frames
from positrix.kinetics.data import InputFunction
from positrix.kinetics.fitting import FitResult
from positrix.kinetics.sampling import Sampling

__all__ = ["fit_2tcm", "model_2tcm"]


def model_2tcm(
    K1: float,
    k2: float,
    k3: float,
    k4: float,
    inp: InputFunction,
    sampling: Sampling,
    *,
    vb: float = 0.0,
    delay_s: float = 0.0,
) -> NDArray[np.float64]:
    """Frame values of the 2TCM (rates in 1/min)."""
    amplitudes, rates = irf_two_tissue(K1, k2, k3, k4)
    return pet_frames(amplitudes, rates, inp, sampling, vb=vb, delay_s=delay_s)


def _derived(p: dict[str, float]) -> dict[str, float]:
    k4 = p["k4"] if p["k4"] > 0 else float("nan")
    return {"VT": p["K1"] / p["k2"] * (1.0 + p["k3"] / k4)}


def fit_2tcm(
    data: NDArray[np.float64],
    inp: InputFunction,
    sampling: Sampling,
    weights: NDArray[np.float64],
    *,
    region: str = "",
    vb: float | None = 0.05,
    fit_delay: bool = False,
) -> FitResult:
    """Fit the reversible 2TCM; ``vb=None`` fits vB.  Adds VT."""
    return fit_compartment(
        ["K1", "k2", "k3", "k4"],
        data,
        inp,
        sampling,
        weights,
        model_name="2tcm",
        region=region,
        vb=vb,
        fit_delay=fit_delay,
        derived=_derived,
    )
