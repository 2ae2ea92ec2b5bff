import json

import nibabel as nib
import numpy as np
import pytest

from positrix.errors import FileFormatError
from positrix.io import load, save
from tests.conftest import make_pet


def test_sidecar_has_pet_bids_keys(tmp_path):
    pet = make_pet()
    save(pet, tmp_path / "sub-01_pet.nii.gz")
    side = json.loads((tmp_path / "sub-01_pet.json").read_text())
    assert side["FrameTimesStart"] == [0.0, 60.0, 120.0]
    assert side["FrameDuration"] == [60.0, 60.0, 120.0]
    assert side["InjectedRadioactivityUnits"] == "MBq"
    assert side["InjectedRadioactivity"] == pytest.approx(pet.injection.net_activity_bq / 1e6)
    assert side["BodyWeight"] == pytest.approx(0.0246) and side["TracerRadionuclide"] == "F18"
    assert side["InjectionStart"] == -120.0 and side["ImageDecayCorrected"] is True


def test_nifti_affine_is_ras_on_disk(tmp_path):
    pet = make_pet()
    save(pet, tmp_path / "p.nii")
    on_disk = nib.load(tmp_path / "p.nii").affine
    np.testing.assert_allclose(on_disk, np.diag([-1, -1, 1, 1]) @ pet.affine)


def test_plain_bids_sidecar_without_positrix_block(tmp_path):
    nib.save(nib.Nifti1Image(np.ones((2, 2, 2, 2), np.float32), np.eye(4)), tmp_path / "x.nii")
    (tmp_path / "x.json").write_text(
        json.dumps(
            {
                "Units": "Bq/mL",
                "TracerName": "FDG",
                "TracerRadionuclide": "F18",
                "InjectedRadioactivity": 10.5,
                "InjectedRadioactivityUnits": "MBq",
                "BodyWeight": 0.03,
                "TimeZero": "10:00:00",
                "ScanStart": 0,
                "InjectionStart": -60,
                "FrameTimesStart": [0, 30],
                "FrameDuration": [30, 30],
                "ImageDecayCorrected": True,
                "ImageDecayCorrectionTime": 0,
            }
        )
    )
    image = load(tmp_path / "x.nii")
    assert image.injection.activity_before_bq == pytest.approx(10.5e6)
    assert image.subject.weight_g == pytest.approx(30.0)
    assert (image.frames.acquisition_start - image.injection.injection_time).total_seconds() == 60
    assert image.decay_reference == image.frames.acquisition_start


def test_sidecar_errors_name_the_field(tmp_path):
    nib.save(nib.Nifti1Image(np.ones((2, 2, 2, 3), np.float32), np.eye(4)), tmp_path / "x.nii")
    (tmp_path / "x.json").write_text(
        json.dumps({"FrameTimesStart": [0, 1], "FrameDuration": [1, 1]})
    )
    with pytest.raises(FileFormatError, match="one per frame"):
        load(tmp_path / "x.nii")
    (tmp_path / "x.json").write_text("{not json")
    with pytest.raises(FileFormatError, match=r"x\.json"):
        load(tmp_path / "x.nii")


def test_truncated_nifti(tmp_path):
    save(make_pet(), tmp_path / "p.nii")
    raw = (tmp_path / "p.nii").read_bytes()
    (tmp_path / "p.nii").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(FileFormatError, match=r"p\.nii"):
        load(tmp_path / "p.nii")
