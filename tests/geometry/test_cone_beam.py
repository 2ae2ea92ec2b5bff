"""Cone-beam geometry: derived quantities from the definitions, TOML with clear errors."""

from __future__ import annotations

import math

import pytest

from positrix.errors import FileFormatError, PositrixError
from positrix.geometry.cone_beam import (
    ConeBeamGeometry,
    get_ct_geometry,
    load_ct_geometry,
)


def test_field_of_view_and_default_grid():
    g = get_ct_geometry("microct-mouse")
    assert g.magnification == pytest.approx(1.75, rel=1e-12)
    # half panel 25.6 mm at 350 mm: r = 200 · sin(atan(25.6/350))
    assert g.fov_radius_mm == pytest.approx(200 * math.sin(math.atan(25.6 / 350)), rel=1e-12)
    assert g.fov_length_mm == pytest.approx(51.2 / 1.75, rel=1e-12)
    shape, size = g.grid()
    assert size == pytest.approx(0.1 / 1.75, rel=1e-12)
    assert shape[0] == math.ceil(2 * g.fov_radius_mm / size) and shape[2] == 512


def test_toml_with_an_angle_range(tmp_path):
    path = tmp_path / "g.toml"
    path.write_text(
        "source_to_isocenter_mm = 100\nsource_to_detector_mm = 200\ndetector_rows = 64\n"
        "detector_cols = 96\npixel_pitch_mm = 0.2\n"
        "angles_deg = {start = 0, stop = 360, count = 90}\n"
        "detector_offset_mm = [0.5, 0]\nvoxels = [48, 48, 32]\nvoxel_size_mm = 0.1\n",
        encoding="utf-8",
    )
    g = load_ct_geometry(path)
    assert len(g.angles_deg) == 90 and g.angles_deg[1] == pytest.approx(4.0)
    assert g.grid() == ((48, 48, 32), 0.1) and g.name == "g"
    assert g.detector_offset_mm == (0.5, 0.0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "source_to_isocenter_mm = 300\nsource_to_detector_mm = 200\ndetector_rows = 4\n"
            "detector_cols = 4\npixel_pitch_mm = 1\nangles_deg = [0, 90]\n",
            "0 < source_to_isocenter",
        ),
        (
            "source_to_isocenter_mm = 100\nsource_to_detector_mm = 200\ndetector_rows = 4.5\n"
            "detector_cols = 4\npixel_pitch_mm = 1\nangles_deg = [0, 90]\n",
            "whole number",
        ),
        ("source_to_isocenter_mm = 100\nsource_to_detector_mm = 200\n", "missing key"),
        ("source_to_isocenter_mm = 100\nsid = 3\n", "unknown key"),
        (
            "source_to_isocenter_mm = 100\nsource_to_detector_mm = 200\ndetector_rows = 4\n"
            "detector_cols = 4\npixel_pitch_mm = 1\nangles_deg = 'all'\n",
            "angles_deg",
        ),
    ],
)
def test_bad_files_name_the_key(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises((FileFormatError, PositrixError), match=message) as err:
        load_ct_geometry(path)
    assert "bad.toml" in str(err.value)


def test_direct_construction_is_checked():
    with pytest.raises(PositrixError, match="projection angle"):
        ConeBeamGeometry(100, 200, 4, 4, 0.5, angles_deg=(0.0,))
    with pytest.raises(PositrixError, match="unknown CT geometry"):
        get_ct_geometry("nope")
