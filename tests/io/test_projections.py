"""Projection stacks: .npy, a TIFF folder in name order, a multi-page TIFF; bad stacks named."""

from __future__ import annotations

import numpy as np
import pytest
import tifffile

from positrix.errors import FileFormatError
from positrix.io.projections import read_projections


def test_npy_folder_and_multipage_tiff_read_the_same(tmp_path):
    stack = np.arange(3 * 4 * 5, dtype=np.uint16).reshape(3, 4, 5)
    np.save(tmp_path / "p.npy", stack)
    folder = tmp_path / "views"
    folder.mkdir()
    for i in (2, 0, 1):  # written out of order: read in name order
        tifffile.imwrite(folder / f"view_{i:03d}.tif", stack[i])
    tifffile.imwrite(tmp_path / "p.tif", stack)
    for source in (tmp_path / "p.npy", folder, tmp_path / "p.tif"):
        data = read_projections(source)
        assert data.dtype == np.float32
        np.testing.assert_array_equal(data, stack)


def test_bad_stacks_are_named(tmp_path):
    folder = tmp_path / "views"
    folder.mkdir()
    with pytest.raises(FileFormatError, match=r"no \.tif"):
        read_projections(folder)
    tifffile.imwrite(folder / "a.tif", np.zeros((4, 5), np.uint16))
    tifffile.imwrite(folder / "b.tif", np.zeros((4, 6), np.uint16))
    with pytest.raises(FileFormatError, match="different sizes"):
        read_projections(folder)
    np.save(tmp_path / "nan.npy", np.full((2, 2, 2), np.nan))
    with pytest.raises(FileFormatError, match="NaN"):
        read_projections(tmp_path / "nan.npy")
    (tmp_path / "p.raw").write_bytes(b"\0" * 8)
    with pytest.raises(FileFormatError, match="unknown projection format"):
        read_projections(tmp_path / "p.raw")
