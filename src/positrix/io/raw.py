"""Raw voxel files shared by the Interfile and Inveon formats (``x`` varies fastest)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from positrix.errors import FileFormatError
from positrix.image.image import Image

__all__ = ["read_raw_volume", "write_raw_frames"]


def write_raw_frames(image: Image, path: Path, *, dtype: str = "<f4") -> int:
    """Write every frame of ``image`` one after the other, ``x`` fastest; returns bytes/frame."""
    data = np.asarray(image.data, dtype=dtype)
    with open(path, "wb") as handle:
        for f in range(image.n_frames):
            volume = data[..., f] if image.is_dynamic else data
            handle.write(np.asfortranarray(volume).tobytes(order="F"))
    return int(np.prod(image.spatial_shape)) * np.dtype(dtype).itemsize


def read_raw_volume(
    path: Path,
    *,
    dtype: np.dtype,
    shape: tuple[int, int, int],
    offset: int,
    frame: int,
    size_fields: str,
) -> NDArray[np.float64]:
    """One volume (``x`` fastest) from ``offset``; a clear error if the file is too short.

    ``size_fields`` names the header fields that set the size, for the error message.
    """
    voxels = int(np.prod(shape))
    end = offset + voxels * dtype.itemsize
    size = path.stat().st_size
    if end > size:
        raise FileFormatError(
            f"frame {frame} needs bytes {offset}..{end} but the data file has {size}",
            source=path,
            field=size_fields,
            fix="the data file is truncated, or the header does not match it",
        )
    raw = np.fromfile(path, dtype=dtype, count=voxels, offset=offset)
    return raw.astype(np.float64).reshape(shape, order="F")
