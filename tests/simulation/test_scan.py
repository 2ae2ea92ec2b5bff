"""Whole simulated scans: the digital mouse FDG dynamic study recovers its organ truths."""

import numpy as np
import pytest
from scipy import ndimage

from positrix.errors import PositrixError
from positrix.image.frames import FrameTable
from positrix.physics.decay import decay_factor
from positrix.recon.corrections.attenuation import hu_to_mu
from positrix.recon.corrections.crystal_pairs import crystal_pair_sinogram, fit_crystal_factors
from positrix.recon.study import ReconOptions, reconstruct_sinogram
from positrix.simulation.scan import make_phantom, simulate_scan
from tests.scanners import mini_scanner


@pytest.fixture(scope="module")
def mouse_scan():
    frames = FrameTable([120.0, 1800.0], [180.0, 1200.0], None)
    return simulate_scan(
        make_phantom("digital-mouse"),
        mini_scanner(30),
        nuclide="F-18",
        activity_bq=10e6,
        frames=frames,
        seed=3,
    )


def test_digital_mouse_fdg_dynamic_organ_means_within_10_percent(mouse_scan):
    scan = mouse_scan
    mu = hu_to_mu(scan.ct_hu, kvp=80)  # µ from the simulated CT, not the truth
    names = scan.truth.label_names
    options = ReconOptions(iterations=3, subsets=8)
    for f, frame in enumerate(scan.acquisition):
        sino = frame.sinograms
        randoms = crystal_pair_sinogram(
            scan.layout, fit_crystal_factors(scan.layout, sino.delayeds)
        )
        image = reconstruct_sinogram(
            scan.layout,
            sino.prompts,
            options=options,
            duration_s=frame.duration_s,
            nuclide="F-18",
            randoms=randoms,
            mu_per_mm=mu,
            acquisition_start=scan.frames.acquisition_start or _epoch(),
        )
        # decay-corrected to the frame start; the truth is decay-corrected to injection
        data = np.asarray(image.data) / float(decay_factor("F-18", frame.start_s))
        for organ in ("liver", "brain", "muscle"):
            inner = ndimage.binary_erosion(scan.truth.labels == names.index(organ) + 1)
            ratio = data[inner].mean() / scan.region_truth[organ][f]
            assert ratio == pytest.approx(1.0, abs=0.10), (organ, f, ratio)


def _epoch():
    from datetime import UTC, datetime

    return datetime(2026, 1, 1, tzinfo=UTC)


def test_scan_truth_frames_follow_the_kinetics(mouse_scan):
    scan = mouse_scan
    liver = scan.truth.labels == scan.truth.label_names.index("liver") + 1
    for f in range(2):
        values = scan.truth_frames[..., f][ndimage.binary_erosion(liver, iterations=2)]
        assert values.mean() == pytest.approx(scan.region_truth["liver"][f], rel=1e-5)


def test_phantom_scan_scales_to_the_activity():
    frames = FrameTable([0.0], [60.0], None)
    scan = simulate_scan(
        make_phantom("mouse-cylinder"),
        mini_scanner(8),
        nuclide="F-18",
        activity_bq=1e6,
        frames=frames,
        scatter=False,
        randoms=False,
        refine=1,
    )
    voxel_ml = abs(np.linalg.det(scan.truth.affine[:3, :3])) / 1000
    inside = float(scan.truth_frames.sum()) * voxel_ml
    # the 70 mm cylinder is longer than this 25 mm scanner's grid: the truth image holds
    # the part in the field, at the concentration 1 MBq / (π 12.5² · 70 mm³)
    concentration = 1e6 / (np.pi * 12.5**2 * 70 / 1000)
    assert scan.region_truth["uniform"][0] == pytest.approx(concentration, rel=3e-3)
    assert inside < 1e6
    with pytest.raises(PositrixError, match="phantom"):
        make_phantom("teapot")
