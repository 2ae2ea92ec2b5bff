import dataclasses

import numpy as np
import pytest

from positrix.errors import FileFormatError, PositrixError
from positrix.geometry import get_scanner, load_scanner


@pytest.mark.parametrize(
    ("name", "per_ring", "rings", "axial_mm"),
    [
        ("inveon", 320, 80, 127.2),
        ("nanoscan", 468, 81, 94.77),
    ],
)
def test_builtin_geometries_match_the_published_layout(name, per_ring, rings, axial_mm):
    scanner = get_scanner(name)
    assert scanner.crystals_per_ring == per_ring and scanner.n_rings == rings
    assert scanner.axial_fov_mm == pytest.approx(axial_mm)
    xy = scanner.transaxial_positions_mm()
    radius = np.hypot(xy[:, 0], xy[:, 1])
    # flat blocks: the block centre is at ring radius + DOI, block edges a little further out
    assert radius.min() >= scanner.ring_diameter_mm / 2 + scanner.mean_doi_mm - 1e-9
    neighbours = np.linalg.norm(np.diff(xy[: scanner.crystals_per_block], axis=0), axis=1)
    np.testing.assert_allclose(neighbours, scanner.transaxial_pitch_mm)
    z = scanner.ring_z_mm()
    assert z[0] == pytest.approx(-z[-1]) and np.diff(z)[0] == pytest.approx(scanner.axial_pitch_mm)


def test_lor_endpoints():
    scanner = get_scanner("inveon")
    a, b = scanner.lor_endpoints(np.array([0]), np.array([0]), np.array([79]), np.array([160]))
    assert a.shape == (1, 3) and b[0, 2] == pytest.approx(scanner.ring_z_mm()[-1])
    assert np.linalg.norm(a[0, :2] + b[0, :2]) < 1e-9  # opposite crystals across the centre


def test_unknown_scanner_and_toml_files(tmp_path):
    with pytest.raises(PositrixError, match="inveon"):
        get_scanner("petscanner9000")
    good = tmp_path / "mini.toml"
    good.write_text(
        'name = "mini"\nblocks_per_ring = 8\ncrystals_per_block = 4\nn_rings = 4\n'
        "transaxial_pitch_mm = 2.0\naxial_pitch_mm = 2.0\n"
        "crystal_size_mm = [1.9, 1.9, 10]\nring_diameter_mm = 60.0\n"
        "mean_doi_mm = 5.0\n"
    )
    mini = load_scanner(good)
    assert mini.crystals_per_ring == 32 and mini.crystal_size_mm == (1.9, 1.9, 10.0)
    bad = tmp_path / "bad.toml"
    bad.write_text(good.read_text() + "colour = 3\n")
    with pytest.raises(FileFormatError, match="colour"):
        load_scanner(bad)
    overlap = tmp_path / "overlap.toml"
    overlap.write_text(
        good.read_text().replace("crystals_per_block = 4", "crystals_per_block = 40")
    )
    with pytest.raises(PositrixError, match="overlap"):
        load_scanner(overlap)


def test_impossible_scanner_files_are_refused(tmp_path):
    """Issue 19: overlapping crystals, an energy window without the photopeak, a TOF bin
    wider than the coincidence window: each named in the error."""
    base = (
        'name = "x"\nblocks_per_ring = 8\ncrystals_per_block = 4\nn_rings = 4\n'
        "transaxial_pitch_mm = 2.0\naxial_pitch_mm = 2.0\nring_diameter_mm = 60.0\n"
        "mean_doi_mm = 5.0\n"
    )
    cases = {
        "crystal_size_mm = [2.2, 1.9, 10]\n": "overlap",
        "crystal_size_mm = [1.9, 1.9, 10]\nenergy_window_kev = [520.0, 650.0]\n": "511 keV",
        "crystal_size_mm = [1.9, 1.9, 10]\ncoincidence_window_ns = 2.0\n"
        "tof_resolution_ps = 300.0\ntof_bins = 5\ntof_bin_ps = 2500.0\n": "wider than",
        "crystal_size_mm = [1.9, 1.9, 10]\ntof_bins = 5\ntof_bin_ps = 100.0\n": "time resolution",
        "crystal_size_mm = [1.9, 1.9, 4]\n": "mean_doi_mm",
        # 4 rings are not blocks of 2 with a 1-ring gap (2 + 1 + 2 = 5 would be)
        "crystal_size_mm = [1.9, 1.9, 10]\nrings_per_block = 2\ngap_rings = 1\n": "whole blocks",
        "crystal_size_mm = [1.9, 1.9, 10]\ngap_rings = 1.5\n": "whole number",
    }
    for extra, message in cases.items():
        path = tmp_path / "bad.toml"
        path.write_text(base + extra)
        with pytest.raises(PositrixError, match=message) as info:
            load_scanner(path)
        assert str(path) in str(info.value)
    good = tmp_path / "tof.toml"
    good.write_text(
        base + "crystal_size_mm = [1.9, 1.9, 10]\ntof_resolution_ps = 300.0\ntof_bins = 9\n"
        "tof_bin_ps = 300.0\ndoi_layers = 2\n"
    )
    scanner = load_scanner(good)
    assert (scanner.tof_bins, scanner.doi_layers, scanner.tof_resolution_ps) == (9, 2, 300.0)


def test_box_geometries_fit_and_overlapping_panels_are_refused():
    """Four flat panels are a ring of four blocks: each may be as wide as the bore (the
    square's side D·tan 45°); a fifth of that width more would overlap the corners."""
    box = load_scanner("docs/examples/box4.toml")
    assert box.crystals_per_ring == 192
    xy = box.transaxial_positions_mm()
    # every crystal lies on one of the four faces of the square (at the mean DOI)
    assert np.allclose(np.max(np.abs(xy), axis=1), 40.0 + 3.5)
    with pytest.raises(PositrixError, match="do not fit 4 to a ring of 80 mm"):
        dataclasses.replace(box, crystals_per_block=51)
