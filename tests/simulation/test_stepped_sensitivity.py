"""A stepped Na-22 point source through simulator → list-mode → NEMA sensitivity analysis."""

import numpy as np
import pytest

from positrix.geometry.sinogram import SinogramLayout
from positrix.physics.nuclides import get_nuclide
from positrix.quant.nema.sensitivity import StepTable, nema_sensitivity
from positrix.recon.reconstruct import default_grid, grid_affine
from positrix.simulation.acquisition import events_from_frames, simulate_acquisition
from positrix.simulation.phantoms import point_source
from tests.scanners import mini_scanner

SCANNER = mini_scanner(8)


def test_stepped_point_source_sensitivity_matches_the_simulated_trues():
    layout = SinogramLayout(SCANNER, span=1)
    shape, voxel = default_grid(SCANNER)
    affine = grid_affine(shape, voxel)
    z_steps = np.array([-6.36, -3.18, 0.0, 3.18, 6.36])
    activity = 1e6
    starts, duration = np.arange(5) * 12.0, 10.0  # 2 s gaps between steps
    frames = []
    for n, z in enumerate(z_steps):
        images = point_source(activity, position_mm=(0.0, 0.0, float(z)), cube_mm=None)
        voxels = images.voxelise(shape, affine)
        assert voxels.total_activity_bq() == pytest.approx(activity, rel=1e-6)
        frames += simulate_acquisition(
            voxels.activity_bq_ml,
            voxels.mu_per_mm,
            voxel,
            layout=layout,
            nuclide="Na-22",
            frame_start_s=starts[n],
            frame_duration_s=duration,
            scatter_scale=0.0,
            seed=n,
        )
    events = events_from_frames(layout, frames, nuclide="Na-22")
    steps = StepTable(starts, np.full(5, duration), z_steps)
    result = nema_sensitivity(events, steps, activity, nuclide="Na-22")
    beta = get_nuclide("Na-22").beta_plus_fraction
    for n, frame in enumerate(frames):
        trues = float(frame.sinograms.trues.sum())
        # Na-22 decays 0.0001 % in a minute: the activity is constant here
        expected = 100.0 * trues / (duration * activity * beta)
        noise = 100.0 * np.sqrt(float(frame.sinograms.prompts.sum())) / (duration * activity * beta)
        assert result.absolute_pct[n] == pytest.approx(expected, abs=4 * noise + 1e-3)
    assert result.peak_z_mm == pytest.approx(0.0, abs=3.2)  # the centre of the axial FOV
