"""Feng arterial input and exact compartment-model tissue curves for simulations.

Feng et al. (Int J Biomed Comput 32:95, 1993), model 2:
``Cp(t) = (A1·t − A2 − A3)·e^(−λ1 t) + A2·e^(−λ2 t) + A3·e^(−λ3 t)`` for ``t ≥ 0`` (min).
A compartment model's impulse response is a sum of exponentials ``Σ aᵢ e^(−bᵢ t)``, so the
tissue curve ``IRF ⊛ Cp`` has a closed form, used here: the simulated truth has no
discretisation error (the kinetics package fits it numerically, a useful independent check).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from positrix.errors import PositrixError

__all__ = ["FengInput", "compartment_curve"]


@dataclass(frozen=True)
class FengInput:
    """Feng model-2 plasma input; amplitudes in the curve's unit (``A1`` per min), rates in
    1/min.  The defaults are Feng's FDG values scaled by 0.0242 so that plasma is ≈ 0.27 SUV
    at 60 min (≈ 1 %ID/g in a 27 g mouse); multiply by injected Bq/g for Bq/mL."""

    a1: float = 851.1225 * 0.0242
    a2: float = 21.8798 * 0.0242
    a3: float = 20.8113 * 0.0242
    lambda1: float = 4.133859
    lambda2: float = 0.1191
    lambda3: float = 0.0104

    def __post_init__(self) -> None:
        if min(self.lambda1, self.lambda2, self.lambda3) <= 0:
            raise PositrixError("Feng rates must be > 0 per min", field="lambda")

    def terms(self) -> tuple[tuple[float, float, float], ...]:
        """``(t-coefficient, constant, rate)`` of each exponential term."""
        return (
            (self.a1, -self.a2 - self.a3, self.lambda1),
            (0.0, self.a2, self.lambda2),
            (0.0, self.a3, self.lambda3),
        )

    def plasma(self, time_min: ArrayLike) -> NDArray[np.float64]:
        """``Cp(t)``; 0 before injection (``t < 0``)."""
        t = np.asarray(time_min, dtype=np.float64)
        out = np.zeros_like(t)
        for slope, constant, rate in self.terms():
            out += (slope * t + constant) * np.exp(-rate * np.clip(t, 0.0, None))
        return np.where(t >= 0, out, 0.0)

    def convolved(self, time_min: ArrayLike, rate: float) -> NDArray[np.float64]:
        """``(e^(−rate·t) ⊛ Cp)(t)`` in closed form (unit·min)."""
        t = np.clip(np.asarray(time_min, dtype=np.float64), 0.0, None)
        out = np.zeros_like(t)
        for slope, constant, lam in self.terms():
            c = rate - lam
            if abs(c) < 1e-9:  # equal rates: the limits of the formulas below
                out += (slope * t * t / 2.0 + constant * t) * np.exp(-lam * t)
                continue
            e_lam, e_rate = np.exp(-lam * t), np.exp(-rate * t)
            out += constant * (e_lam - e_rate) / c
            out += slope * ((t / c - 1.0 / c**2) * e_lam + e_rate / c**2)
        return np.where(np.asarray(time_min) >= 0, out, 0.0)


def compartment_curve(
    inp: FengInput,
    time_min: ArrayLike,
    amplitudes: Sequence[float],
    rates: Sequence[float],
    *,
    vb: float = 0.0,
) -> NDArray[np.float64]:
    """Tissue curve ``(1 − vB)·Σ aᵢ e^(−bᵢ t) ⊛ Cp + vB·Cp`` (blood taken equal to plasma)."""
    tissue = np.zeros_like(np.asarray(time_min, dtype=np.float64))
    for amplitude, rate in zip(amplitudes, rates, strict=True):
        tissue += amplitude * inp.convolved(time_min, rate)
    return (1.0 - vb) * tissue + vb * inp.plasma(time_min)
