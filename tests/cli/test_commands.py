"""The command line: JSON keys, values, exit status 2 with one clear line on bad input."""

import json
import subprocess
import sys

import pytest

from positrix.cli.main import main
from positrix.io import save
from tests.conftest import make_pet


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_nuclide_json(capsys):
    code, out, _ = run(capsys, "nuclide", "F-18", "--json")
    data = json.loads(out)
    assert code == 0
    assert data["half_life_s"] == 6586.2 and data["beta_plus_fraction"] == 0.9673
    assert set(data) >= {
        "name",
        "half_life_s",
        "beta_plus_fraction",
        "mean_positron_energy_kev",
        "max_positron_energy_kev",
        "mean_positron_range_mm",
        "source",
    }


def test_decay_json(capsys):
    code, out, _ = run(
        capsys,
        "decay",
        "F-18",
        "--activity",
        "10mCi",
        "--from",
        "0",
        "--to",
        str(6586.2 / 60),
        "--json",
    )
    data = json.loads(out)
    assert code == 0 and data["activity_bq"] == pytest.approx(3.7e8)
    assert data["decayed_activity_bq"] == pytest.approx(1.85e8, rel=1e-12)
    code, out, _ = run(
        capsys,
        "decay",
        "C-11",
        "--activity",
        "1GBq",
        "--from",
        "2026-01-01T10:00:00",
        "--to",
        "2026-01-01T10:20:21.8",
        "--json",
    )
    assert json.loads(out)["decay_factor"] == pytest.approx(0.5, rel=1e-9)


def test_info_json_keys_and_values(capsys, tmp_path):
    pet = make_pet()
    save(pet, tmp_path / "pet")
    code, out, _ = run(capsys, "info", str(tmp_path / "pet"), "--json")
    data = json.loads(out)
    assert code == 0
    assert set(data) >= {
        "modality",
        "shape",
        "voxel_size_mm",
        "unit",
        "frames",
        "tracer",
        "nuclide",
        "injected_activity_bq",
        "injection_time",
        "weight_g",
        "decay_reference",
    }
    assert data["shape"] == [9, 7, 5, 3] and data["unit"] == "Bq/mL"
    assert data["voxel_size_mm"] == pytest.approx([0.8, 0.9, 1.2])
    assert data["frames"][2] == {"start_s": 120.0, "duration_s": 120.0}
    assert data["injected_activity_bq"] == pytest.approx(pet.injection.net_activity_bq, rel=1e-6)
    assert data["weight_g"] == pytest.approx(24.6) and data["nuclide"] == "F-18"
    assert data["decay_reference"] == "2026-05-01T09:30:00+00:00"
    code, out, _ = run(capsys, "info", str(tmp_path / "pet"))
    assert "0.8 × 0.9 × 1.2 mm" in out and "24.6 g" in out


def test_convert_refuses_to_overwrite_without_force(capsys, tmp_path):
    save(make_pet(), tmp_path / "in.nii.gz")
    assert run(capsys, "convert", str(tmp_path / "in.nii.gz"), str(tmp_path / "out.hv"))[0] == 0
    before = (tmp_path / "out.v").read_bytes()
    code, _, err = run(capsys, "convert", str(tmp_path / "in.nii.gz"), str(tmp_path / "out.hv"))
    assert code == 2 and "already exists" in err and "--force" in err
    assert (tmp_path / "out.v").read_bytes() == before
    code, _, err = run(
        capsys, "convert", str(tmp_path / "in.nii.gz"), str(tmp_path / "in.nii.gz"), "--force"
    )
    assert code == 2 and "input" in err
    assert (
        run(capsys, "convert", str(tmp_path / "in.nii.gz"), str(tmp_path / "out.hv"), "--force")[0]
        == 0
    )


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["nuclide", "Xx-1"], ["unknown nuclide", "F-18"]),
        (["decay", "F-18", "--activity", "37", "--to", "10"], ["--activity", "unit"]),
        (["decay", "F-18", "--activity", "1MBq", "--to", "2026-01-01T00:00"], ["--from/--to"]),
        (["info", "/no/such/file.nii"], ["no such file"]),
    ],
)
def test_bad_input_gives_one_line_and_exit_2(capsys, argv, words):
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert all(w in err for w in words)


def test_corrupt_file_through_the_real_command(tmp_path):
    (tmp_path / "bad.nii").write_bytes(
        b"\x5c\x01\x00\x00" + b"\x00" * 340 + b"n+1\x00" + b"\x00" * 8
    )
    result = subprocess.run(
        [sys.executable, "-m", "positrix.cli.main", "info", str(tmp_path / "bad.nii")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "bad.nii" in result.stderr


def test_missing_weight_is_reported_as_unknown(capsys, tmp_path):
    pet = make_pet()
    save(pet.replace(subject=None), tmp_path / "p.nii")
    data = json.loads(run(capsys, "info", str(tmp_path / "p.nii"), "--json")[1])
    assert data["weight_g"] is None
