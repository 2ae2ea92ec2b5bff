"""TOF sinograms: summed over TOF bins they are the non-TOF simulation; TOF-OSEM on them."""

import dataclasses

import numpy as np
import pytest

from positrix.geometry.sinogram import SinogramLayout
from positrix.recon.algorithms import osem
from positrix.recon.calibration import nominal_calibration
from positrix.recon.operators import ElementwiseMultiply
from positrix.recon.reconstruct import default_grid, grid_affine
from positrix.recon.sinogram_projector import SinogramProjector
from positrix.recon.tof_sinogram import TOFSinogramProjector
from positrix.simulation.phantoms import uniform_cylinder
from positrix.simulation.sinogram import simulate_sinograms
from positrix.simulation.tof_sinogram import simulate_tof_sinograms
from tests.scanners import mini_scanner

TOF = dataclasses.replace(mini_scanner(4), name="mini-tof", tof_resolution_ps=300.0, tof_bins=11,
                          tof_bin_ps=200.0)  # fmt: skip


@pytest.fixture(scope="module")
def setup():
    layout = SinogramLayout(TOF, span=1)
    shape, voxel = default_grid(TOF)
    phantom = uniform_cylinder(1e4, diameter_mm=40.0, length_mm=20.0)
    images = phantom.voxelise(shape, grid_affine(shape, voxel), supersample=2)
    tof = simulate_tof_sinograms(layout, images.activity_bq_ml, images.mu_per_mm, voxel,
                                 duration_s=60.0, nuclide="F-18", seed=1)  # fmt: skip
    return layout, shape, voxel, images, tof


def test_tof_sinograms_sum_to_the_non_tof_trues(setup):
    layout, _, voxel, images, tof = setup
    plain = simulate_sinograms(layout, images.activity_bq_ml, images.mu_per_mm, voxel,
                               duration_s=60.0, nuclide="F-18",
                               calibration=nominal_calibration(TOF), scatter_scale=0.0)  # fmt: skip
    assert tof.trues.shape == (*layout.shape, 11)
    # 11 × 30 mm cover every LOR (≤ 170 mm) and 6σ of the kernel: equal within float sums
    np.testing.assert_allclose(tof.trues.sum(axis=-1), plain.trues, rtol=2e-4, atol=1e-3)


def test_tof_osem_of_a_tof_sinogram_keeps_the_mean(setup):
    layout, shape, voxel, _, tof = setup
    ops_tof, ops_plain, data_tof, data_plain = [], [], [], []
    for subset in range(4):
        views = np.arange(subset, layout.n_views, 4)
        weight = tof.attenuation[:, views]
        ops_tof.append(ElementwiseMultiply(np.repeat(weight[..., None], 11, axis=-1))
                       @ TOFSinogramProjector(layout, shape, voxel, views=views))  # fmt: skip
        ops_plain.append(ElementwiseMultiply(weight)
                         @ SinogramProjector(layout, shape, voxel, views=views))  # fmt: skip
        data_tof.append(tof.prompts[:, views])
        data_plain.append(tof.prompts[:, views].sum(axis=-1))
    with_tof = osem(ops_tof, data_tof, iterations=2)
    without = osem(ops_plain, data_plain, iterations=2)
    x = (np.arange(shape[0]) - (shape[0] - 1) / 2) * voxel[0]
    inside = (x[:, None] ** 2 + x[None, :] ** 2) < 14.0**2
    middle = slice(1, shape[2] - 1)
    ratio = with_tof[inside][:, middle].mean() / without[inside][:, middle].mean()
    assert ratio == pytest.approx(1.0, abs=0.02)  # same counts and model: same mean
