"""``positrix neuro`` and ``positrix cardiac``: the fixed JSON contracts, files written,
bad input answered with exit 2."""

from __future__ import annotations

import json

import numpy as np
import pytest

from positrix.cli.main import main
from positrix.io import load
from positrix.quant.labels import load_labels


def _json(capsys) -> dict:
    return json.loads(capsys.readouterr().out)


def test_atlas_export_writes_the_contract_files(tmp_path, capsys):
    out = tmp_path / "atlas"
    assert main(["neuro", "atlas", "export", "digital-rat-brain", "-o", str(out)]) == 0
    for name in ("template.nii.gz", "labels.nii.gz", "labels.tsv"):
        assert (out / name).exists()
    rows = (out / "labels.tsv").read_text().splitlines()
    assert rows[0] == "index\tname" and any(r.endswith("\tstriatum_left") for r in rows)
    capsys.readouterr()
    assert main(["neuro", "atlas", "export", "digital-rat-brain", "-o", str(out)]) == 2  # kept
    assert "exists" in capsys.readouterr().err
    assert main(["neuro", "atlas", "list", "--json"]) == 0
    names = [row["name"] for row in _json(capsys)]
    assert names == ["digital-mouse-brain", "digital-rat-brain"]


def test_bp_map_json_contract(tmp_path, capsys):
    study = tmp_path / "rac.nii.gz"
    assert (
        main(["neuro", "simulate", "-o", str(study), "--bp-left", "1.0", "--bp-right", "2.0"]) == 0
    )
    capsys.readouterr()
    args = [
        "neuro",
        "bp-map",
        str(study),
        "--atlas",
        "digital-mouse-brain",
        "--model",
        "srtm",
        "--ref",
        "cerebellum",
        "--pvc-fwhm-mm",
        "1.5",
        "-o",
        str(tmp_path / "bp"),
        "--json",
    ]
    assert main(args) == 0
    result = _json(capsys)
    rows = {r["name"]: r for r in result["regions"]}
    assert "cerebellum" not in rows  # the reference
    assert rows["striatum_left"]["bp_nd"] == pytest.approx(1.0, rel=0.15)
    assert rows["striatum_right"]["bp_nd"] == pytest.approx(2.0, rel=0.15)
    assert result["asymmetry_index_percent"] == pytest.approx(-66.7, abs=8.0)
    assert result["lower_side"] == "left"
    assert (tmp_path / "bp" / "bp_nd.nii.gz").exists()
    assert (tmp_path / "bp" / "normalisation_qc.png").exists()
    # the voxel map (no PVC) agrees with the regional fit of the same labels (no PVC)
    args = [
        "neuro",
        "bp-map",
        str(study),
        "--model",
        "logan-ref",
        "-o",
        str(tmp_path / "m"),
        "--json",
    ]
    assert main(args) == 0
    plain = {r["name"]: r["bp_nd"] for r in _json(capsys)["regions"]}
    bp_map = np.asarray(load(tmp_path / "m" / "bp_nd.nii.gz").data)
    labels = load_labels(tmp_path / "m" / "labels_subject.nii.gz")
    for side in ("striatum_left", "striatum_right"):
        number = next(k for k, v in labels.names.items() if v == side)
        voxels = bp_map[labels.labels == number]
        # mean of voxel Logan slopes vs the slope of the mean curve: ≤ 10 %
        assert float(np.mean(voxels)) == pytest.approx(plain[side], rel=0.10)
    bad = ["neuro", "bp-map", str(study), "--ref", "pons"]
    assert main(bad) == 2
    assert "pons" in capsys.readouterr().err


def test_suvr_and_normalise_commands(tmp_path, capsys):
    image = tmp_path / "fdg.nii.gz"
    assert main(["neuro", "simulate", "--tracer", "fdg", "-o", str(image)]) == 0
    capsys.readouterr()
    assert main(["neuro", "suvr", str(image), "--json"]) == 0
    rows = {r["name"]: r["suvr"] for r in _json(capsys)["regions"]}
    assert rows["cerebellum"] == pytest.approx(1.0)
    assert main(["neuro", "normalise", str(image), "-o", str(tmp_path / "n"), "--json"]) == 0
    summary = _json(capsys)
    assert summary["kind"] == "rigid"
    assert (tmp_path / "n" / "template_space.nii.gz").exists()
    assert (tmp_path / "n" / "transform.tfm").exists()


def test_polar_map_json_contract(tmp_path, capsys):
    heart = tmp_path / "heart.nii.gz"
    assert main(["cardiac", "simulate", "--infarct", "-o", str(heart)]) == 0
    capsys.readouterr()
    png = tmp_path / "polar.png"
    assert (
        main(
            ["cardiac", "polar-map", str(heart), "--threshold", "0.5", "--plot", str(png), "--json"]
        )
        == 0
    )
    result = _json(capsys)
    assert [s["id"] for s in result["segments"]] == list(range(1, 18))
    assert all(isinstance(s["mean"], float) for s in result["segments"])
    assert 14.0 <= result["defect_extent_percent"] <= 24.0  # a ≈ 20 % infarct at 1.2 mm
    assert png.exists()
    assert main(["cardiac", "polar-map", str(heart), "--long-axis", "1,2"]) == 2
    assert "three numbers" in capsys.readouterr().err


def test_polar_map_refuses_a_brain(tmp_path, capsys):
    brain = tmp_path / "brain.nii.gz"
    assert (
        main(["neuro", "simulate", "--tracer", "fdg", "-o", str(brain), "--noise-percent", "0"])
        == 0
    )
    capsys.readouterr()
    assert main(["cardiac", "polar-map", str(brain)]) == 2
    assert "no heart found" in capsys.readouterr().err


def test_mbf_and_volumes_commands(tmp_path, capsys):
    dynamic = tmp_path / "nh3.nii.gz"
    assert main(["cardiac", "simulate", "--dynamic", "-o", str(dynamic)]) == 0
    capsys.readouterr()
    assert (
        main(["cardiac", "mbf", str(dynamic), "--wall-mm", "1", "--fwhm-mm", "1.2", "--json"]) == 0
    )
    result = _json(capsys)
    flows = [s["mbf_ml_min_g"] for s in result["segments"]]
    assert len(flows) == 17 and result["unit"] == "mL/min/g"
    assert sorted(flows)[8] == pytest.approx(5.0, rel=0.15)  # the median segment
    assert main(["cardiac", "mbf", str(dynamic), "--wall-mm", "1"]) == 2  # needs --fwhm-mm too
    capsys.readouterr()
    gated = tmp_path / "gated.nii.gz"
    assert main(["cardiac", "simulate", "--gated", "-o", str(gated)]) == 0
    capsys.readouterr()
    assert main(["cardiac", "volumes", str(gated), "--json"]) == 0
    volumes = _json(capsys)
    assert volumes["ejection_fraction_percent"] == pytest.approx(49.2, abs=5.0)
