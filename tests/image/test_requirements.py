import pytest

from positrix.errors import MissingFieldError, PositrixError
from positrix.image import Injection, injected_activity_bq, subject_weight_g
from positrix.io import load, save
from tests.conftest import make_pet


def test_values_when_present(pet):
    assert subject_weight_g(pet) == 24.6
    assert injected_activity_bq(pet) == pytest.approx(pet.injection.net_activity_bq)


def test_missing_weight_names_file_field_and_fix(tmp_path):
    save(make_pet().replace(subject=None), tmp_path / "noweight.nii")
    image = load(tmp_path / "noweight.nii")
    with pytest.raises(MissingFieldError) as err:
        subject_weight_g(image)
    text = str(err.value)
    assert "noweight.nii" in text and "weight" in text and "PatientWeight" in text


def test_missing_dose_names_file_field_and_fix(tmp_path):
    pet = make_pet()
    undosed = pet.replace(
        injection=Injection(
            nuclide=pet.injection.nuclide, tracer="FDG", injection_time=pet.injection.injection_time
        )
    )
    save(undosed, tmp_path / "nodose.nii")
    with pytest.raises(MissingFieldError) as err:
        injected_activity_bq(load(tmp_path / "nodose.nii"))
    text = str(err.value)
    assert "nodose.nii" in text and "activity_before_bq" in text and "Fix:" in text


def test_residual_larger_than_dose_is_refused(pet):
    bad = pet.replace(
        injection=Injection(
            nuclide=pet.injection.nuclide,
            injection_time=pet.injection.injection_time,
            activity_before_bq=1e6,
            residual_bq=2e6,
        )
    )
    with pytest.raises(PositrixError, match="residual"):
        injected_activity_bq(bad)
