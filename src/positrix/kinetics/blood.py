"""Blood-curve corrections: delay, dispersion, and the image-derived input.

Dispersion of arterial samples in the catheter is modelled as convolution with
``e^(−t/τ)/τ``; correction recovers the true curve as ``C(t) = C_m(t) + τ dC_m/dt``
(Iida et al. 1986), computed on the sample grid after light smoothing of the derivative.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from positrix.errors import PositrixError
from positrix.image.image import Image
from positrix.kinetics.data import InputFunction
from positrix.quant.stats import region_stats
from positrix.quant.voi import VOI

__all__ = ["correct_dispersion", "image_derived_input", "shift_input"]


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


def image_derived_input(
    image: Image, blood_pool: VOI, *, plasma_to_blood: float = 1.0
) -> InputFunction:
    """Input from the mean of a blood-pool VOI per frame (at frame mid-times).

    ``plasma_to_blood`` scales whole blood to plasma (1 for FDG-like tracers).  The curve
    starts at (0, 0); frame means stand at mid-frame.
    """
    if image.frames is None or not image.is_dynamic:
        raise PositrixError("an image-derived input needs a dynamic image", field="image")
    means = np.array([r.mean for r in region_stats(image, [blood_pool], peak_ml=0)])
    mids = image.frames.mid_s / 60.0
    keep = image.frames.duration_s > 0
    t = np.concatenate([[0.0], mids[keep]])
    blood = np.concatenate([[0.0], means[keep]])
    if np.any(np.diff(t) <= 0):
        raise PositrixError("frame mid-times must increase", field="frames")
    return InputFunction(t, blood * plasma_to_blood, blood, source=blood_pool.name)
