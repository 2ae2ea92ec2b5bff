import pytest

from positrix.errors import OverwriteError
from positrix.pipeline.demo import run_demo


def test_demo_writes_reads_back_and_conserves_activity(tmp_path):
    result = run_demo(tmp_path, log=lambda _: None)
    assert result["pet"]["modality"] == "PT" and result["ct"]["modality"] == "CT"
    assert len(result["pet"]["frames"]) == 9 and result["pet"]["nuclide"] == "F-18"
    for row in result["activity_check"]:
        # int16 DICOM storage: the total may differ from the truth by < 0.01 %
        assert row["ratio"] == pytest.approx(1.0, abs=1e-4)
    quant = result["quant"]
    assert quant["percent_id_in_fov"] == pytest.approx(100.0, abs=2.0)  # issue: within 2 %
    assert {o["organ"] for o in quant["organs"]} >= {"tumour", "liver", "brain"}
    assert quant["tumour"]["mtv_ml"] == pytest.approx(0.1137, rel=0.01)
    ki = result["kinetics"]["patlak_ki_per_min"]
    assert ki["tumour"] > ki["brain"] > 0  # the accumulating tumour takes up the most
    assert (tmp_path / "kinetics" / "patlak_Ki.nii.gz").exists()
    with pytest.raises(OverwriteError, match="--force"):
        run_demo(tmp_path, log=lambda _: None)
    assert run_demo(tmp_path, force=True, log=lambda _: None)["files"] == result["files"]


def test_demo_files_pass_dciodvfy(tmp_path):
    import subprocess

    from tests.conftest import external_tool

    run_demo(tmp_path, log=lambda _: None)
    for folder in ("pet", "ct"):
        first = sorted((tmp_path / "dicom" / folder).iterdir())[0]
        result = subprocess.run(
            [external_tool("dciodvfy"), str(first)], capture_output=True, text=True, check=False
        )
        errors = [x for x in (result.stdout + result.stderr).splitlines() if x.startswith("Error")]
        assert errors == [], first
