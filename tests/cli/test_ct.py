"""``positrix ct`` and ``positrix register``: simulate → reconstruct → calibrate → HU →
segment → register, end to end on small grids; bad input answered."""

from __future__ import annotations

import json

import numpy as np
import pytest

from positrix.cli.main import main
from positrix.io import load

GEOMETRY = """name = "test-microct"
source_to_isocenter_mm = 200.0
source_to_detector_mm = 300.0
detector_rows = 40
detector_cols = 136
pixel_pitch_mm = 0.4
angles_deg = {start = 0, stop = 360, count = 120}
voxels = [80, 80, 24]
voxel_size_mm = 0.4
"""


@pytest.fixture(scope="module")
def scans(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ct")
    geometry = folder / "g.toml"
    geometry.write_text(GEOMETRY, encoding="utf-8")
    g = str(geometry)
    for name, seed in (("water", 1), ("mouse", 2)):
        args = ["ct", "simulate", name, "--geometry", g, "--kvp", "50", "--photons", "2e5"]
        assert main([*args, "--seed", str(seed), "-o", str(folder / f"{name}.npy")]) == 0
    return folder, g


def _raw(folder, name):
    return [
        str(folder / f"{name}.npy"),
        "--flat",
        str(folder / f"{name}-flat.npy"),
        "--dark",
        str(folder / f"{name}-dark.npy"),
    ]


def test_calibrated_water_and_air(scans, capsys):
    folder, g = scans
    phantom, cal = folder / "water.nii.gz", folder / "cal.toml"
    assert (
        main(
            [
                "ct",
                "recon",
                *_raw(folder, "water"),
                "--geometry",
                g,
                "--kvp",
                "50",
                "-o",
                str(phantom),
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert main(["ct", "calibrate", str(phantom), "-o", str(cal), "--json"]) == 0
    measured = json.loads(capsys.readouterr().out)
    # µ of water for the 50 kV spectrum after the water pre-correction: the spectrum's mean
    # µ (0.0683 /mm, NIST water × Kramers + 0.5 mm Al), within 1 %
    assert measured["mu_water_per_mm"] == pytest.approx(0.0683, rel=0.01)
    assert main(["ct", "calibrate", str(phantom), "-o", str(cal)]) == 2  # never overwritten
    hu = folder / "water-hu.nii.gz"
    assert (
        main(
            [
                "ct",
                "recon",
                *_raw(folder, "water"),
                "--geometry",
                g,
                "--kvp",
                "50",
                "--calibration",
                str(cal),
                "-o",
                str(hu),
                "--json",
            ]
        )
        == 0
    )
    summary = json.loads(capsys.readouterr().out)
    assert summary["unit"] == "HU" and summary["shape"] == [80, 80, 24]
    image = load(hu)
    axes = [(np.arange(n) - (n - 1) / 2) * 0.4 for n in image.spatial_shape]
    x, y, z = np.meshgrid(*axes, indexing="ij")
    r, middle = np.sqrt(x**2 + y**2), np.abs(z) < 2.5
    # the water cylinder (Ø 25 mm) at 0 ± 5 HU, the air around it at −1000 ± 10 HU
    assert abs(float(image.data[(r < 10) & middle].mean())) < 5
    assert float(image.data[(r > 13.5) & (r < 15) & middle].mean()) == pytest.approx(-1000, abs=10)


def test_mouse_segmentation_and_registration(scans, capsys, tmp_path):
    folder, g = scans
    cal = tmp_path / "cal.toml"
    phantom = tmp_path / "water.nii.gz"
    main(
        ["ct", "recon", *_raw(folder, "water"), "--geometry", g, "--kvp", "50", "-o", str(phantom)]
    )
    main(["ct", "calibrate", str(phantom), "-o", str(cal)])
    mouse = tmp_path / "mouse.nii.gz"
    assert (
        main(
            [
                "ct",
                "recon",
                *_raw(folder, "mouse"),
                "--geometry",
                g,
                "--kvp",
                "50",
                "--calibration",
                str(cal),
                "--algorithm",
                "sart",
                "--iterations",
                "3",
                "-o",
                str(mouse),
            ]
        )
        == 0
    )
    capsys.readouterr()
    labels = tmp_path / "labels.nii.gz"
    assert (
        main(
            [
                "ct",
                "segment",
                str(mouse),
                "-o",
                str(labels),
                "--mu-map",
                str(tmp_path / "mu.nii.gz"),
                "--json",
            ]
        )
        == 0
    )
    volumes = json.loads(capsys.readouterr().out)["volumes_ml"]
    # the digital mouse's body is an ellipse of 13 × 11 mm semi-axes: 9.6 mm of it in the
    # 24 × 0.4 mm slab is π·13·11·9.6 mm³ = 4.31 mL (within 5 %, partial volume at the skin)
    assert volumes["body"] == pytest.approx(np.pi * 13 * 11 * 9.6 / 1000, rel=0.05)
    mu = load(tmp_path / "mu.nii.gz")
    assert mu.unit == "1/mm" and float(mu.data.max()) < 0.02
    moved = tmp_path / "moved.nii.gz"
    assert main(["register", str(mouse), str(mouse), "-o", str(moved), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["rotation_deg"] < 0.1 and max(map(abs, result["translation_mm"])) < 0.05
    assert (tmp_path / "moved.tfm").exists()
    # applying the saved transform to the labels keeps them whole numbers
    again = tmp_path / "labels-moved.nii.gz"
    assert (
        main(
            [
                "register",
                str(labels),
                str(mouse),
                "--transform",
                str(tmp_path / "moved.tfm"),
                "-o",
                str(again),
            ]
        )
        == 0
    )
    assert set(np.unique(load(again).data)) <= {0.0, 1.0, 2.0, 3.0}


def test_bad_input(scans, tmp_path, capsys):
    folder, g = scans
    np.save(tmp_path / "wrong.npy", np.zeros((10, 40, 136), np.float32))
    assert (
        main(
            [
                "ct",
                "recon",
                str(tmp_path / "wrong.npy"),
                "--geometry",
                g,
                "-o",
                str(tmp_path / "x.nii.gz"),
            ]
        )
        == 2
    )
    assert "expects 120 × 40 × 136" in capsys.readouterr().err
    assert (
        main(
            [
                "ct",
                "recon",
                str(folder / "water.npy"),
                "--geometry",
                g,
                "-o",
                str(tmp_path / "x.nii.gz"),
            ]
        )
        == 2
    )
    assert "raw detector intensities" in capsys.readouterr().err
    bad = tmp_path / "bad.toml"
    bad.write_text(GEOMETRY.replace("source_to_detector_mm = 300.0", ""), encoding="utf-8")
    assert (
        main(
            [
                "ct",
                "recon",
                str(folder / "water.npy"),
                "--geometry",
                str(bad),
                "-o",
                str(tmp_path / "x.nii.gz"),
            ]
        )
        == 2
    )
    assert "source_to_detector_mm" in capsys.readouterr().err
    assert (
        main(
            [
                "ct",
                "recon",
                str(folder / "water.npy"),
                "--geometry",
                "nanoct",
                "-o",
                str(tmp_path / "x.nii.gz"),
            ]
        )
        == 2
    )
    assert "unknown CT geometry" in capsys.readouterr().err
