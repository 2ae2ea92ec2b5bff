"""Dead time: live fraction of detectors from their measured singles rates.

Non-paralysable detector: measured ``m = n / (1 + nτ)`` ⇒ live fraction ``1 − mτ``.
Paralysable detector: ``m = n·exp(−nτ)`` ⇒ ``n = −W(−mτ)/τ`` (Lambert W, principal branch)
and live fraction ``exp(−nτ)``.  A coincidence needs both detectors live, so the bin
efficiency uses the product of the two crystals' live fractions — multiply the crystal
efficiencies by the live fractions (:meth:`Normalisation.factors`).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import lambertw

from positrix.errors import PositrixError

__all__ = ["live_fraction"]


def live_fraction(
    measured_cps: ArrayLike, *, dead_time_s: float, model: str = "paralysable"
) -> NDArray[np.float64]:
    """Live fraction (0–1] of detectors from measured singles rates (counts/s).

    Parameters
    ----------
    measured_cps
        Measured singles rate per detector unit (crystal or block), counts/s.
    dead_time_s
        Dead time per event τ (s).
    model
        ``"paralysable"`` or ``"non-paralysable"``.
    """
    rate = np.asarray(measured_cps, dtype=np.float64)
    if np.any(rate < 0) or not np.all(np.isfinite(rate)):
        raise PositrixError("singles rates must be finite and ≥ 0", field="measured_cps")
    if not dead_time_s >= 0:
        raise PositrixError("dead time must be ≥ 0 s", field="dead_time_s")
    load = rate * dead_time_s
    if model == "non-paralysable":
        if np.any(load >= 1):
            raise PositrixError(
                "a measured rate reaches 1/τ: the detector would be saturated", field="measured_cps"
            )
        return 1.0 - load
    if model == "paralysable":
        if np.any(load > np.exp(-1)):
            raise PositrixError(
                "a measured rate exceeds the paralysable maximum 1/(e·τ)",
                field="measured_cps",
                fix="check the dead time and the rate units (counts/s)",
            )
        true_load = -np.real(lambertw(-load, 0))
        return np.exp(-true_load)
    raise PositrixError(
        f"unknown dead-time model '{model}'",
        field="model",
        fix="use 'paralysable' or 'non-paralysable'",
    )
