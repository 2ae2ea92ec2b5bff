"""Dark/flat field, water beam-hardening pre-correction and ring reduction."""

from __future__ import annotations

import numpy as np
import pytest

from positrix.errors import PositrixError
from positrix.physics.xray import kramers_spectrum, linear_attenuation_per_mm
from positrix.recon.ct_preprocess import flat_field, reduce_rings, water_precorrection


def test_flat_field_inverts_beer_lambert():
    line = np.random.default_rng(0).uniform(0.0, 4.0, (5, 3, 4))
    flat, dark = np.full((3, 4), 5000.0), np.full((3, 4), 120.0)
    raw = (flat - dark) * np.exp(-line) + dark
    np.testing.assert_allclose(flat_field(raw, flat, dark), line, atol=1e-5)
    # a stack of flats is averaged; one number is a uniform dark
    np.testing.assert_allclose(flat_field(raw, np.stack([flat, flat]), 120.0), line, atol=1e-5)


def test_flat_field_errors_name_the_input():
    raw = np.ones((2, 3, 4))
    with pytest.raises(PositrixError, match="flat of shape"):
        flat_field(raw, np.ones((4, 3)))
    with pytest.raises(PositrixError, match="not above the dark"):
        flat_field(raw, np.ones((3, 4)), np.full((3, 4), 2.0))


@pytest.mark.parametrize("kvp", [40.0, 50.0, 80.0])
def test_water_precorrection_makes_water_linear(kvp):
    spectrum = kramers_spectrum(kvp, aluminium_mm=0.5)
    mu = linear_attenuation_per_mm("water", spectrum.energy_kev)
    lengths = np.array([0.5, 5.0, 20.0, 60.0])
    measured = np.array([-np.log(np.sum(spectrum.weights * np.exp(-mu * L))) for L in lengths])
    # beam hardening: the measured value grows slower than linearly (≥ 2 % short at 20 mm)
    assert measured[2] < 0.98 * spectrum.mean_mu_per_mm() * 20.0
    corrected = water_precorrection(measured, spectrum)
    np.testing.assert_allclose(corrected, spectrum.mean_mu_per_mm() * lengths, rtol=1e-3)


def test_ring_reduction_removes_a_stripe_and_keeps_the_object():
    rng = np.random.default_rng(1)
    angles = np.linspace(0, 2 * np.pi, 90, endpoint=False)
    cols = np.arange(64)
    # an off-centre object sweeps across the panel; one bad column adds 0.2 to every view
    centre = 32 + 12 * np.cos(angles)[:, None]
    data = np.exp(-(((cols[None, :] - centre) / 4.0) ** 2))[:, None, :].repeat(8, axis=1)
    data = data + rng.normal(0, 0.002, data.shape)
    stripe = data.copy()
    stripe[:, :, 40] += 0.2
    cleaned = reduce_rings(stripe)
    assert np.abs(cleaned[:, :, 40] - data[:, :, 40]).mean() < 0.02  # 0.2 → < 0.02
    assert np.abs(cleaned - data).mean() < 0.01
    with pytest.raises(PositrixError, match="odd width"):
        reduce_rings(stripe, width=4)
