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

__all__ = ["FengInput", "compartment_curve", "two_tissue_irf"]


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


def two_tissue_irf(
    k1: float, k2: float, k3: float = 0.0, k4: float = 0.0
) -> tuple[list[float], list[float]]:
    """Amplitudes and rates (1/min) of the two-tissue impulse response (``k3 = 0``: one
    tissue; ``k2 = k3 = 0``: pure accumulation ``K1·∫Cp``).

    ``IRF(t) = K1/(α2−α1) [(k3 + k4 − α1) e^(−α1 t) + (α2 − k3 − k4) e^(−α2 t)]`` with
    ``α1,2 = (k2 + k3 + k4 ∓ √((k2 + k3 + k4)² − 4 k2 k4)) / 2``; equal roots are split by
    1e-12 (the limit is continuous).
    """
    if min(k1, k2, k3, k4) < 0:
        raise PositrixError("rate constants must be ≥ 0", field="K1/k2/k3/k4")
    if k3 == 0.0:
        return [k1], [k2]
    total = k2 + k3 + k4
    root = np.sqrt(max(total * total - 4.0 * k2 * k4, 0.0))
    a1, a2 = (total - root) / 2.0, (total + root) / 2.0
    if a2 - a1 < 1e-12:
        a2 = a1 + 1e-12
    return [k1 * (k3 + k4 - a1) / (a2 - a1), k1 * (a2 - k3 - k4) / (a2 - a1)], [a1, a2]


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
