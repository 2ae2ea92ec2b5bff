"""Raw voxel files shared by the Interfile and Inveon formats (``x`` varies fastest)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from positrix.image.image import Image

__all__ = ["write_raw_frames"]


def write_raw_frames(image: Image, path: Path, *, dtype: str = "<f4") -> int:
    """Write every frame of ``image`` one after the other, ``x`` fastest; returns bytes/frame."""
    data = np.asarray(image.data, dtype=dtype)
    with open(path, "wb") as handle:
        for f in range(image.n_frames):
            volume = data[..., f] if image.is_dynamic else data
            handle.write(np.asfortranarray(volume).tobytes(order="F"))
    return int(np.prod(image.spatial_shape)) * np.dtype(dtype).itemsize
