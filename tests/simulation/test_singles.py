"""Detector singles and count losses against closed forms."""

import dataclasses

import numpy as np
import pytest

from positrix.errors import PositrixError
from positrix.physics.count_rates import cylinder_solid_angle_fraction
from positrix.physics.nuclides import get_nuclide
from positrix.recon.scatter_sss import scattered_photon_acceptance
from positrix.simulation.singles import (
    _cylinder_paths,
    block_index,
    crystal_singles,
    live_fractions,
    multiples_survival,
)
from tests.scanners import mini_scanner

SCANNER = mini_scanner(16)


def test_point_at_the_centre_sees_the_cylinders_solid_angle():
    rate = crystal_singles(SCANNER, [[0.0, 0.0, 0.0]], [1e6], nuclide="F-18")
    beta = get_nuclide("F-18").beta_plus_fraction
    radius = SCANNER.ring_diameter_mm / 2 + SCANNER.mean_doi_mm
    g = float(
        cylinder_solid_angle_fraction(
            0.0, radius_mm=radius, half_length_mm=SCANNER.axial_fov_mm / 2
        )
    )
    packing = SCANNER.crystal_size_mm[0] * SCANNER.crystal_size_mm[1] / (
        SCANNER.transaxial_pitch_mm * SCANNER.axial_pitch_mm)  # fmt: skip
    # the blocks cover only part of the 16-gon around the ring: gaps between blocks
    blocks = SCANNER.blocks_per_ring
    covered = (
        SCANNER.crystals_per_ring
        * SCANNER.transaxial_pitch_mm
        / (2 * blocks * radius * np.tan(np.pi / blocks))
    )
    expected = 2 * beta * 1e6 * g * packing * covered * SCANNER.detection_efficiency
    # 2 %: flat block faces (a 16-gon) instead of a cylinder and point-like crystals
    assert rate.sum() == pytest.approx(expected, rel=0.02)
    assert rate.shape == (SCANNER.n_rings, SCANNER.crystals_per_ring)


def test_activity_beyond_the_field_of_view_still_adds_singles():
    inside = crystal_singles(SCANNER, [[0.0, 0.0, 0.0]], [1.0], nuclide="F-18").sum()
    beyond = crystal_singles(SCANNER, [[0.0, 0.0, 60.0]], [1.0], nuclide="F-18").sum()
    radius = SCANNER.ring_diameter_mm / 2 + SCANNER.mean_doi_mm
    half = SCANNER.axial_fov_mm / 2
    ratio = cylinder_solid_angle_fraction(60.0, radius_mm=radius, half_length_mm=half) / (
        cylinder_solid_angle_fraction(0.0, radius_mm=radius, half_length_mm=half)
    )
    assert 0 < beyond < inside
    assert beyond / inside == pytest.approx(float(ratio), rel=0.03)  # geometry only, 3 %


def test_paths_to_a_cylinder_surface():
    points = np.array([[0.0, 0.0, 0.0], [5.0, 0.0, 10.0]])
    directions = np.array([[[1.0, 0, 0], [0, 0, 1.0], [0, 0.6, 0.8]]] * 2)
    paths = _cylinder_paths(points, directions, 12.5, (-35.0, 35.0))
    np.testing.assert_allclose(paths[0], [12.5, 35.0, 12.5 / 0.6], rtol=1e-12)
    # from (5, 0): along +x 7.5 mm to the side; along +z 25 mm to the cap
    np.testing.assert_allclose(paths[1, :2], [7.5, 25.0], rtol=1e-12)


def test_with_every_scattered_photon_accepted_singles_are_conserved():
    """Single scatter only redirects photons: with a window that accepts every scattered
    energy, singles of a source in a cylinder equal those without it (the redirection is
    isotropic around the source, so only to within 2 %)."""
    wide = dataclasses.replace(SCANNER, energy_window_kev=(1.0, 1022.0))
    assert scattered_photon_acceptance(wide.energy_window_kev, 0.146) == pytest.approx(1, abs=1e-3)
    free = crystal_singles(wide, [[0.0, 0.0, 0.0]], [1e6], nuclide="F-18").sum()
    water = crystal_singles(wide, [[0.0, 0.0, 0.0]], [1e6], nuclide="F-18", mu_per_mm=0.0096,
                            radius_mm=25.0, z_range_mm=(-75.0, 75.0)).sum()  # fmt: skip
    assert water == pytest.approx(free, rel=0.02)
    narrow = crystal_singles(SCANNER, [[0.0, 0.0, 0.0]], [1e6], nuclide="F-18", mu_per_mm=0.0096,
                             radius_mm=25.0, z_range_mm=(-75.0, 75.0)).sum()  # fmt: skip
    lost = 1 - np.exp(-0.0096 * 25.0)  # radial escape path
    base = crystal_singles(SCANNER, [[0.0, 0.0, 0.0]], [1e6], nuclide="F-18").sum()
    accept = scattered_photon_acceptance(SCANNER.energy_window_kev, 0.146)
    # 3 %: the mean escape path over the detector's directions is a little above the radius
    assert narrow / base == pytest.approx(1 - lost + lost * accept, rel=0.03)


@pytest.mark.parametrize("model", ["paralysable", "non-paralysable"])
def test_block_live_fractions_follow_the_dead_time_models(model):
    scanner = dataclasses.replace(SCANNER, dead_time_ns=500.0, dead_time_model=model,
                                  pileup_ns=100.0)  # fmt: skip
    singles = np.full((scanner.n_rings, scanner.crystals_per_ring), 2000.0)
    live = live_fractions(scanner, singles)
    block = 2000.0 * scanner.crystals_per_block * scanner.crystals_per_block  # 10 × 10 block
    dead = np.exp(-block * 500e-9) if model == "paralysable" else 1 / (1 + block * 500e-9)
    np.testing.assert_allclose(live[0, 0], dead * np.exp(-2 * block * 100e-9), rtol=1e-12)
    assert np.unique(block_index(scanner)).size == scanner.blocks_per_ring * 2  # 16 rings


def test_multiples_survival_and_bad_input():
    assert multiples_survival(SCANNER, [1e6, 1e6]) == pytest.approx(np.exp(-2e6 * 3.4e-9))
    with pytest.raises(PositrixError, match="activities"):
        crystal_singles(SCANNER, [[0.0, 0.0, 0.0]], [-1.0], nuclide="F-18")
