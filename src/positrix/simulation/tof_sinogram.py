"""Simulated time-of-flight sinograms: expected trues per TOF bin and Poisson counts.

The trues of :func:`~positrix.simulation.sinogram.simulate_sinograms` (calibration, positron
fraction, decay within the frame, ring pairs per bin, attenuation) with the activity's line
integral split over TOF bins by :class:`~positrix.recon.tof_sinogram.TOFSinogramProjector`;
summed over the bins they are that function's trues.  Scatter and randoms are left out
(their TOF distribution is wide; add them in the non-TOF simulation).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from positrix.geometry.sinogram import SinogramLayout
from positrix.recon.calibration import nominal_calibration
from positrix.recon.corrections.crystal_pairs import crystal_pair_sinogram
from positrix.recon.sinogram_projector import SinogramProjector
from positrix.recon.tof_sinogram import TOFSinogramProjector
from positrix.simulation.sinogram import trues_scale

__all__ = ["TOFSinograms", "simulate_tof_sinograms"]


@dataclass(frozen=True)
class TOFSinograms:
    """Expected trues and Poisson prompts, ``(planes, views, radial, tof_bins)`` (counts),
    and the attenuation factors per sinogram bin ``(planes, views, radial)``."""

    prompts: NDArray[np.float32]
    trues: NDArray[np.float32]
    attenuation: NDArray[np.float32]


def simulate_tof_sinograms(
    layout: SinogramLayout,
    activity_bq_ml: ArrayLike,
    mu_per_mm: ArrayLike,
    voxel_size_mm: ArrayLike,
    *,
    duration_s: float,
    nuclide: str,
    calibration: float | None = None,
    frame_start_s: float = 0.0,
    seed: int = 0,
) -> TOFSinograms:
    """One TOF frame (module docstring); ``activity_bq_ml`` at time 0 on a grid centred on
    the scanner."""
    activity = np.asarray(activity_bq_ml, dtype=np.float32)
    k = nominal_calibration(layout.scanner) if calibration is None else float(calibration)
    scale = trues_scale(nuclide, calibration=k, duration_s=duration_s, frame_start_s=frame_start_s)
    scanner = layout.scanner
    pairs = crystal_pair_sinogram(layout, scanner.detector_mask())
    attenuation = np.exp(
        -SinogramProjector(layout, activity.shape, voxel_size_mm).apply(
            np.asarray(mu_per_mm, np.float32)
        )
    ).astype(np.float32)
    lines = TOFSinogramProjector(layout, activity.shape, voxel_size_mm).apply(activity)
    trues = (scale * (pairs * attenuation)[..., None] * lines).astype(np.float32)
    prompts = np.random.default_rng(seed).poisson(trues).astype(np.float32)
    return TOFSinograms(prompts, trues, attenuation)
