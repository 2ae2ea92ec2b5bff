"""Interfile projection data (.hs/.s): round trip, STIR view/axial order, wrong layouts."""

import numpy as np
import pytest

from positrix.errors import FileFormatError, OverwriteError
from positrix.geometry.scanner import ScannerGeometry
from positrix.geometry.sinogram import SinogramLayout
from positrix.io.interfile_sinogram import read_sinogram, write_sinogram
from tests.scanners import mini_scanner

MINI = mini_scanner(8)


def test_round_trip_keeps_every_value_and_the_header(tmp_path):
    layout = SinogramLayout(MINI, span=3)
    data = np.random.default_rng(0).random(layout.shape).astype(np.float32)
    written = write_sinogram(tmp_path / "p.hs", layout, data, duration_s=600, nuclide="F-18")
    assert [p.name for p in written] == ["p.hs", "p.s"]
    back = read_sinogram(tmp_path / "p.hs", MINI)
    np.testing.assert_array_equal(back.data, data)
    assert back.layout == layout and back.duration_s == 600 and back.nuclide == "F-18"
    with pytest.raises(OverwriteError):
        write_sinogram(tmp_path / "p.hs", layout, data)


def test_view_before_axial_storage_order_is_read(tmp_path):
    layout = SinogramLayout(MINI, span=3)
    data = np.random.default_rng(1).random(layout.shape).astype(np.float32)
    write_sinogram(tmp_path / "p.hs", layout, data)
    header = (tmp_path / "p.hs").read_text()
    counts = np.diff(layout.segment_planes)
    # rewrite as STIR's default order: segment, view, axial, tangential
    blocks = [
        data[a:b].transpose(1, 0, 2).ravel()
        for a, b in zip(layout.segment_planes[:-1], layout.segment_planes[1:], strict=True)
    ]
    np.concatenate(blocks).astype("<f4").tofile(tmp_path / "p.s")
    header = header.replace(
        "matrix axis label [3] := axial coordinate", "matrix axis label [3] := view"
    )
    header = header.replace(
        "matrix axis label [2] := view", "matrix axis label [2] := axial coordinate"
    )
    sizes = "{" + ",".join(str(c) for c in counts) + "}"
    header = header.replace(f"!matrix size [3] := {sizes}", f"!matrix size [3] := {layout.n_views}")
    header = header.replace(f"!matrix size [2] := {layout.n_views}", f"!matrix size [2] := {sizes}")
    (tmp_path / "p.hs").write_text(header)
    np.testing.assert_array_equal(read_sinogram(tmp_path / "p.hs", MINI).data, data)


def test_a_sinogram_of_another_scanner_is_refused(tmp_path):
    layout = SinogramLayout(MINI, span=3)
    write_sinogram(tmp_path / "p.hs", layout, np.zeros(layout.shape))
    other = ScannerGeometry(
        name="other",
        blocks_per_ring=16,
        crystals_per_block=12,
        n_rings=8,
        transaxial_pitch_mm=2.6,
        axial_pitch_mm=3.18,
        crystal_size_mm=(2.5, 2.5, 10.0),
        ring_diameter_mm=161.0,
        mean_doi_mm=4.58,
    )
    with pytest.raises(FileFormatError, match="does not fit scanner"):
        read_sinogram(tmp_path / "p.hs", other)
    (tmp_path / "p.s").write_bytes(b"\0" * 16)
    with pytest.raises(FileFormatError, match="should hold"):
        read_sinogram(tmp_path / "p.hs", MINI)
