"""Photon Monte Carlo in a cylinder: geometry and attenuation against closed forms, and the
NU 4 scatter fraction of the analytic model against it."""

import dataclasses

import numpy as np
import pytest

from positrix.geometry.scanner import get_scanner
from positrix.quant.nema.performance import mc_scatter_fraction, nu4_count_rates
from positrix.simulation.photon_mc import simulate_coincidences

RING = get_scanner("demo-ring")  # detector cylinder radius 85.08 mm, 101.8 mm long
WIDE = dataclasses.replace(RING, energy_window_kev=(100.0, 1000.0))
N = 400_000


def _accepted_cosine(scanner):
    radius = scanner.ring_diameter_mm / 2 + scanner.mean_doi_mm
    half = scanner.axial_fov_mm / 2
    return half / np.hypot(half, radius)  # |cos θ| reaching the cylinder from the centre


def test_without_matter_every_pair_reaching_the_ring_is_recorded_unscattered():
    events = simulate_coincidences(WIDE, np.zeros((N, 3)), radius_mm=20.0,
                                   z_range_mm=(-500.0, 500.0), mu_per_mm=0.0, seed=1)  # fmt: skip
    assert not events.scattered.any()
    # isotropic emission: cos θ uniform, the ring takes |cos θ| ≤ c₀; binomial 3 SD ≈ 0.0024
    assert events.scattered.size / N == pytest.approx(_accepted_cosine(WIDE), abs=0.0025)
    # back to back: the LORs pass through the source
    p, q = events.start_mm, events.end_mm
    cross = np.cross(p, q - p)
    assert np.max(np.linalg.norm(cross, axis=1) / np.linalg.norm(q - p, axis=1)) < 1e-9


def test_unscattered_pairs_follow_the_attenuation_law():
    mu, radius = 0.0096, 20.0  # water at 511 keV in a long Ø 40 mm cylinder
    events = simulate_coincidences(WIDE, np.zeros((N, 3)), radius_mm=radius,
                                   z_range_mm=(-500.0, 500.0), mu_per_mm=mu, seed=2)  # fmt: skip
    # both photons cross r/sin θ of water: P = ½∫ e^(−2µr/√(1−c²)) dc over |c| ≤ c₀
    c0 = _accepted_cosine(WIDE)
    c = np.linspace(-c0, c0, 20001)
    expected = 0.5 * np.trapezoid(np.exp(-2 * mu * radius / np.sqrt(1 - c**2)), c)
    direct = np.count_nonzero(~events.scattered) / N
    assert direct == pytest.approx(expected, abs=0.0025)  # binomial, 3 SD
    assert events.scattered.any()  # scattered photons still reach the ring in the window


def test_the_analytic_scatter_model_agrees_with_the_monte_carlo():
    """The sweep's scatter (single-scatter simulation × 1.2 for multiple scatter) against the
    photon Monte Carlo of the same phantom, both through the NU 4 analysis: measured
    4.68 % vs 4.29 % (mouse, ratio 1.09); on the Inveon 4.6 % vs 4.2 % and, rat, 15.3 %
    vs 14.3 %.  The MC's multiple scatter adds only 3–8 % to single scatter in these
    phantoms, so the 1.2 factor is why the model runs high."""
    sf_mc, share = mc_scatter_fraction(RING, "mouse", n_decays=1_000_000, seed=0)
    # the NU 4 analysis recovers the MC's own count of scattered coincidences, 0.3 point
    assert sf_mc == pytest.approx(share, abs=0.003)
    model = nu4_count_rates(RING, "mouse", fast=True).scatter_fraction
    # the model's ×1.2 for multiple scatter, where the MC finds ×1.03: the model must lie
    # above the MC and by less than that factor allows (measured 1.09; MC seeds ±2 %)
    assert 1.0 < model / sf_mc < 1.2
