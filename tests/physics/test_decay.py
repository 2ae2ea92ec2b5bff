from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from scipy import integrate

from positrix.physics.decay import activity_at, decay_constant, decay_factor, frame_decay_correction
from positrix.physics.nuclides import get_nuclide


@pytest.mark.parametrize("name", ["F-18", "C-11", "Ga-68", "Zr-89", "Rb-82"])
def test_a_half_life_halves_activity(name):
    t_half = get_nuclide(name).half_life_s
    assert decay_factor(name, t_half) == pytest.approx(0.5, rel=1e-12)
    assert decay_factor(name, 3 * t_half) == pytest.approx(0.125, rel=1e-12)
    assert decay_factor(name, -t_half) == pytest.approx(2.0, rel=1e-12)


def test_activity_at_dates():
    t0 = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
    t1 = t0 + timedelta(seconds=2 * 6586.2)
    assert float(activity_at(400e6, "F-18", measured_at=t0, at=t1)) == pytest.approx(
        100e6, rel=1e-12
    )


@pytest.mark.parametrize(
    ("start", "duration", "reference"),
    [
        (0.0, 60.0, 0.0),
        (300.0, 600.0, 0.0),
        (3600.0, 1800.0, 600.0),
        (10.0, 0.5, 0.0),
    ],
)
def test_frame_correction_matches_numerical_integration(start, duration, reference):
    lam = decay_constant("F-18")
    mean, _ = integrate.quad(lambda t: np.exp(-lam * (t - reference)), start, start + duration)
    mean /= duration
    factor = frame_decay_correction("F-18", start, duration, reference_s=reference)
    assert factor * mean == pytest.approx(1.0, rel=1e-10)  # corrected mean = activity at t_r


def test_frame_correction_is_vectorised_and_closed_form():
    starts = np.array([0.0, 60.0, 180.0])
    durations = np.array([60.0, 120.0, 600.0])
    lam = np.log(2) / 6586.2
    expected = np.exp(lam * starts) * lam * durations / (1 - np.exp(-lam * durations))
    np.testing.assert_allclose(
        frame_decay_correction("F-18", starts, durations), expected, rtol=1e-13
    )
    assert frame_decay_correction("F-18", 5.0, 0.0) == pytest.approx(np.exp(lam * 5.0), rel=1e-14)


def test_datasets_give_their_own_half_lives():
    import radioactivedecay as rd

    from positrix.errors import PositrixError
    from positrix.physics.decay import half_life_s

    assert half_life_s("F-18") == 6586.2
    assert half_life_s("Sc-44", "ICRP-107") == pytest.approx(
        rd.Nuclide("Sc-44").half_life("s"), rel=1e-12
    )
    assert half_life_s("Sc-44") == 14551.2  # ENSDF 4.042 h, not ICRP-107's 3.97 h
    with pytest.raises(PositrixError, match="unknown dataset"):
        half_life_s("F-18", "JEFF")
