"""A box scanner (four flat panels) simulates and reconstructs like a ring."""

import numpy as np
import pytest

from positrix.geometry.scanner import load_scanner
from positrix.geometry.sinogram import SinogramLayout
from positrix.recon.reconstruct import default_grid, grid_affine
from positrix.recon.study import ReconOptions, reconstruct_sinogram
from positrix.simulation.acquisition import simulate_acquisition
from positrix.simulation.phantoms import uniform_cylinder


def test_a_uniform_cylinder_in_a_box_scanner_reads_its_concentration():
    box = load_scanner("docs/examples/box4.toml")
    layout = SinogramLayout(box, span=3)
    shape, voxel = default_grid(box)
    phantom = uniform_cylinder(1e5, diameter_mm=30.0, length_mm=20.0)
    images = phantom.voxelise(shape, grid_affine(shape, voxel), supersample=2)
    frame = simulate_acquisition(images.activity_bq_ml, images.mu_per_mm, voxel, layout=layout,
                                 nuclide="F-18", frame_duration_s=300.0, scatter_scale=0.0,
                                 randoms=False, seed=1)[0]  # fmt: skip
    options = ReconOptions(iterations=4, subsets=8, scatter=False)
    image = reconstruct_sinogram(
        layout,
        frame.sinograms.prompts,
        options=options,
        duration_s=300.0,
        nuclide="F-18",
        mu_per_mm=images.mu_per_mm,
    )
    data = np.asarray(image.data)
    x = (np.arange(shape[0]) - (shape[0] - 1) / 2) * voxel[0]
    inner = (x[:, None] ** 2 + x[None, :] ** 2) < 10.0**2
    centre = data[..., shape[2] // 2 - 2 : shape[2] // 2 + 3][inner]
    # 5 %: OSEM 4 × 8 of 1.8·10⁷ counts; measured −1.2 % (SD 8 % voxel to voxel)
    assert centre.mean() == pytest.approx(1e5, rel=0.05)
