"""Time-of-flight bins for simulated list-mode events.

A prompt's annihilation point is drawn along its LOR from the activity there (the image
sampled at 96 points between the two crystals, trilinear); its measured position is that
point plus a Gaussian error of FWHM ``c·CTR/2`` (:func:`positrix.physics.tof.
position_fwhm_mm`), binned into the scanner's TOF bins (``tof_bins`` × ``tof_bin_ps``,
centred on the LOR's midpoint, counted from crystal 1 towards crystal 2; positions beyond
the outer bins fall into them).  A delayed coincidence pairs two unrelated photons: its time
difference is uniform over the coincidence window, so its position is uniform over
``±c·window/4``.  Prompts made by scatter or randoms are given positions as if true (the
simulated sinograms do not tell them apart).
"""

from __future__ import annotations

import dataclasses

import numpy as np
from numpy.typing import ArrayLike
from scipy import ndimage

from positrix.errors import PositrixError
from positrix.geometry.scanner import ScannerGeometry
from positrix.io.events import ListModeEvents
from positrix.physics.tof import SPEED_OF_LIGHT_MM_PER_PS, position_fwhm_mm, tof_bin_edges_mm

__all__ = ["with_tof_bins"]

_SAMPLES = 96


def with_tof_bins(
    events: ListModeEvents,
    scanner: ScannerGeometry,
    activity_bq_ml: ArrayLike,
    voxel_size_mm: ArrayLike,
    *,
    seed: int = 0,
    chunk: int = 50_000,
) -> ListModeEvents:
    """``events`` with a TOF bin each (module docstring); ``activity_bq_ml`` is the image
    the events came from, on a grid centred on the scanner with ``voxel_size_mm``."""
    if int(scanner.tof_bins) < 2:
        raise PositrixError(
            f"scanner '{scanner.name}' has no TOF bins",
            field="tof_bins",
            fix="give the scanner tof_resolution_ps, tof_bins and tof_bin_ps",
        )
    activity = np.asarray(activity_bq_ml, dtype=np.float32)
    voxel = np.asarray(voxel_size_mm, dtype=np.float64).reshape(3)
    centre = (np.asarray(activity.shape, dtype=np.float64) - 1.0) / 2.0
    edges = tof_bin_edges_mm(int(scanner.tof_bins), float(scanner.tof_bin_ps))
    sigma = position_fwhm_mm(float(scanner.tof_resolution_ps)) / (2.0 * np.sqrt(2.0 * np.log(2)))
    reach = SPEED_OF_LIGHT_MM_PER_PS * float(scanner.coincidence_window_ns) * 1000.0 / 4.0
    start, end = scanner.lor_endpoints(events.ring_1, events.crystal_1, events.ring_2,
                                       events.crystal_2)  # fmt: skip
    rng = np.random.default_rng(seed)
    position = np.empty(len(events))
    t = (np.arange(_SAMPLES) + 0.5) / _SAMPLES
    for lo in range(0, len(events), chunk):
        part = slice(lo, min(lo + chunk, len(events)))
        p, q = start[part], end[part]
        points = p[:, None, :] + t[None, :, None] * (q - p)[:, None, :]  # (n, S, 3) mm
        index = points / voxel + centre
        profile = ndimage.map_coordinates(
            activity, index.reshape(-1, 3).T, order=1, mode="constant", cval=0.0
        ).reshape(-1, _SAMPLES)
        total = profile.sum(axis=1)
        cdf = np.cumsum(profile, axis=1) / np.where(total > 0, total, 1.0)[:, None]
        u = np.asarray(rng.uniform(size=cdf.shape[0]))
        k = np.minimum((cdf < u[:, None]).sum(axis=1), _SAMPLES - 1)
        where = (k + rng.uniform(size=k.size)) / _SAMPLES  # within the chosen sample's cell
        where = np.where(total > 0, where, rng.uniform(size=k.size))
        length = np.linalg.norm(q - p, axis=1)
        position[part] = (where - 0.5) * length
    measured = np.where(
        events.prompt,
        position + rng.normal(0.0, sigma, position.size),
        rng.uniform(-reach, reach, position.size),
    )
    bins = np.clip(np.searchsorted(edges, measured, side="right") - 1, 0, edges.size - 2)
    return dataclasses.replace(events, tof_bin=bins.astype(np.int64))
