"""Resampling an image onto another grid (world coordinates are kept)."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from positrix.image.grid import Grid
from positrix.image.image import Image

__all__ = ["resample_to"]


def resample_to(
    image: Image, target: Image | Grid, *, order: int = 1, fill_value: float = 0.0
) -> Image:
    """Resample ``image`` onto the grid of ``target``.

    Each output voxel takes the value interpolated at its world position; voxels outside
    the input field of view get ``fill_value``.  Unit, frames, decay reference and
    metadata are kept; values are not rescaled (a concentration stays a concentration).

    Parameters
    ----------
    image
        Image to resample, 3-D or 4-D (each frame resampled alike).
    target
        An image or grid that defines the output shape and affine.
    order
        Spline order: 0 nearest neighbour (labels), 1 trilinear (default), 3 cubic.
    fill_value
        Value outside the input field of view (e.g. -1000 for CT in HU).

    Returns
    -------
    Image
        The resampled image, shape ``target.shape (+ t)``.
    """
    grid = target.grid if isinstance(target, Image) else target
    # output index -> world -> input index
    transform = np.linalg.inv(image.affine) @ grid.affine
    # Round off float noise (~1e-16) so that voxels on the edge of the input stay inside.
    transform = np.round(transform, 9)
    matrix, offset = transform[:3, :3], transform[:3, 3]

    def one(volume: np.ndarray) -> np.ndarray:
        return ndimage.affine_transform(
            np.asarray(volume, dtype=np.float64),
            matrix,
            offset=offset,
            output_shape=grid.shape,
            order=order,
            mode="constant",
            cval=fill_value,
            prefilter=order > 1,
        ).astype(image.data.dtype)

    if image.is_dynamic:
        data = np.stack([one(image.data[..., t]) for t in range(image.n_frames)], axis=-1)
    else:
        data = one(image.data)
    return image.replace(data=data, affine=grid.affine)
