"""Acquisition simulation: physical laws on a small ring scanner."""

from datetime import UTC, datetime

import numpy as np
import pytest

from positrix.errors import PositrixError
from positrix.geometry.sinogram import SinogramLayout
from positrix.physics.nuclides import get_nuclide
from positrix.recon.calibration import nominal_calibration
from positrix.recon.corrections.crystal_pairs import crystal_pair_sinogram
from positrix.recon.reconstruct import default_grid, grid_affine
from positrix.recon.sinogram_projector import SinogramProjector
from positrix.simulation.acquisition import (
    default_detector_blur_mm,
    events_from_frames,
    simulate_acquisition,
    singles_rates,
)
from positrix.simulation.phantoms import uniform_cylinder
from tests.scanners import mini_scanner

SCANNER = mini_scanner(8)
LAYOUT = SinogramLayout(SCANNER, span=3)
SHAPE, VOXEL = default_grid(SCANNER)


@pytest.fixture(scope="module")
def cylinder():
    phantom = uniform_cylinder(1e5, diameter_mm=30.0, length_mm=16.0)
    return phantom.voxelise(SHAPE, grid_affine(SHAPE, VOXEL))


def _trues(cylinder, **options):
    defaults = dict(
        layout=LAYOUT, nuclide="F-18", frame_duration_s=600.0, scatter_scale=0.0, randoms=False
    )
    frames = simulate_acquisition(
        cylinder.activity_bq_ml, cylinder.mu_per_mm, VOXEL, **{**defaults, **options}
    )
    return frames[0].sinograms


def test_expected_trues_follow_the_counting_model(cylinder):
    sino = _trues(cylinder, positron_range=False, detector_blur_mm=0.0)
    projector = SinogramProjector(LAYOUT, SHAPE, VOXEL)
    attenuation = np.exp(-projector.apply(cylinder.mu_per_mm))
    nuclide = get_nuclide("F-18")
    lam = nuclide.decay_constant_per_s
    mean_decay = (1 - np.exp(-lam * 600.0)) / (lam * 600.0)
    k = nominal_calibration(SCANNER)
    pairs = crystal_pair_sinogram(LAYOUT, np.ones((SCANNER.n_rings, SCANNER.crystals_per_ring)))
    expected = k * 600.0 * nuclide.beta_plus_fraction * mean_decay
    expected *= float((pairs * attenuation * projector.apply(cylinder.activity_bq_ml)).sum())
    assert float(sino.trues.sum()) == pytest.approx(expected, rel=1e-5)
    # Poisson: prompts = trues here, within 5 SD
    assert abs(float(sino.prompts.sum()) - expected) < 5 * np.sqrt(expected)


def test_a_half_life_later_halves_the_counts(cylinder):
    half_life = get_nuclide("F-18").half_life_s
    now = _trues(cylinder, frame_start_s=0.0)
    later = _trues(cylinder, frame_start_s=half_life)
    assert float(later.trues.sum()) / float(now.trues.sum()) == pytest.approx(0.5, rel=1e-6)


def test_detector_blur_adds_its_variance_to_projections():
    line = uniform_cylinder(1e6, diameter_mm=1.0, length_mm=10.0)
    images = line.voxelise(SHAPE, grid_affine(SHAPE, VOXEL), supersample=5)
    options = dict(nuclide="F-18", frame_duration_s=60.0, positron_range=False)
    sharp = _trues(images, detector_blur_mm=0.0, **options).trues
    blurred = _trues(images, detector_blur_mm=4.0, **options).trues
    r = LAYOUT.radial_mm()

    def variance(sino):
        profile = sino.sum(axis=(0, 1), dtype=np.float64)
        assert np.all(np.isfinite(r[profile > 0]))
        profile, r_ok = profile[np.isfinite(r)], r[np.isfinite(r)]
        mean = (profile * r_ok).sum() / profile.sum()
        return (profile * (r_ok - mean) ** 2).sum() / profile.sum()

    sigma2 = (4.0 / np.sqrt(8 * np.log(2))) ** 2  # Gaussian variances add
    assert variance(blurred) - variance(sharp) == pytest.approx(sigma2, rel=0.1)
    # blur moves activity, it does not make any: never more counts (axially some activity
    # moves towards the less sensitive ends of this 8-ring scanner)
    assert 0.9 < float(blurred.sum()) / float(sharp.sum()) <= 1.0
    assert default_detector_blur_mm(LAYOUT) == pytest.approx(
        np.sqrt(1.5**2 + (0.0022 * (161 + 2 * 4.58)) ** 2 + 1.1**2)
    )


