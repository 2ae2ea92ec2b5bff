"""Impulse responses of linear compartment systems (the maths shared by the simulator and
the kinetic models).

A tissue curve is its impulse response convolved with the input, ``C_T = IRF ⊛ C_p``; for
the one- and two-tissue models the IRF is a sum of exponentials ``Σ aᵢ e^(−bᵢ t)``.
"""

from __future__ import annotations

import numpy as np

from positrix.errors import PositrixError

__all__ = ["two_tissue_irf"]


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
