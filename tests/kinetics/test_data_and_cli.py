"""Readers' errors and the ``positrix kinetics fit`` command, on the shipped kinfitr data."""

import json
import os
from pathlib import Path

import pytest

from positrix.cli.main import main
from positrix.errors import FileFormatError, PositrixError
from positrix.kinetics.data import read_input, read_tacs

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "kinetics"
# CI (POSITRIX_REQUIRE_TOOLS) has ../shared beside the clone: there a missing folder fails
needs_data = pytest.mark.skipif(
    not DATA.exists() and not os.environ.get("POSITRIX_REQUIRE_TOOLS"),
    reason="../shared/data/kinetics not present",
)


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_tac_table_errors_name_the_column(tmp_path):
    bad_order = _write(tmp_path, "a.csv", "frame_start_s,frame_duration_s,R\n60,60,1\n0,60,2\n")
    with pytest.raises(PositrixError, match="frame_start_s"):
        read_tacs(bad_order)
    overlap = _write(tmp_path, "b.csv", "frame_start_s,frame_duration_s,R\n0,90,1\n60,60,2\n")
    with pytest.raises(PositrixError, match="overlap"):
        read_tacs(overlap)
    nan = _write(tmp_path, "c.csv", "frame_start_s,frame_duration_s,R\n0,60,nan\n60,60,2\n")
    with pytest.raises(FileFormatError, match="'R'"):
        read_tacs(nan)
    no_time = _write(tmp_path, "d.csv", "start,R\n0,1\n")
    with pytest.raises(FileFormatError, match="frame_start_s"):
        read_tacs(no_time)


def test_input_that_stops_early_is_refused(tmp_path):
    tacs = read_tacs(
        _write(
            tmp_path, "t.csv", "frame_start_s,frame_duration_s,R\n0,600,1\n600,600,2\n1200,600,3\n"
        )
    )
    inp = read_input(_write(tmp_path, "i.csv", "time_s,plasma\n0,0\n60,10\n300,5\n"))
    with pytest.raises(PositrixError, match="last frame"):
        inp.check_covers(tacs.sampling)


def test_parent_fraction_multiplies_plasma(tmp_path):
    inp = read_input(
        _write(
            tmp_path, "i.csv", "time_s,plasma,parent_fraction,whole_blood\n0,0,1,0\n60,10,0.5,9\n"
        )
    )
    assert list(inp.plasma) == [0.0, 5.0] and list(inp.whole_blood) == [0.0, 9.0]


@needs_data
def test_cli_fit_json_keys_and_values(capsys):
    code = main(
        [
            "kinetics",
            "fit",
            "--model",
            "srtm",
            "--tac",
            str(DATA / "simref_tacs_one.csv"),
            "--ref",
            "Reference",
            "--json",
        ]
    )
    results = json.loads(capsys.readouterr().out)
    assert code == 0 and [r["region"] for r in results] == ["ROI1", "ROI2", "ROI3"]
    assert set(results[0]) >= {"region", "model", "parameters", "se", "aic", "bic", "converged"}
    assert set(results[0]["parameters"]) == {"R1", "k2", "BPND", "k2_prime"}
    assert all(r["converged"] for r in results)


@needs_data
def test_cli_plasma_input_fit_and_plot(capsys, tmp_path):
    code = main(
        [
            "kinetics",
            "fit",
            "--model",
            "logan",
            "--tac",
            str(DATA / "pbr28_tacs.csv"),
            "--input",
            str(DATA / "pbr28_input.csv"),
            "--tstar-min",
            "10",
            "--region",
            "FC",
            "--plot",
            str(tmp_path),
            "--json",
        ]
    )
    (result,) = json.loads(capsys.readouterr().out)
    assert code == 0 and 1.5 < result["parameters"]["VT"] < 4.0  # PBR28 grey matter
    assert (tmp_path / "FC_logan.png").exists()


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--model", "srtm"], ["--ref"]),
        (["--model", "logan"], ["--input"]),
        (["--model", "logan-ref", "--ref", "Reference"], ["--tstar-min"]),
        (["--model", "srtm2", "--ref", "Reference"], ["--k2-prime"]),
        (["--model", "srtm", "--ref", "Nowhere"], ["Nowhere", "Reference"]),
        (["--model", "xyz"], ["--model"]),
    ],
)
@needs_data
def test_cli_bad_options(capsys, argv, words):
    code = main(["kinetics", "fit", "--tac", str(DATA / "simref_tacs_one.csv"), *argv])
    err = capsys.readouterr().err
    assert code == 2 and all(w in err for w in words) and "Traceback" not in err
