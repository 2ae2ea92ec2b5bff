"""HU → µ (Carney 2006) and attenuation factors of a water cylinder."""

import numpy as np
import pytest

from positrix.errors import PositrixError
from positrix.geometry import get_scanner
from positrix.geometry.sinogram import SinogramLayout
from positrix.recon.corrections.attenuation import CARNEY_2006, attenuation_factors, hu_to_mu


def test_water_and_air_and_continuity_at_the_break_point():
    # water (0 HU) → 0.0096/mm, air (−1000 HU) → 0 (Carney et al. 2006)
    np.testing.assert_allclose(hu_to_mu([0.0, -1000.0], kvp=120), [0.0096, 0.0], atol=1e-7)
    for kvp, (a, b, bp) in CARNEY_2006.items():
        below, above = hu_to_mu([bp - 1e-3, bp + 1e-3], kvp=kvp)
        # the published coefficients meet at the break point within 0.1 %
        assert abs(above / below - 1) < 1e-3, kvp
        # bone (1000 HU) follows the bone branch
        np.testing.assert_allclose(hu_to_mu(1000.0, kvp=kvp), (a * 2000 + b) / 10, rtol=1e-6)


def test_unknown_tube_voltage_needs_a_measured_bone_branch():
    with pytest.raises(PositrixError, match="kVp"):
        hu_to_mu(0.0, kvp=50)
    with pytest.raises(PositrixError, match="slope"):
        hu_to_mu(0.0, slope=1e-4, intercept=0.01)  # steeper than water: not a bone branch
    mu = hu_to_mu([0.0, 1500.0], slope=4e-5, intercept=0.06)
    np.testing.assert_allclose(mu, [0.0096, (4e-5 * 2500 + 0.06) / 10], rtol=1e-6)


def test_attenuation_factors_of_a_water_cylinder_are_exp_of_mu_times_chord():
    layout = SinogramLayout(get_scanner("inveon"), span=3, max_ring_difference=3)
    shape, voxel = (100, 100, 16), (0.5, 0.5, 0.795)
    c = [(np.arange(n) - (n - 1) / 2) * v for n, v in zip(shape, voxel, strict=True)]
    x, y, _ = np.meshgrid(*c, indexing="ij")
    sub = (np.arange(4) + 0.5) / 4 - 0.5
    disc = np.mean([((x + a * 0.5) ** 2 + (y + b * 0.5) ** 2 <= 144) for a in sub for b in sub], 0)
    factors = attenuation_factors(layout, 0.0096 * disc, voxel, image_shape=shape)
    s = np.abs(layout.radial_mm())
    chord = 2 * np.sqrt(np.clip(144 - s**2, 0, None))
    plane = 80  # a direct plane (ring sum 80, z = +0.8 mm) inside the image
    # rays up to 0.8 R: exp(−µ·chord) within 0.3 % (1 % of the line integral of ≤ 0.23)
    inside = s < 0.8 * 12
    np.testing.assert_allclose(
        factors[plane][:, inside].mean(0), np.exp(-0.0096 * chord[inside]), rtol=0.003
    )
