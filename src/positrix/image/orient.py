"""Exact reorientation: permute and flip axes so they point in given world directions."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from positrix.errors import PositrixError
from positrix.image.image import Image

__all__ = ["reorient"]


def reorient(image: Image, directions: ArrayLike) -> Image:
    """Permute and flip the spatial axes so that axis ``a`` points along ``directions[:, a]``.

    No interpolation: every voxel keeps its value and its world position.

    Parameters
    ----------
    image
        Image whose axes are aligned with the world axes (in any order and sign).
    directions
        3×3 matrix whose columns are the wanted unit directions (LPS) of ``i, j, k``,
        each ± a world axis.

    Raises
    ------
    PositrixError
        When the image axes are oblique to the wanted ones (resample instead).

    Examples
    --------
    >>> import numpy as np
    >>> img = Image(np.arange(8.0).reshape(2, 2, 2), np.diag([-1.0, 1, 1, 1]), unit="Bq/mL")
    >>> out = reorient(img, np.eye(3))
    >>> out.affine[:3, 3].tolist(), float(out.data[0, 0, 0])
    ([-1.0, 0.0, 0.0], 4.0)
    """
    wanted = np.asarray(directions, dtype=np.float64)
    columns = image.affine[:3, :3]
    unit = columns / np.linalg.norm(columns, axis=0)
    # cos[a, b]: cosine between current axis a and wanted axis b
    cos = unit.T @ wanted
    source = np.argmax(np.abs(cos), axis=0)
    if sorted(source.tolist()) != [0, 1, 2] or not np.allclose(
        np.abs(cos[source, [0, 1, 2]]), 1.0, atol=1e-6
    ):
        raise PositrixError(
            "the image axes are oblique to the wanted orientation",
            field="affine",
            fix="resample onto a grid with the wanted orientation (positrix.image.resample_to)",
        )
    data = np.moveaxis(image.data, list(source), [0, 1, 2])
    affine = np.eye(4)
    affine[:3, :3] = columns[:, source]
    affine[:3, 3] = image.affine[:3, 3]
    shape = data.shape[:3]
    for axis in range(3):
        if cos[source[axis], axis] < 0:
            data = np.flip(data, axis=axis)
            affine[:3, 3] += affine[:3, axis] * (shape[axis] - 1)
            affine[:3, axis] *= -1
    return image.replace(data=np.ascontiguousarray(data), affine=affine)
