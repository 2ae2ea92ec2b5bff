"""Simulated sinogram acquisitions with known truth: trues, scatter, randoms, Poisson noise.

Expected counts of a bin over a frame of duration ``T`` starting at ``t₀`` (s after the
activity's reference time): trues ``k·T·β·D·n·a·P(λ)`` with ``k`` the scanner calibration,
``β`` the positron fraction, ``D`` the frame-mean decay factor, ``n`` the bin efficiencies
(crystal efficiencies), ``a`` the attenuation factors and ``P(λ)`` the line integral of the
activity concentration (Bq/mL·mm); scatter from the single-scatter simulation on a finer
detector sampling than the correction uses, times ``scatter_scale`` (multiple scatter);
randoms ``2τ·Sᵢ·Sⱼ·T`` from singles rates.  Prompts are Poisson(trues + scatter + randoms),
delayed coincidences Poisson(randoms).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from positrix.geometry.sinogram import SinogramLayout
from positrix.physics.decay import frame_decay_correction
from positrix.physics.nuclides import get_nuclide
from positrix.recon.corrections.crystal_pairs import crystal_pair_sinogram
from positrix.recon.corrections.randoms import randoms_from_singles
from positrix.recon.corrections.scatter import interpolate_scatter
from positrix.recon.scatter_sss import single_scatter
from positrix.recon.sinogram_projector import SinogramProjector

__all__ = ["SimulatedSinograms", "simulate_sinograms", "trues_scale"]


@dataclass(frozen=True)
class SimulatedSinograms:
    """Noisy prompts and delayeds with the expected trues, scatter and randoms (counts)."""

    prompts: NDArray[np.float32]
    delayeds: NDArray[np.float32]
    trues: NDArray[np.float32]
    scatter: NDArray[np.float32]
    randoms: NDArray[np.float32]


def trues_scale(
    nuclide: str, *, calibration: float, duration_s: float, frame_start_s: float = 0.0
) -> float:
    """Expected true counts of a frame per unit of (efficiency × attenuation × line
    integral of the time-0 activity, Bq/mL·mm): calibration × duration × positron fraction
    × the mean decay factor over the frame."""
    info = get_nuclide(nuclide)
    decay = 1.0 / float(frame_decay_correction(info, frame_start_s, duration_s))
    return float(calibration) * float(duration_s) * info.beta_plus_fraction * decay


def simulate_sinograms(
    layout: SinogramLayout,
    activity_bq_ml: ArrayLike,
    mu_per_mm: ArrayLike,
    voxel_size_mm: ArrayLike,
    *,
    duration_s: float,
    nuclide: str,
    calibration: float,
    efficiencies: ArrayLike | None = None,
    singles_cps: ArrayLike | None = None,
    scatter_scale: float = 1.2,
    frame_start_s: float = 0.0,
    seed: int = 0,
) -> SimulatedSinograms:
    """Simulate one frame (see the module docstring); ``efficiencies`` and ``singles_cps``
    are per crystal, ``(n_rings, crystals_per_ring)``; ``activity_bq_ml`` is at time 0."""
    rng = np.random.default_rng(seed)
    activity = np.asarray(activity_bq_ml, dtype=np.float32)
    mu = np.asarray(mu_per_mm, dtype=np.float32)
    eff = layout.scanner.detector_mask()  # no crystals in the axial gaps, whatever is given
    if efficiencies is not None:
        eff = eff * np.asarray(efficiencies, dtype=np.float64)
    bins = crystal_pair_sinogram(layout, eff)
    scale = trues_scale(
        nuclide, calibration=calibration, duration_s=duration_s, frame_start_s=frame_start_s
    )
    projector = SinogramProjector(layout, activity.shape, voxel_size_mm)
    attenuation = np.exp(-projector.apply(mu))
    trues = (scale * bins * attenuation * projector.apply(activity)).astype(np.float32)
    scatter = np.zeros_like(trues)
    if scatter_scale > 0:
        n = layout.scanner.crystals_per_ring
        crystals = np.unique(np.rint(np.arange(-(-n // 4)) * n / -(-n // 4)).astype(int) % n)
        z = np.linspace(layout.scanner.ring_z_mm()[0], layout.scanner.ring_z_mm()[-1], 12)
        xy = layout.scanner.transaxial_positions_mm()[crystals]
        detectors = np.concatenate([np.column_stack([xy, np.full(len(xy), zz)]) for zz in z])
        act_c, mu_c, voxel_c = _coarsen(activity, mu, voxel_size_mm)
        coarse = single_scatter(
            act_c,
            mu_c,
            voxel_c,
            detectors,
            energy_window_kev=layout.scanner.energy_window_kev,
            energy_resolution=layout.scanner.energy_resolution,
            scatter_spacing_mm=3.0,
        )
        spread = interpolate_scatter(layout, coarse, z, crystals)
        scatter = (scatter_scale * scale * bins * spread).astype(np.float32)
    randoms = np.zeros_like(trues)
    if singles_cps is not None:
        randoms = randoms_from_singles(layout, singles_cps, duration_s=duration_s)
    prompts = rng.poisson(trues + scatter + randoms).astype(np.float32)
    delayeds = rng.poisson(randoms).astype(np.float32)
    return SimulatedSinograms(prompts, delayeds, trues, scatter, randoms)


def _coarsen(
    activity: NDArray[np.float32], mu: NDArray[np.float32], voxel_size_mm: ArrayLike
) -> tuple[NDArray[np.float32], NDArray[np.float32], NDArray[np.float64]]:
    """Block means of both images to voxels of ≈ 2 mm for the scatter simulation (scatter
    is smooth; its ray tracing costs grow with the grid), grid centre kept."""
    voxel = np.asarray(voxel_size_mm, dtype=np.float64).reshape(3)
    factor = np.maximum(np.floor(2.0 / voxel).astype(int), 1)
    if np.all(factor == 1):
        return activity, mu, voxel
    out = []
    for image in (activity, mu):
        pad = [(0, 0)] * 3
        for axis in range(3):
            extra = -image.shape[axis] % factor[axis]
            pad[axis] = (extra // 2, extra - extra // 2)
        padded = np.pad(image, pad)
        shape = [n // f for n, f in zip(padded.shape, factor, strict=True)]
        blocks = padded.reshape(shape[0], factor[0], shape[1], factor[1], shape[2], factor[2])
        out.append(blocks.mean(axis=(1, 3, 5)).astype(np.float32))
    return out[0], out[1], voxel * factor