def test_randoms_grow_with_the_square_of_activity(cylinder):
    one = singles_rates(LAYOUT, 1e6, nuclide="F-18")
    two = singles_rates(LAYOUT, 2e6, nuclide="F-18")
    assert np.allclose(two, 2 * one)
    low = simulate_acquisition(
        cylinder.activity_bq_ml,
        cylinder.mu_per_mm,
        VOXEL,
        layout=LAYOUT,
        nuclide="F-18",
        frame_duration_s=60.0,
        scatter_scale=0.0,
    )[0].sinograms
    high = simulate_acquisition(
        2 * cylinder.activity_bq_ml,
        cylinder.mu_per_mm,
        VOXEL,
        layout=LAYOUT,
        nuclide="F-18",
        frame_duration_s=60.0,
        scatter_scale=0.0,
    )[0].sinograms
    assert float(high.randoms.sum()) / float(low.randoms.sum()) == pytest.approx(4.0, rel=1e-6)
    assert float(high.trues.sum()) / float(low.trues.sum()) == pytest.approx(2.0, rel=1e-6)
    # delayeds are Poisson(randoms)
    assert abs(float(high.delayeds.sum()) - float(high.randoms.sum())) < 5 * np.sqrt(
        float(high.randoms.sum())
    )


def test_dead_time_lowers_counts_by_the_live_fraction_squared(cylinder):
    tau = 2e-6
    frames = simulate_acquisition(
        cylinder.activity_bq_ml,
        cylinder.mu_per_mm,
        VOXEL,
        layout=LAYOUT,
        nuclide="F-18",
        frame_duration_s=60.0,
        scatter_scale=0.0,
        randoms=False,
        dead_time_s=tau,
    )
    ideal = _trues(cylinder, frame_duration_s=60.0)
    singles = singles_rates(LAYOUT, 1.0, nuclide="F-18")[0, 0]  # per Bq
    total_bq = float(cylinder.activity_bq_ml.sum()) * np.prod(VOXEL) / 1000
    lam = get_nuclide("F-18").decay_constant_per_s
    total_bq *= (1 - np.exp(-lam * 60)) / (lam * 60)
    block_rate = singles * total_bq * SCANNER.crystals_per_block * 8  # 10 crystals × 8 rings
    live = np.exp(-block_rate * tau)
    assert frames[0].mean_live_fraction == pytest.approx(live, rel=1e-6)
    ratio = float(frames[0].sinograms.trues.sum()) / float(ideal.trues.sum())
    assert ratio == pytest.approx(live**2, rel=1e-6)


def test_dynamic_frames_and_list_mode_times():
    layout = SinogramLayout(SCANNER, span=1)
    phantom = uniform_cylinder(2e4, diameter_mm=20.0, length_mm=10.0)
    images = phantom.voxelise(SHAPE, grid_affine(SHAPE, VOXEL))
    activity = np.stack([images.activity_bq_ml, 2 * images.activity_bq_ml], -1)
    frames = simulate_acquisition(
        activity,
        images.mu_per_mm,
        VOXEL,
        layout=layout,
        nuclide="C-11",
        frame_start_s=[0.0, 1200.0],
        frame_duration_s=[1200.0, 1200.0],
        scatter_scale=0.0,
    )
    lam = get_nuclide("C-11").decay_constant_per_s
    ratio = float(frames[1].sinograms.trues.sum()) / float(frames[0].sinograms.trues.sum())
    assert ratio == pytest.approx(2 * np.exp(-lam * 1200), rel=1e-5)  # activity × decay
    start = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
    events = events_from_frames(layout, frames, nuclide="C-11", acquisition_start=start)
    n_prompts = sum(float(f.sinograms.prompts.sum()) for f in frames)
    assert int(events.prompt.sum()) == n_prompts
    assert np.all(np.diff(events.time_s) >= 0) and events.duration_s == 2400.0
    # within the first frame the times follow e^(−λt): mean = 1/λ − T/(e^(λT) − 1)
    first = events.time_s[events.time_s < 1200.0]
    expected = 1 / lam - 1200.0 / np.expm1(lam * 1200.0)
    assert first.mean() == pytest.approx(expected, abs=4 * 1200 / np.sqrt(12 * first.size))


def test_bad_acquisition_input(cylinder):
    with pytest.raises(PositrixError, match="start"):
        simulate_acquisition(
            np.stack([cylinder.activity_bq_ml] * 2, -1),
            cylinder.mu_per_mm,
            VOXEL,
            layout=LAYOUT,
            nuclide="F-18",
            frame_duration_s=60.0,
        )
    with pytest.raises(PositrixError, match="span-1"):
        events_from_frames(LAYOUT, [], nuclide="F-18")
