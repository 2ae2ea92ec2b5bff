"""Sinogram layout: michelogram counts, bijective transaxial binning, histogramming, SSRB."""

import numpy as np
import pytest

from positrix.errors import PositrixError
from positrix.geometry import get_scanner
from positrix.geometry.scanner import ScannerGeometry
from positrix.geometry.sinogram import SinogramLayout, histogram_events, ssrb
from tests.scanners import mini_scanner

MINI = mini_scanner(8)


def test_inveon_span3_layout_has_the_published_size():
    layout = SinogramLayout(get_scanner("inveon"), span=3, max_ring_difference=79)
    # 128 radial bins × 160 views, 4319 planes (2·80 − 1 + 2·Σ_{k=1}^{26} (161 − 6k))
    assert layout.shape == (4319, 160, 128)
    assert len(layout.segments) == 53
    # every ring pair is binned exactly once
    assert layout.ring_pairs_per_plane.sum() == 80 * 80
    assert layout.shape[0] * layout.shape[1] * layout.shape[2] == 88_453_120


def test_span1_keeps_every_ring_pair_in_its_own_plane():
    layout = SinogramLayout(MINI, span=1)
    assert layout.n_planes == 64
    assert np.all(layout.ring_pairs_per_plane == 1)


ODD_HALF = ScannerGeometry(
    name="odd",
    blocks_per_ring=10,
    crystals_per_block=15,
    n_rings=4,
    transaxial_pitch_mm=3.0,
    axial_pitch_mm=3.0,
    crystal_size_mm=(2.9, 2.9, 10.0),
    ring_diameter_mm=161.0,
    mean_doi_mm=4.0,
)


@pytest.mark.parametrize("scanner", [MINI, get_scanner("nanoscan"), ODD_HALF])
def test_transaxial_binning_is_one_crystal_pair_per_bin(scanner):
    # ODD_HALF: 150 crystals per ring, n/2 odd (review finding: pairs went to wrong bins)
    layout = SinogramLayout(scanner)
    n = scanner.crystals_per_ring
    a, b = np.triu_indices(n, 1)
    view, radial, inside, _ = layout.transaxial_bin(a, b)
    keys = view[inside] * layout.n_radial + radial[inside]
    assert keys.size == layout.n_views * layout.n_radial == np.unique(keys).size
    pairs = layout.bin_crystals[view[inside], radial[inside]]
    got = np.sort(pairs, axis=1)
    np.testing.assert_array_equal(got, np.column_stack([a[inside], b[inside]]))


def test_view_angles_and_radial_positions_match_the_lors():
    layout = SinogramLayout(get_scanner("inveon"))
    xy = layout.bin_xy_mm
    phi = layout.view_angles_rad()
    normal = np.stack([np.cos(phi), np.sin(phi)], -1)[:, None, :]
    middle = 0.5 * (xy[..., :2] + xy[..., 2:])
    # block (flat-face) geometry: LOR normals within 1° of the view angle; signed distance
    # within 2 mm of the tabulated radial position
    d = xy[..., 2:] - xy[..., :2]
    angle = np.mod(np.arctan2(d[..., 1], d[..., 0]) + np.pi / 2, np.pi)
    error = np.angle(np.exp(2j * (angle - phi[:, None]))) / 2
    assert np.degrees(np.abs(error)).max() < 1.0
    assert np.abs(np.sum(middle * normal, -1) - layout.radial_mm()).max() < 2.0


def test_histogram_is_symmetric_in_the_pair_order_and_conserves_counts():
    layout = SinogramLayout(MINI, span=3, max_ring_difference=5)
    rng = np.random.default_rng(3)
    n = 20_000
    r1, r2 = rng.integers(0, 8, n), rng.integers(0, 8, n)
    c1 = rng.integers(0, 160, n)
    c2 = (c1 + rng.integers(50, 110, n)) % 160
    sino = histogram_events(layout, r1, c1, r2, c2)
    np.testing.assert_array_equal(sino, histogram_events(layout, r2, c2, r1, c1))
    flat = layout.bin_index(r1, c1, r2, c2)
    expected_kept = np.sum(flat >= 0)
    assert sino.sum() == expected_kept
    # only events beyond the maximum ring difference or radial FOV are dropped
    _, _, inside, _ = layout.transaxial_bin(c1, c2)
    assert expected_kept == np.sum(inside & (np.abs(r1 - r2) <= 5))


def test_ssrb_sums_all_ring_pairs_at_one_axial_position():
    layout = SinogramLayout(MINI, span=3)
    ones = np.ones(layout.shape, np.float32) * layout.ring_pairs_per_plane[:, None, None]
    total = ssrb(layout, ones, average=False)
    assert total.shape == (15, layout.n_views, layout.n_radial)
    # direct plane at ring sum s gathers every ring pair with that sum
    counts = [sum(1 for a in range(8) for b in range(8) if a + b == s) for s in range(15)]
    np.testing.assert_allclose(total[:, 0, 0], counts)
    np.testing.assert_allclose(ssrb(layout, ones), 1.0)


def test_bad_layouts_and_events_are_refused():
    with pytest.raises(PositrixError, match="span"):
        SinogramLayout(MINI, span=2)
    with pytest.raises(PositrixError, match="maximum ring difference"):
        SinogramLayout(MINI, max_ring_difference=8)
    layout = SinogramLayout(MINI)
    with pytest.raises(PositrixError, match="crystal_2"):
        layout.bin_index([0], [0], [0], [999])
    with pytest.raises(PositrixError, match="planes × views × radial"):
        layout.check(np.zeros((3, 4, 5)))


def test_lor_angle_offset_of_lines_through_two_points():
    from positrix.geometry.sinogram import lor_angle_offset

    start = np.array([[10.0, -50.0, 0.0], [-40.0, 5.0, 3.0], [10.0, 50.0, 0.0]])
    end = np.array([[10.0, 50.0, 9.0], [40.0, 5.0, 3.0], [10.0, -50.0, 0.0]])
    phi, s = lor_angle_offset(start, end)
    # a vertical line at x = 10: normal along x; a horizontal one at y = 5: normal along y;
    # the same line with its ends swapped gives the same (φ, s)
    assert phi == pytest.approx([0.0, np.pi / 2, 0.0], abs=1e-12)
    assert s == pytest.approx([10.0, 5.0, 10.0], abs=1e-12)
