"""Time-integrated activity: trapezoids converge to the analytic integral, exponential fits
recover known curves."""

from __future__ import annotations

import math

import numpy as np
import pytest

from positrix.errors import PositrixError
from positrix.physics.tia import fit_exponentials, tia_trapezoid, undo_decay_correction

F18 = 6586.2


def test_trapezoid_converges_to_the_integral_of_an_exponential():
    lam = math.log(2) / F18
    times = np.linspace(0.0, 6 * F18, 2001)
    tia = tia_trapezoid(times, 3.0 * np.exp(-lam * times), half_life_s=F18)
    # ∫ 3 e^{-λt} dt = 3/λ; trapezoid error (λΔt)²/12 ≈ 4e-6 (rel 1e-5)
    assert float(tia) == pytest.approx(3.0 / lam, rel=1e-5)


def test_start_and_tail_rules():
    lam = math.log(2) / F18
    # one point at 1 h: zero start gives A·t/2, constant A·t; the tail A/λ
    assert float(tia_trapezoid([3600.0], [2.0], half_life_s=F18)) == pytest.approx(
        2.0 * 1800 + 2.0 / lam, rel=1e-12
    )
    assert float(tia_trapezoid([3600.0], [2.0], half_life_s=F18, start="constant")) == (
        pytest.approx(2.0 * 3600 + 2.0 / lam, rel=1e-12)
    )


def test_trapezoid_broadcasts_over_voxels():
    values = np.arange(24.0).reshape(3, 2, 4)
    tia = tia_trapezoid([60.0, 600.0, 3600.0], values, half_life_s=F18)
    one = tia_trapezoid([60.0, 600.0, 3600.0], values[:, 1, 2], half_life_s=F18)
    assert tia.shape == (2, 4) and tia[1, 2] == pytest.approx(float(one), rel=1e-12)


def test_biexponential_fit_recovers_a_known_curve():
    times = np.array([300.0, 1800.0, 3600.0, 7200.0, 14400.0, 28800.0])
    values = 3.0 * np.exp(-8e-4 * times) + 2.0 * np.exp(-1.5e-4 * times)
    fit = fit_exponentials(times, values, half_life_s=F18, terms=2)
    assert fit.tia == pytest.approx(3.0 / 8e-4 + 2.0 / 1.5e-4, rel=1e-6)
    assert sorted(fit.rates_per_s) == pytest.approx([1.5e-4, 8e-4], rel=1e-6)


def test_undo_decay_correction():
    out = undo_decay_correction([[1.0, 2.0], [1.0, 2.0]], [0.0, F18], half_life_s=F18)
    assert out.ravel() == pytest.approx([1.0, 2.0, 0.5, 1.0], rel=1e-12)  # one half-life


@pytest.mark.parametrize(
    ("times", "values", "message"),
    [
        ([60.0, 30.0], [1.0, 1.0], "increasing"),
        ([-5.0], [1.0], "increasing"),
        ([60.0, 120.0], [1.0], "activities for 2 times"),
    ],
)
def test_bad_times_are_named(times, values, message):
    with pytest.raises(PositrixError, match=message):
        tia_trapezoid(times, values, half_life_s=F18)


def test_too_few_points_for_the_fit():
    with pytest.raises(PositrixError, match="cannot fit 2"):
        fit_exponentials([60.0, 120.0, 180.0], [3.0, 2.0, 1.0], half_life_s=F18, terms=2)
