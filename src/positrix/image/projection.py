"""Maximum-intensity projection."""

from __future__ import annotations

from positrix.image.image import Image

__all__ = ["maximum_intensity_projection"]


def maximum_intensity_projection(image: Image, *, axis: int) -> Image:
    """Maximum along one spatial axis (0 = i, 1 = j, 2 = k), per frame.

    Returns an image whose ``axis`` has length 1, placed at the first slice of the input
    along that axis; unit and timing are kept.

    Examples
    --------
    >>> import numpy as np
    >>> img = Image(np.arange(8.0).reshape(2, 2, 2), np.eye(4), unit="Bq/mL")
    >>> maximum_intensity_projection(img, axis=2).data[..., 0].tolist()
    [[1.0, 3.0], [5.0, 7.0]]
    """
    if axis not in (0, 1, 2):
        raise ValueError(f"axis must be 0, 1 or 2 (a spatial axis), got {axis}")
    return image.replace(data=image.data.max(axis=axis, keepdims=True))
