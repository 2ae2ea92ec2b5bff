"""Photon transport into the block ring: stopping depths, crystals hit, and DOI."""

import dataclasses

import numpy as np
import pytest

from positrix.errors import PositrixError
from positrix.geometry.scanner import ScannerGeometry
from positrix.simulation.detector_transport import LSO_MU_PER_MM, _stops, ring_events

DEEP = ScannerGeometry(name="deep20", blocks_per_ring=16, crystals_per_block=20, n_rings=1,
                       transaxial_pitch_mm=1.6, axial_pitch_mm=1.6,
                       crystal_size_mm=(1.5, 1.5, 20.0), ring_diameter_mm=161.0,
                       mean_doi_mm=7.2)  # fmt: skip


def test_photons_stop_where_their_free_path_runs_out():
    rng = np.random.default_rng(0)
    n = 100_000
    theta = rng.uniform(-0.15, 0.15, n)  # rad from block 0's normal (x axis): < 8.6°
    direction = np.column_stack([np.cos(theta), np.sin(theta)])
    free = rng.exponential(12.0, n)
    crystal, depth = _stops(DEEP, np.zeros((n, 2)), direction, free)
    inside = free * np.cos(theta) < 20.0  # stops before the back face
    assert np.all(crystal[~inside] == -1)
    np.testing.assert_allclose(depth[inside], (free * np.cos(theta))[inside], atol=1e-9)
    # the crystal is the one under the stopping point: v = (80.5 + depth)·tan θ
    v = (80.5 + depth[inside]) * np.tan(theta[inside])
    np.testing.assert_array_equal(crystal[inside], np.floor((v + 16.0) / 1.6).astype(int))


def test_a_centred_source_fills_the_layers_by_the_exponential_law():
    events = ring_events(DEEP, (0.0, 0.0), 200_000, doi_layers=2, non_collinearity=False)
    mu = LSO_MU_PER_MM * 1.5 / 1.6  # crystal material in the block's width
    layers = np.concatenate([events.layer_1, events.layer_2])
    radial = 1 / (1 + np.exp(-mu * 10.0))  # P(front | stopped) at normal incidence: 0.693
    # near the block edges deep photons leave through the side into the wedge gap between
    # flat blocks: the stopped photons are a little shallower than at normal incidence
    assert radial < np.mean(layers == 0) < radial + 0.04
    # back-to-back photons from the centre hit opposite crystals
    opposite = (events.crystal_1 + DEEP.crystals_per_ring // 2) % DEEP.crystals_per_ring
    assert np.mean(np.abs(opposite - events.crystal_2) <= 1) > 0.99


def test_photons_leave_flat_blocks_through_the_wedge_gaps():
    """From the centre, a photon θ from a block's normal stays inside it for the whole
    depth only while (80.5 + 20)·tan θ ≤ 16 mm: θ ≤ 9.0°; beyond, its path is
    cut short, so fewer photons stop near the block edges than in the middle."""
    events = ring_events(DEEP, (0.0, 0.0), 200_000, doi_layers=1, non_collinearity=False)
    per_crystal = np.bincount(events.crystal_1 % DEEP.crystals_per_block, minlength=20)
    assert per_crystal[0] < 0.9 * per_crystal[10] and per_crystal[19] < 0.9 * per_crystal[10]


def test_positions_follow_the_layers():
    events = ring_events(DEEP, (10.0, 0.0), 20_000, doi_layers=2, seed=3)
    radius = np.linalg.norm(events.start_mm[:, :2], axis=1)
    # a crystal's centre sits up to half a block width off the face normal: ≤ 2.8 % further
    front = events.layer_1 == 0
    assert np.all((radius[front] >= 85.5) & (radius[front] <= 85.5 * 1.03))
    assert np.all((radius[~front] >= 95.5) & (radius[~front] <= 95.5 * 1.03))
    plain = ring_events(DEEP, (10.0, 0.0), 20_000, doi_layers=1, seed=3)
    radius = np.linalg.norm(plain.start_mm[:, :2], axis=1)
    assert np.all((radius >= 87.7) & (radius <= 87.7 * 1.03))  # the mean DOI


def test_bad_transport_input():
    with pytest.raises(PositrixError):
        ring_events(DEEP, (0.0, 0.0), 0)
    with pytest.raises(PositrixError):
        ring_events(dataclasses.replace(DEEP), (0.0, 0.0), 10, doi_layers=0)
