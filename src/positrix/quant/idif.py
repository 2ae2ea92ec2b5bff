"""The image-derived input function: a blood-pool VOI's mean per frame as the arterial
input of the kinetic models (:mod:`positrix.kinetics`)."""

from __future__ import annotations

import numpy as np

from positrix.errors import PositrixError
from positrix.image.image import Image
from positrix.kinetics.data import InputFunction
from positrix.quant.stats import region_stats
from positrix.quant.voi import VOI

__all__ = ["image_derived_input"]


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
