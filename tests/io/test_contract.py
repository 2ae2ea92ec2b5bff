"""The contract every reader (and writer) passes: shape, geometry, unit, frame times,
decay reference and injection survive a round trip through each format."""

import numpy as np
import pytest

from positrix.image import reorient
from positrix.io import load, save
from tests.conftest import make_pet

# name → (output name, relative value tolerance, keeps origin, keeps injection)
FORMATS = {
    "dicom": ("series", 1 / 32767, True, True),  # int16 with a per-slice slope
    "nifti": ("pet.nii.gz", 1e-7, True, True),
    "interfile": ("pet.hv", 1e-7, True, False),
    "inveon": ("pet.img", 1e-7, False, True),  # the Inveon header has no origin: centred
}


@pytest.fixture(params=sorted(FORMATS))
def round_trip(request, tmp_path):
    name = request.param
    image = make_pet()
    target = tmp_path / FORMATS[name][0]
    written = save(image, target)
    assert all(p.exists() for p in written)
    back = load(target if name != "inveon" else target.with_name("pet.img.hdr"))
    return name, image, back


def test_values_shape_and_axes(round_trip):
    name, image, back = round_trip
    _, tolerance, keeps_origin, _ = FORMATS[name]
    directions = image.affine[:3, :3] / np.linalg.norm(image.affine[:3, :3], axis=0)
    back = reorient(back, directions)  # formats may store axes in their own order
    assert back.data.shape == image.data.shape
    np.testing.assert_allclose(back.affine[:3, :3], image.affine[:3, :3], atol=1e-6)
    if keeps_origin:
        np.testing.assert_allclose(back.affine[:3, 3], image.affine[:3, 3], atol=1e-4)
    peak = np.abs(image.data).max()
    assert np.max(np.abs(back.data - image.data)) <= tolerance * peak * 0.5 + 1e-6 * peak


def test_unit_timing_and_decay_reference(round_trip):
    _, image, back = round_trip
    assert back.unit == "Bq/mL" and back.modality == "PT"
    np.testing.assert_allclose(back.frames.start_s, image.frames.start_s, atol=1e-3)
    np.testing.assert_allclose(back.frames.duration_s, image.frames.duration_s, atol=1e-3)
    assert back.frames.acquisition_start == image.frames.acquisition_start
    assert back.decay_reference == image.decay_reference


def test_injection_and_subject(round_trip):
    name, image, back = round_trip
    if not FORMATS[name][3]:
        assert back.injection is None or back.injection.nuclide.name == "F-18"
        return
    assert back.injection.nuclide.name == "F-18"
    assert back.injection.injection_time == image.injection.injection_time
    assert back.injection.net_activity_bq == pytest.approx(
        image.injection.net_activity_bq, rel=1e-6
    )
    assert back.subject.weight_g == pytest.approx(24.6, rel=1e-9)
