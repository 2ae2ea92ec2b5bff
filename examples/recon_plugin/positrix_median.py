"""A 3-D median filter as a Positrix post-processing plugin (an example of the API).

A post-processing method gives Positrix a name, a description, its parameter and the
values its trade-off curve runs over, the reconstruction it processes, and
``run(image, voxel_size_mm, value)`` returning a new image in the same units.  Here the
parameter is the filter's width in voxels (odd); width 1 leaves the image as it is.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from positrix.recon.methods import PostProcessMethod


def run(image, voxel_size_mm, value):
    """Median over a cube of ``value`` voxels (the input is not modified)."""
    width = int(value)
    data = np.array(image, dtype=np.float32)
    if width <= 1:
        return data
    return ndimage.median_filter(data, size=width, mode="nearest")


METHOD = PostProcessMethod(
    "median",
    "3-D median filter of OSEM (example plugin)",
    run,
    values=(1.0, 3.0, 5.0),
    parameter="width_voxels",
)
