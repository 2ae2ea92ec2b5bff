import numpy as np
import pytest

from positrix.simulation.demo_mouse import ORGANS, demo_mouse_study, organ_fractions


def test_fractions_add_up_to_one_and_stay_positive():
    t = np.linspace(0, 120, 500)
    fractions = organ_fractions(t)
    np.testing.assert_allclose(sum(fractions.values()), 1.0, rtol=1e-12)
    assert all(np.all(f >= 0) for f in fractions.values())


def test_study_conserves_activity_and_carries_metadata():
    study = demo_mouse_study(frames="2x60s", pet_voxel_mm=1.0, ct_voxel_mm=1.0)
    pet, ct = study.pet, study.ct
    assert set(np.unique(study.labels)) == set(range(len(ORGANS) + 1))  # every organ present
    assert pet.unit == "Bq/mL" and ct.unit == "HU" and pet.is_dynamic
    # decay-corrected to the injection: the activity in the FOV is the net injected activity
    total = pet.data.sum(axis=(0, 1, 2), dtype=np.float64) * pet.voxel_volume_ml
    np.testing.assert_allclose(total, pet.injection.net_activity_bq, rtol=1e-5)
    assert ct.data.min() < -900 and 0 < np.median(ct.data[study.labels.shape[0] // 2]) + 1000
    assert pet.subject.weight_g == pytest.approx(25.0)
