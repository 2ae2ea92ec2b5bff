from datetime import timedelta

import numpy as np
import pytest

from positrix.errors import MissingFieldError, PositrixError
from positrix.image import FrameTable, Image, decay_correct, frame, select_frames, sum_frames
from positrix.physics.decay import decay_factor
from tests.conftest import T0, make_pet


def _static_source(pet, value=1000.0):
    """Decay-corrected frames of a source whose activity only decays: all equal ``value``."""
    return pet.replace(data=np.full(pet.data.shape, value))


def test_summing_a_static_source_keeps_its_value(pet):
    static = _static_source(pet)
    total = sum_frames(static)
    np.testing.assert_allclose(total.data, 1000.0, rtol=1e-12)
    assert total.frames.start_s[0] == 0.0 and total.frames.duration_s[0] == 240.0
    assert total.decay_reference == pet.decay_reference


def test_summing_conserves_counts_without_decay_correction(pet):
    raw = decay_correct(pet, to=None)  # frame means, not decay corrected
    total = sum_frames(raw)
    counts = np.tensordot(raw.data, raw.frames.duration_s, axes=([3], [0]))
    np.testing.assert_allclose(total.data * 240.0, counts, rtol=1e-5)


def test_decay_corrected_sum_equals_sum_of_uncorrected_then_corrected(pet):
    corrected_sum = sum_frames(pet)
    uncorrected_sum = sum_frames(decay_correct(pet, to=None))
    recorrected = decay_correct(uncorrected_sum, to=pet.decay_reference)
    np.testing.assert_allclose(corrected_sum.data, recorrected.data, rtol=1e-5)


def test_decay_correct_round_trip_and_reference_shift(pet):
    back = decay_correct(decay_correct(pet, to=None), to=pet.decay_reference)
    np.testing.assert_allclose(back.data, pet.data, rtol=1e-5)
    later = decay_correct(pet, to=T0 + timedelta(seconds=6586.2))
    np.testing.assert_allclose(later.data, pet.data * 0.5, rtol=1e-6)  # one half-life later
    assert pet.data.flags.writeable is False  # input untouched


def test_uncorrected_frame_mean_of_a_decaying_source(pet):
    # decay-corrected value 1000 at T0 -> frame mean of 1000·exp(-λt) over [60, 120] s
    raw = decay_correct(_static_source(pet), to=None)
    lam = np.log(2) / 6586.2
    expected = 1000 * (np.exp(-lam * 60) - np.exp(-lam * 120)) / (lam * 60)
    assert raw.data[0, 0, 0, 1] == pytest.approx(expected, rel=1e-6)
    assert (
        float(decay_factor("F-18", 60))
        > raw.data[0, 0, 0, 1] / 1000
        > float(decay_factor("F-18", 120))
    )


def test_select_and_frame(pet):
    two = select_frames(pet, [0, 2])
    assert two.data.shape[-1] == 2 and two.frames.start_s.tolist() == [0.0, 120.0]
    one = frame(pet, 1)
    assert one.data.shape == pet.spatial_shape and one.frames.start_s.tolist() == [60.0]


def test_gaps_and_missing_nuclide_are_explicit():
    pet = make_pet()
    gappy = pet.replace(frames=FrameTable([0.0, 100.0, 300.0], [60.0, 60.0, 60.0], T0))
    with pytest.raises(PositrixError, match="contiguous"):
        sum_frames(gappy)
    assert sum_frames(gappy, allow_gaps=True).frames.duration_s[0] == 360.0
    bare = Image(pet.data, pet.affine, unit="Bq/mL", frames=pet.frames, decay_reference=T0)
    with pytest.raises(MissingFieldError, match="nuclide"):
        sum_frames(bare)


def test_naive_reference_is_taken_as_utc_and_zero_durations_are_refused(pet):
    naive = T0.replace(tzinfo=None) + timedelta(seconds=6586.2)
    np.testing.assert_allclose(decay_correct(pet, to=naive).data, pet.data * 0.5, rtol=1e-6)
    instant = pet.replace(
        frames=FrameTable([0.0, 0.0, 0.0], [0.0, 0.0, 0.0], T0), decay_reference=None
    )
    with pytest.raises(PositrixError, match="no duration"):
        sum_frames(instant)
