"""positrix simulate → recon → nema, end to end on small test rings."""

import json
from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage

from positrix.cli.main import main
from positrix.io import load

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


def test_listmode_petsird_simulation_reconstructs_to_the_truth(tmp_path, capsys):
    out = tmp_path / "sim"
    args = ["simulate", "mouse-cylinder", "--scanner", str(EXAMPLES / "mini.toml")]
    args += ["--activity", "2MBq", "--duration", "30s", "--listmode", "-o", str(out), "--json"]
    assert main(args) == 0
    summary = json.loads(capsys.readouterr().out)
    # every file written is counted and named (the sidecars and simulation.json too)
    assert sorted(summary["files"]) == sorted(p.name for p in out.iterdir())
    assert "events.petsird" in summary["files"] and "ct.json" in summary["files"]
    recon = ["recon", str(out / "events.petsird"), "--scanner", str(EXAMPLES / "mini.toml")]
    # the CT's sidecar records its kVp: no --ct-kvp needed
    recon += ["--mu-map", str(out / "ct.nii.gz"), "-o", str(tmp_path / "r.nii")]
    assert main(recon) == 0
    image = np.asarray(load(tmp_path / "r.nii").data)
    labels = np.asarray(load(out / "labels.nii.gz").data)
    inner = ndimage.binary_erosion(labels == 1, iterations=3)
    truth = summary["region_truth_bq_ml"]["uniform"][0]
    # decay-corrected to the scan start; noise of ~1e6 counts over ~2000 voxels: 3 %
    assert image[inner].mean() == pytest.approx(truth, rel=0.03)


def test_sinogram_simulation_and_nema_iq_keys(tmp_path, capsys):
    scanner = str(EXAMPLES / "mini24.toml")
    out = tmp_path / "iq"
    common = ["--scanner", scanner]
    assert main(["simulate", "nema-iq", *common, "--duration", "1min", "-o", str(out)]) == 0
    recon = ["recon", str(out / "prompts.hs"), *common, "--delayeds", str(out / "delayeds.hs")]
    recon += ["--mu-map", str(out / "ct.nii.gz"), "--ct-kvp", "80", "--iterations", "2"]
    assert main([*recon, "-o", str(tmp_path / "iq.nii")]) == 0
    capsys.readouterr()
    assert (
        main(["nema", "iq", str(tmp_path / "iq.nii"), "--ct", str(out / "ct.nii.gz"), "--json"])
        == 0
    )
    result = json.loads(capsys.readouterr().out)
    assert set(result["uniformity"]) >= {"mean", "max", "min", "pct_std"}
    assert set(result["rc"]) == {"1", "2", "3", "4", "5"}
    assert set(result["sor"]) == {"water", "air"} == set(result["sor_pct_std"])
    truth = json.loads((out / "simulation.json").read_text())["region_truth_bq_ml"]["uniform"][0]
    # not decay-corrected (no --start): the 1 min frame mean is 0.32 % below the start value
    assert result["uniformity"]["mean"] == pytest.approx(truth * 0.9968, rel=0.02)
    assert result["rc"]["1"] < result["rc"]["3"] < result["rc"]["5"]  # 3.18 mm crystals
    assert result["sor"]["air"] < 0.25


def test_simulate_refuses_a_non_empty_folder(tmp_path, capsys):
    (tmp_path / "keep.txt").write_text("data")
    code = main(
        ["simulate", "point", "--scanner", str(EXAMPLES / "mini.toml"), "-o", str(tmp_path)]
    )
    assert code == 2
    assert "not empty" in capsys.readouterr().err
    assert (tmp_path / "keep.txt").read_text() == "data"


def test_recon_refuses_sinogram_options_for_list_mode(tmp_path, capsys):
    events = str(EXAMPLES / "cylinder_events.npz")
    args = ["recon", events, "--scanner", str(EXAMPLES / "mini.toml"), "--delayeds", "d.hs"]
    code = main([*args, "-o", str(tmp_path / "x.nii")])
    assert code == 2
    assert "--delayeds" in capsys.readouterr().err
    assert not (tmp_path / "x.nii").exists()
