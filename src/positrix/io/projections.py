"""Cone-beam projection stacks: a NumPy ``.npy`` array, a folder of TIFF images (one per
view, in file-name order) or one multi-page TIFF, always ``(n_angles, rows, columns)``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from positrix.errors import FileFormatError

__all__ = ["read_projections"]

_TIFF = (".tif", ".tiff")


def _check(data: NDArray[np.generic], path: Path) -> NDArray[np.float32]:
    if data.ndim == 2:
        data = data[None]
    if data.ndim != 3 or min(data.shape) < 1:
        raise FileFormatError(
            f"a projection stack of shape {data.shape}",
            source=path,
            field="PROJECTIONS",
            fix="store angles × rows × columns",
        )
    if not np.issubdtype(data.dtype, np.number):
        raise FileFormatError(f"values of type {data.dtype}", source=path, field="PROJECTIONS")
    values = data.astype(np.float32)
    if not np.all(np.isfinite(values)):
        raise FileFormatError(
            "the stack holds NaN or infinite values", source=path, field="PROJECTIONS"
        )
    return values


def read_projections(path: str | Path) -> NDArray[np.float32]:
    """The stack at ``path`` as float32 ``(n_angles, rows, cols)``.

    Raises
    ------
    FileFormatError
        For an unknown format, an empty folder, images of different sizes or non-numbers.
    """
    source = Path(path)
    if source.is_dir():
        files = sorted(p for p in source.iterdir() if p.suffix.lower() in _TIFF)
        if not files:
            raise FileFormatError(
                "no .tif/.tiff files in the folder",
                source=source,
                field="PROJECTIONS",
                fix="one TIFF image per view, named in acquisition order",
            )
        import tifffile

        views = [np.asarray(tifffile.imread(f)) for f in files]
        shapes = {v.shape for v in views}
        if len(shapes) != 1 or views[0].ndim != 2:
            odd = next(f for f, v in zip(files, views, strict=True) if v.shape != views[0].shape)
            raise FileFormatError(
                f"views of different sizes ({sorted(shapes)}), e.g. {odd.name}",
                source=source,
                field="PROJECTIONS",
                fix="every view must be one 2-D image of the panel's size",
            )
        return _check(np.stack(views), source)
    if not source.is_file():
        raise FileFormatError("no such file or folder", source=source, field="PROJECTIONS")
    suffix = source.suffix.lower()
    if suffix == ".npy":
        try:
            data = np.load(source, allow_pickle=False)
        except ValueError as err:
            raise FileFormatError(f"not a NumPy array ({err})", source=source) from err
        return _check(data, source)
    if suffix in _TIFF:
        import tifffile

        return _check(np.asarray(tifffile.imread(source)), source)
    raise FileFormatError(
        f"unknown projection format '{suffix}'",
        source=source,
        field="PROJECTIONS",
        fix="give a .npy array, a multi-page .tif, or a folder of .tif views",
    )
