"""kinetics idif: an input from a blood-pool VOI that --input reads back."""

import json

import pytest

from positrix.cli.main import main


def test_idif_then_patlak_gives_the_demo_numbers(demo_output, tmp_path, capsys):
    folder, result = demo_output
    out = tmp_path / "idif.csv"
    code = main(
        [
            "kinetics",
            "idif",
            str(folder / "dicom" / "pet"),
            "--voi",
            str(folder / "quant" / "labels.nii.gz"),
            "--label",
            "heart",
            "-o",
            str(out),
        ]
    )
    assert code == 0 and out.read_text().startswith("# unit: Bq/mL\ntime_s,plasma,whole_blood")
    capsys.readouterr()
    code = main(
        [
            "kinetics",
            "fit",
            "--model",
            "patlak",
            "--tac",
            str(folder / "quant" / "tacs.csv"),
            "--input",
            str(out),
            "--tstar-min",
            "5",
            "--region",
            "tumour,brain",
            "--json",
        ]
    )
    fits = {f["region"]: f["parameters"]["Ki"] for f in json.loads(capsys.readouterr().out)}
    demo = result["kinetics"]["patlak_ki_per_min"]
    # the same input and TACs as the demo's own (in-memory) fit: equal to 6 digits
    assert fits["tumour"] == pytest.approx(demo["tumour"], rel=1e-6)
    assert fits["brain"] == pytest.approx(demo["brain"], rel=1e-6)


def test_idif_needs_one_region(demo_output, tmp_path, capsys):
    folder, _ = demo_output
    code = main(
        [
            "kinetics",
            "idif",
            str(folder / "dicom" / "pet"),
            "--voi",
            str(folder / "quant" / "labels.nii.gz"),
            "-o",
            str(tmp_path / "i.csv"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "--label" in err and "heart" in err


def test_input_and_tacs_in_different_units_give_the_same_ki(demo_output, tmp_path, capsys):
    folder, result = demo_output
    pet, labels = str(folder / "dicom" / "pet"), str(folder / "quant" / "labels.nii.gz")
    idif, tacs = tmp_path / "idif.csv", tmp_path / "tacs_kbq.csv"
    assert (
        main(["kinetics", "idif", pet, "--voi", labels, "--label", "heart", "-o", str(idif)]) == 0
    )
    assert main(["tac", pet, "--voi", labels, "--unit", "kBq/mL", "-o", str(tacs)]) == 0
    capsys.readouterr()
    argv = ["kinetics", "fit", "--model", "patlak", "--tac", str(tacs), "--input", str(idif)]
    assert main([*argv, "--tstar-min", "5", "--region", "tumour", "--json"]) == 0
    (fit,) = json.loads(capsys.readouterr().out)
    # input in Bq/mL, TACs in kBq/mL: the input is converted, Ki is unit-free of that choice
    demo = result["kinetics"]["patlak_ki_per_min"]["tumour"]
    assert fit["parameters"]["Ki"] == pytest.approx(demo, rel=1e-5)
