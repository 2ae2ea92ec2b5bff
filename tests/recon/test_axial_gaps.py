"""Axial gaps between detector modules: virtual rings of zero efficiency, known to the
simulator and the reconstruction, so that a uniform cylinder stays uniform across them."""

import dataclasses

import numpy as np
import pytest

from positrix.geometry.scanner import load_scanner
from positrix.geometry.sinogram import SinogramLayout
from positrix.quant.nema.design_study import analytic_sensitivity
from positrix.quant.nema.performance import axial_sensitivity
from positrix.recon.corrections.normalisation import Normalisation
from positrix.recon.reconstruct import default_grid, grid_affine
from positrix.recon.study import ReconOptions, reconstruct_sinogram
from positrix.simulation.acquisition import simulate_acquisition
from positrix.simulation.phantoms import uniform_cylinder
from positrix.simulation.singles import block_index, crystal_singles

GAPS = load_scanner("docs/examples/gaps4.toml")  # 3 × 6 rings, 1 virtual ring between


def test_virtual_rings_hold_no_crystals():
    rings = GAPS.detector_rings()
    assert rings.tolist() == [True] * 6 + [False] + [True] * 6 + [False] + [True] * 6
    assert GAPS.detector_mask().sum() == 18 * GAPS.crystals_per_ring
    # dead time is per module: 3 axial blocks × 12 transaxial, none across a gap
    rows = block_index(GAPS)[:, 0] // GAPS.blocks_per_ring
    assert rows[GAPS.detector_rings()].tolist() == [0] * 6 + [1] * 6 + [2] * 6
    singles = crystal_singles(GAPS, [[0.0, 0.0, 0.0]], [1e6], nuclide="F-18")
    assert singles[~GAPS.detector_rings()].sum() == 0.0 and singles.sum() > 0


def _reconstruct(normalisation):
    layout = SinogramLayout(GAPS, span=3)
    shape, voxel = default_grid(GAPS)
    phantom = uniform_cylinder(1e5, diameter_mm=30.0, length_mm=60.0)
    images = phantom.voxelise(shape, grid_affine(shape, voxel), supersample=2)
    frame = simulate_acquisition(images.activity_bq_ml, images.mu_per_mm, voxel, layout=layout,
                                 nuclide="F-18", frame_duration_s=300.0, scatter_scale=0.0,
                                 randoms=False, seed=2)[0]  # fmt: skip
    # no coincidence reaches a virtual crystal
    assert frame.sinograms.trues[_gap_bins(layout)].sum() == 0.0
    image = reconstruct_sinogram(layout, frame.sinograms.trues, duration_s=300.0,
                                 options=ReconOptions(iterations=6, subsets=6, scatter=False),
                                 nuclide="F-18", mu_per_mm=images.mu_per_mm,
                                 normalisation=normalisation)  # fmt: skip
    data = np.asarray(image.data)
    x = (np.arange(shape[0]) - (shape[0] - 1) / 2) * voxel[0]
    inner = (x[:, None] ** 2 + x[None, :] ** 2) < 10.0**2
    return np.array([data[..., k][inner].mean() for k in range(shape[2])]), voxel[2]


def _gap_bins(layout):
    from positrix.recon.corrections.crystal_pairs import crystal_pair_sinogram

    real = crystal_pair_sinogram(layout, GAPS.detector_mask())
    every = crystal_pair_sinogram(layout, np.ones_like(GAPS.detector_mask()))
    return (real == 0) & (every > 0)


def test_a_uniform_cylinder_stays_uniform_across_the_gaps():
    profile, vz = _reconstruct(None)  # the default normalisation knows the virtual rings
    z = (np.arange(profile.size) - (profile.size - 1) / 2) * vz
    central = profile[np.abs(z) < 12.0]  # away from the cylinder's and the scanner's ends
    # noise-free data, OSEM 6 × 6: every plane, gap planes included, within 4 % of the fill
    assert central == pytest.approx(1e5, rel=0.04)
    # a reconstruction that takes the gaps for crystals models counts the data cannot hold:
    # the planes at the gaps come out far too low
    blind = Normalisation(
        np.ones_like(GAPS.detector_mask()), np.ones(SinogramLayout(GAPS).n_radial)
    )
    wrong, _ = _reconstruct(blind)
    assert wrong[np.abs(z) < 12.0].min() < 0.85 * 1e5


def test_sensitivity_profile_loses_the_pairs_through_the_gaps():
    z, with_gaps = axial_sensitivity(GAPS, span=3)
    _, full = axial_sensitivity(dataclasses.replace(GAPS, gap_rings=0, rings_per_block=0))
    # the planes at the ends pair rings symmetric about them, none of them a gap (±7 mm):
    # their sensitivity is unchanged (the projector is the same, to rounding)
    ends = np.abs(z) >= 15.0
    assert with_gaps[ends] == pytest.approx(full[ends], rel=1e-6)
    assert np.all(with_gaps[~ends] < full[~ends])  # every other plane loses pairs
    # over the whole axis a pair needs two real crystals: the share of real rings squared,
    # (18/20)² = 0.81 (measured 0.811; 0.02 for the ring-difference weighting)
    assert with_gaps.sum() / full.sum() == pytest.approx(0.81, abs=0.02)
    # the analytic profile follows both photons of a pair to the rings (back to back: the
    # second ring is fixed by the first): plane by plane it loses what the simulated
    # profile loses — measured within 0.02 (0.72 … 0.92 of the gap-free values)
    gap_free = dataclasses.replace(GAPS, gap_rings=0, rings_per_block=0)
    analytic = analytic_sensitivity(GAPS, z) / analytic_sensitivity(gap_free, z)
    assert analytic == pytest.approx(with_gaps / full, abs=0.025)
