"""Cropping an image to a box of voxels (the affine follows)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from positrix.errors import PositrixError
from positrix.image.image import Image

__all__ = ["crop"]


def crop(image: Image, *, start: Sequence[int], stop: Sequence[int]) -> Image:
    """Keep voxels ``start[a] <= index[a] < stop[a]`` along each spatial axis.

    The affine is shifted so that every kept voxel keeps its world position.

    Examples
    --------
    >>> import numpy as np
    >>> img = Image(np.zeros((10, 10, 10)), np.eye(4), unit="Bq/mL")
    >>> small = crop(img, start=(2, 2, 2), stop=(6, 8, 10))
    >>> small.spatial_shape, small.affine[:3, 3].tolist()
    ((4, 6, 8), [2.0, 2.0, 2.0])
    """
    lo = np.asarray(start, dtype=int)
    hi = np.asarray(stop, dtype=int)
    shape = np.asarray(image.spatial_shape)
    if (
        lo.shape != (3,)
        or hi.shape != (3,)
        or np.any(lo < 0)
        or np.any(hi > shape)
        or np.any(hi <= lo)
    ):
        raise PositrixError(
            f"crop box {tuple(lo)}..{tuple(hi)} is empty or outside the image {tuple(shape)}",
            field="crop",
            fix="give 0 <= start < stop <= shape for each of the three axes",
        )
    slices = tuple(slice(int(a), int(b)) for a, b in zip(lo, hi, strict=True))
    affine = np.array(image.affine)
    affine[:3, 3] = image.grid.index_to_world(lo)
    return image.replace(data=image.data[slices], affine=affine)
