"""Compton scattering: energy, Klein–Nishina cross-sections, and the angle sampler."""

import numpy as np
import pytest

from positrix.physics.compton import (
    ANNIHILATION_KEV,
    klein_nishina_cosines,
    kn_differential,
    kn_total,
    scattered_energy,
)


def test_compton_energy_and_thomson_limit():
    assert scattered_energy(-1.0) == pytest.approx(ANNIHILATION_KEV / 3.0, rel=1e-12)  # 180°
    assert scattered_energy(1.0) == pytest.approx(ANNIHILATION_KEV, rel=1e-12)
    # the total cross-section integrates the differential one; at low energy it tends to
    # the Thomson value 8π/3 r_e²
    c = np.linspace(-1.0, 1.0, 20001)
    integral = 2 * np.pi * np.trapezoid(kn_differential(c), c)
    assert integral == pytest.approx(float(kn_total()), rel=1e-6)
    thomson = 8 * np.pi / 3 * 2.8179403262e-12**2
    assert float(kn_total(0.01)) == pytest.approx(thomson, rel=1e-4)


@pytest.mark.parametrize("energy", [ANNIHILATION_KEV, 150.0])
def test_sampled_angles_follow_klein_nishina(energy):
    rng = np.random.default_rng(4)
    cosines = klein_nishina_cosines(np.full(200_000, energy), rng)
    c = np.linspace(-1.0, 1.0, 20001)
    weight = kn_differential(c, energy)
    mean = np.trapezoid(c * weight, c) / np.trapezoid(weight, c)
    # SD of cos θ ≈ 0.55: the sample mean of 2·10⁵ is within 0.004 (3 SE) of the exact one
    assert cosines.mean() == pytest.approx(mean, abs=0.004)
    forward = np.trapezoid(weight[c > 0.5], c[c > 0.5]) / np.trapezoid(weight, c)
    assert np.mean(cosines > 0.5) == pytest.approx(forward, abs=0.004)
