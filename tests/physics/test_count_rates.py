"""Dead-time models against their closed forms, randoms = 2τ·S₁·S₂, NECR."""

from __future__ import annotations

import numpy as np
import pytest

from positrix.errors import PositrixError
from positrix.physics.count_rates import (
    necr,
    randoms_rate,
    recorded_rate,
    scatter_fraction,
    true_rate,
)

TAU = 2e-6  # s


@pytest.mark.parametrize("model", ["paralysable", "non-paralysable"])
def test_dead_time_inverse_round_trips(model):
    n = np.array([0.0, 1e3, 1e4, 1e5, 2.4e5])  # below the paralysable maximum 1/τ
    assert np.allclose(
        true_rate(recorded_rate(n, TAU, model=model), TAU, model=model), n, rtol=1e-10
    )


def test_dead_time_closed_forms_and_limits():
    n = 3e5
    # non-paralysable saturates at 1/τ; paralysable peaks at n = 1/τ with m = 1/(e·τ)
    assert float(recorded_rate(1e12, TAU, model="non-paralysable")) == pytest.approx(
        1 / TAU, rel=1e-5
    )
    peak = float(recorded_rate(1 / TAU, TAU, model="paralysable"))
    assert peak == pytest.approx(1 / (np.e * TAU), rel=1e-12)
    grid = np.linspace(0, 3 / TAU, 3001)
    assert float(grid[np.argmax(recorded_rate(grid, TAU, model="paralysable"))]) == pytest.approx(
        1 / TAU, rel=2e-3
    )
    # both agree with m ≈ n(1 − nτ) at low rates (first order)
    low = 1e3
    for model in ("paralysable", "non-paralysable"):
        assert float(recorded_rate(low, TAU, model=model)) == pytest.approx(
            low * (1 - low * TAU), rel=1e-5
        )
    assert float(recorded_rate(n, TAU, model="non-paralysable")) == pytest.approx(n / (1 + n * TAU))
    with pytest.raises(PositrixError, match=r"1/\(e·τ\)"):
        true_rate(1.0 / (2.0 * TAU), TAU, model="paralysable")
    with pytest.raises(PositrixError, match="cannot record"):
        true_rate(1.0 / TAU, TAU, model="non-paralysable")
    with pytest.raises(PositrixError, match="dead-time model"):
        recorded_rate(1.0, TAU, model="extendable")


def test_randoms_are_two_tau_s1_s2_by_monte_carlo():
    """Two independent Poisson streams: coincidences within ±τ happen 2τ·S₁·S₂ per second."""
    rng = np.random.default_rng(1)
    s1, s2, window_s, seconds = 2e4, 3e4, 2e-6, 20.0
    a = np.sort(rng.uniform(0, seconds, rng.poisson(s1 * seconds)))
    b = np.sort(rng.uniform(0, seconds, rng.poisson(s2 * seconds)))
    half = window_s / 2.0
    pairs = np.searchsorted(b, a + half) - np.searchsorted(b, a - half)
    measured = pairs.sum() / seconds
    expected = float(randoms_rate(s1, s2, window_s * 1e9))
    assert expected == pytest.approx(window_s * s1 * s2)
    assert measured == pytest.approx(expected, rel=0.03)  # ≈ 24 000 pairs: 3 σ ≈ 2 %


def test_necr_and_scatter_fraction():
    assert float(necr(100.0, 20.0, 30.0)) == pytest.approx(100.0**2 / 150.0)
    assert float(necr(100.0, 20.0, 30.0, k=2.0)) == pytest.approx(100.0**2 / 180.0)
    assert float(scatter_fraction(85.0, 15.0)) == pytest.approx(0.15)
    with pytest.raises(PositrixError):
        necr(1.0, 1.0, 1.0, k=3.0)


def test_cylinder_solid_angle_by_monte_carlo():
    """Isotropic directions from points on the axis, inside and beyond the ring: the share
    that hits the cylinder's side equals the closed form (binomial σ ≈ 0.0016)."""
    from positrix.physics.count_rates import cylinder_solid_angle_fraction

    rng = np.random.default_rng(3)
    u = rng.normal(size=(100_000, 3))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    radius, half = 80.0, 63.5
    for z in (0.0, 40.0, 63.5, 120.0, -200.0):
        t = radius / np.maximum(np.hypot(u[:, 0], u[:, 1]), 1e-12)  # path to the side
        hit = np.abs(z + t * u[:, 2]) <= half
        expected = float(cylinder_solid_angle_fraction(z, radius_mm=radius, half_length_mm=half))
        assert hit.mean() == pytest.approx(expected, abs=0.006), z
    # far away it vanishes, in a long cylinder it tends to 1
    assert float(cylinder_solid_angle_fraction(1e5, radius_mm=radius, half_length_mm=half)) < 1e-6
    assert float(cylinder_solid_angle_fraction(0.0, radius_mm=1.0, half_length_mm=1e6)) > 0.999
