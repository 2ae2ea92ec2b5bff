import numpy as np
import pytest

from positrix.errors import MissingFieldError, UnitError
from positrix.image import Subject, decay_correct
from positrix.quant.units import (
    body_surface_area_m2,
    convert_units,
    lean_body_mass_james_kg,
    lean_body_mass_janmahasatian_kg,
)
from positrix.simulation.demo_mouse import demo_mouse_study
from tests.conftest import make_pet


@pytest.fixture(scope="module")
def mouse():
    return demo_mouse_study(frames="2x60s,1x600s", pet_voxel_mm=1.0, ct_voxel_mm=2.0)


@pytest.mark.parametrize("corrected", [True, False])
def test_percent_id_per_gram_integrates_to_100(mouse, corrected):
    # all activity is in the field of view: Σ %ID/g · voxel mL = 100 % (target: within 2 %)
    pet = mouse.pet if corrected else decay_correct(mouse.pet, to=None)
    percent = convert_units(pet, "%ID/g")
    totals = percent.data.sum(axis=(0, 1, 2), dtype=np.float64) * percent.voxel_volume_ml
    np.testing.assert_allclose(totals, 100.0, rtol=1e-3)


def test_suv_of_a_uniform_body_is_one():
    # activity A spread evenly over a 25 g (25 mL) body: C = A/25, SUVbw = C·W/A = 1
    pet = make_pet(frames="1x60s")
    a = pet.injection.net_activity_bq * np.exp(-np.log(2) / 6586.2 * 120)  # 2 min to T0
    uniform = pet.replace(data=np.full(pet.data.shape, a / 25.0), subject=Subject(weight_g=25.0))
    np.testing.assert_allclose(convert_units(uniform, "SUVbw").data, 1.0, rtol=1e-6)
    np.testing.assert_allclose(convert_units(uniform, "%ID/g").data, 4.0, rtol=1e-6)
    np.testing.assert_allclose(convert_units(uniform, "kBq/mL").data, a / 25e3, rtol=1e-6)


def test_lean_body_mass_and_bsa_formulas():
    # hand-computed: 80 kg, 180 cm; BMI = 24.69
    assert lean_body_mass_janmahasatian_kg(80, 180, "M") == pytest.approx(
        9270 * 80 / (6680 + 216 * 80 / 1.8**2)
    )
    assert lean_body_mass_janmahasatian_kg(80, 180, "F") == pytest.approx(
        9270 * 80 / (8780 + 244 * 80 / 1.8**2)
    )
    assert lean_body_mass_james_kg(80, 180, "M") == pytest.approx(1.10 * 80 - 128 * (80 / 180) ** 2)
    assert body_surface_area_m2(80, 180) == pytest.approx(0.007184 * 80**0.425 * 180**0.725)
    assert body_surface_area_m2(70, 170) == pytest.approx(1.81, abs=0.01)  # textbook value


def test_sul_needs_height_and_sex():
    pet = make_pet(frames="1x60s")
    with pytest.raises(MissingFieldError, match="height"):
        convert_units(pet, "SUL")
    tall = pet.replace(subject=Subject(weight_g=80000.0, height_cm=180.0, sex="M"))
    ratio = convert_units(tall, "SUL").data / convert_units(tall, "SUVbw").data
    np.testing.assert_allclose(ratio, lean_body_mass_janmahasatian_kg(80, 180, "M") / 80, rtol=1e-5)


def test_only_concentrations_convert_and_labels_stay_honest():
    pet = make_pet(frames="1x60s")
    suv = convert_units(pet, "SUVbw")
    assert suv.unit == "SUVbw" and pet.unit == "Bq/mL"
    with pytest.raises(UnitError, match="not an activity concentration"):
        convert_units(suv, "%ID/g")
    with pytest.raises(UnitError, match="unknown unit"):
        convert_units(pet, "SUVxx")
