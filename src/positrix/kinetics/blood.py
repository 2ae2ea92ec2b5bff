"""Blood-curve corrections: delay and dispersion (the image-derived input is
:func:`positrix.quant.idif.image_derived_input`).

Dispersion of arterial samples in the catheter is modelled as convolution with
``e^(−t/τ)/τ``; correction recovers the true curve as ``C(t) = C_m(t) + τ dC_m/dt``
(Iida et al. 1986), computed on the sample grid after light smoothing of the derivative.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from positrix.errors import PositrixError
from positrix.kinetics.data import InputFunction

__all__ = ["correct_dispersion", "shift_input"]


def shift_input(inp: InputFunction, delay_s: float) -> InputFunction:
    """The input delayed by ``delay_s`` (negative: earlier), on the same sample times."""
    shift = delay_s / 60.0
    t = inp.time_min

    def moved(values: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.interp(t - shift, t, values, left=0.0, right=values[-1])

    blood = moved(inp.whole_blood) if inp.whole_blood is not None else None
    return InputFunction(t, moved(inp.plasma), blood, inp.source)


def correct_dispersion(inp: InputFunction, tau_s: float) -> InputFunction:
    """Undo catheter dispersion with time constant ``tau_s`` (s): ``C + τ dC/dt``."""
    if tau_s < 0:
        raise PositrixError("the dispersion constant must be ≥ 0 s", field="tau_s")
    tau = tau_s / 60.0

    def undo(values: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.maximum(values + tau * np.gradient(values, inp.time_min), 0.0)

    blood = undo(inp.whole_blood) if inp.whole_blood is not None else None
    return InputFunction(inp.time_min, undo(inp.plasma), blood, inp.source)
