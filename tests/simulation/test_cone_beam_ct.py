"""Cone-beam CT acquisition: materials, Beer–Lambert, noise; end to end through FDK."""

from __future__ import annotations

import numpy as np
import pytest

from positrix.geometry.cone_beam import ConeBeamGeometry
from positrix.physics.xray import kramers_spectrum, linear_attenuation_per_mm
from positrix.recon.ct_calibration import calibrate_water_air
from positrix.recon.ct_preprocess import flat_field, water_precorrection
from positrix.recon.fdk import fdk
from positrix.simulation.cone_beam_ct import bone_hu, material_densities, simulate_cone_beam

GEOMETRY = ConeBeamGeometry(200.0, 300.0, 48, 96, 0.3, angles_deg=tuple(np.arange(180) * 2.0))
SHAPE, VOXEL = (96, 96, 32), 0.2


def _cylinder(radius=7.0):
    axes = [(np.arange(n) - (n - 1) / 2) * VOXEL for n in SHAPE]
    x, y, z = np.meshgrid(*axes, indexing="ij")
    r = np.sqrt(x**2 + y**2)
    return np.where(r <= radius, 0.0, -1000.0), r, np.abs(z) < 2.0


def test_materials_reproduce_the_hu_at_the_reference_energy():
    hu = np.array([-1000.0, -500.0, 0.0, 800.0, bone_hu(30.0)])
    water, bone = material_densities(hu, 30.0)
    mu = (
        water * linear_attenuation_per_mm("water", 30.0)
        + bone * linear_attenuation_per_mm("bone_cortical", 30.0) / 1.92
    )
    mu_w = linear_attenuation_per_mm("water", 30.0)
    np.testing.assert_allclose(1000 * (mu - mu_w) / mu_w, hu, rtol=1e-6, atol=1e-3)


def test_monochromatic_cylinder_reconstructs_to_its_mu():
    hu, r, middle = _cylinder()
    data = simulate_cone_beam(hu, VOXEL, GEOMETRY, reference_kev=30.0)
    image = fdk(data.projections, GEOMETRY, shape=SHAPE, voxel_size_mm=VOXEL)
    # µ(30 keV) of water = 0.03756 /mm (NIST): FDK within 1 %
    assert image[(r < 5) & middle].mean() == pytest.approx(0.03756, rel=0.01)


def test_noise_follows_poisson_statistics():
    hu, _, _ = _cylinder()
    data = simulate_cone_beam(hu, VOXEL, GEOMETRY, photons_per_pixel=2e4, seed=3)
    lines = flat_field(data.projections, data.flat, data.dark)
    clean = simulate_cone_beam(hu, VOXEL, GEOMETRY).projections
    through = clean > 0.3
    # var(p) ≈ 1 / (N e^{−p}) for Poisson counts: the ratio within 5 %
    z = (lines[through] - clean[through]) * np.sqrt(2e4 * np.exp(-clean[through]))
    assert z.std() == pytest.approx(1.0, rel=0.05)
    assert abs(z.mean()) < 0.05


def test_beam_hardening_cupping_and_its_correction_then_hu():
    hu, r, middle = _cylinder()
    spectrum = kramers_spectrum(50.0, aluminium_mm=0.5)

    def scan(seed, correct):
        data = simulate_cone_beam(
            hu, VOXEL, GEOMETRY, spectrum=spectrum, photons_per_pixel=2e5, seed=seed
        )
        lines = flat_field(data.projections, data.flat, data.dark)
        if correct:
            lines = water_precorrection(lines, spectrum)
        return fdk(lines, GEOMETRY, shape=SHAPE, voxel_size_mm=VOXEL, window="hann")

    raw = scan(1, False)
    cupping = raw[(r > 5) & (r < 6) & middle].mean() / raw[(r < 1.5) & middle].mean() - 1
    assert cupping > 0.05  # measured 7.8 % brighter at the edge
    calibration = calibrate_water_air(scan(1, True), VOXEL)
    second = calibration.to_hu(scan(2, True))  # an independent scan, same settings
    centre, edge = second[(r < 1.5) & middle].mean(), second[(r > 5) & (r < 6) & middle].mean()
    air = second[(r > 8) & (r < 9) & middle].mean()
    # issue #17: water 0 ± 5 HU, air −1000 ± 10 HU after calibration; no cupping left
    assert abs(centre) < 5 and abs(edge) < 5
    assert air == pytest.approx(-1000.0, abs=10)
