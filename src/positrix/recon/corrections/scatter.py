"""Scatter estimate for a sinogram: single-scatter simulation on coarse detectors, spread to
every bin by interpolation, scaled to the measured tails.

1. :func:`positrix.recon.scatter_sss.single_scatter` on a sub-sampled set of detectors
   (every ``transaxial_step``-th crystal of ``n_axial`` evenly spaced axial positions), from
   the current activity estimate and the µ-map.  Its result has the units of the trues model
   (line integral of the image), so multiplied by the bin efficiencies it is in counts.
2. Multilinear interpolation in (axial position, crystal angle) of both ends of each bin.
3. Tail fit: one scale so that, over the bins whose LOR misses the object (attenuation
   factor ≥ ``tail_threshold``), the scatter matches prompts − randoms (ratio of sums, the
   Poisson maximum-likelihood scale); it absorbs multiple scatter and activity outside the
   field of view.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from positrix.errors import PositrixError
from positrix.geometry.sinogram import SinogramLayout
from positrix.recon.scatter_sss import single_scatter

__all__ = ["ScatterEstimate", "estimate_scatter", "interpolate_scatter"]


@dataclass(frozen=True)
class ScatterEstimate:
    """Scatter sinogram (counts), the tail scale applied and the scatter fraction."""

    sinogram: NDArray[np.float32]
    tail_scale: float
    scatter_fraction: float


def _coarse_detectors(
    layout: SinogramLayout, transaxial_step: int, n_axial: int
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int64]]:
    scanner = layout.scanner
    n = scanner.crystals_per_ring
    count = -(-n // transaxial_step)
    # evenly spaced around the ring even when the step does not divide the ring
    crystals = np.unique(np.rint(np.arange(count) * n / count).astype(np.int64) % n)
    rings = scanner.ring_z_mm()
    z = np.linspace(rings[0], rings[-1], max(n_axial, 2))
    xy = scanner.transaxial_positions_mm()[crystals]
    detectors = np.empty((z.size, crystals.size, 3))
    detectors[..., :2] = xy[None]
    detectors[..., 2] = z[:, None]
    return detectors.reshape(-1, 3), z, crystals


def interpolate_scatter(
    layout: SinogramLayout,
    coarse: ArrayLike,
    z_mm: ArrayLike,
    crystals: ArrayLike,
) -> NDArray[np.float32]:
    """Spread a coarse scatter table ``(n_z·n_c, n_z·n_c)`` to every bin of ``layout``.

    ``z_mm`` are the coarse axial positions (increasing), ``crystals`` the coarse crystal
    indices (evenly spaced, ``≈ k · n / len(crystals)``, periodic around the ring).
    """
    z = np.asarray(z_mm, dtype=np.float64)
    cr = np.asarray(crystals, dtype=np.int64)
    nz, nc = z.size, cr.size
    table = np.asarray(coarse, dtype=np.float64).reshape(nz, nc, nz, nc)
    n = layout.scanner.crystals_per_ring
    step = n / nc

    def axial(zv: NDArray[np.float64]) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        u = np.clip((zv - z[0]) / (z[1] - z[0]), 0, nz - 1 - 1e-9)
        low = np.floor(u).astype(np.int64)
        return low, u - low

    za, fa = axial(layout.plane_z_mm[:, 0])
    zb, fb = axial(layout.plane_z_mm[:, 1])
    # per plane: (n_c, n_c) table interpolated in the two axial positions
    planes = (
        (1 - fa)[:, None, None] * (1 - fb)[:, None, None] * table[za, :, zb, :]
        + (1 - fa)[:, None, None] * fb[:, None, None] * table[za, :, zb + 1, :]
        + fa[:, None, None] * (1 - fb)[:, None, None] * table[za + 1, :, zb, :]
        + fa[:, None, None] * fb[:, None, None] * table[za + 1, :, zb + 1, :]
    )
    pairs = layout.bin_crystals
    ua = ((pairs[..., 0] - cr[0]) % n) / step
    ub = ((pairs[..., 1] - cr[0]) % n) / step
    a0 = np.floor(ua).astype(np.int64)
    b0 = np.floor(ub).astype(np.int64)
    wa, wb = ua - a0, ub - b0
    a1, b1 = (a0 + 1) % nc, (b0 + 1) % nc
    a0, b0 = a0 % nc, b0 % nc
    out = np.empty(layout.shape, dtype=np.float32)
    for p in range(layout.n_planes):
        t = planes[p]
        out[p] = (
            (1 - wa) * (1 - wb) * t[a0, b0]
            + (1 - wa) * wb * t[a0, b1]
            + wa * (1 - wb) * t[a1, b0]
            + wa * wb * t[a1, b1]
        )
    return out


def estimate_scatter(
    layout: SinogramLayout,
    activity: ArrayLike,
    mu_per_mm: ArrayLike,
    voxel_size_mm: ArrayLike,
    *,
    prompts: ArrayLike,
    efficiency: ArrayLike,
    attenuation: ArrayLike,
    randoms: ArrayLike | None = None,
    transaxial_step: int = 8,
    n_axial: int = 8,
    tail_threshold: float = 0.98,
    energy_resolution: float = 0.146,
) -> ScatterEstimate:
    """Scatter counts per bin for the current activity estimate (see module docstring).

    Parameters
    ----------
    layout
        Sinogram layout.
    activity
        Current image estimate in the units of the system model (so that ``efficiency ×
        attenuation × projection`` gives counts), ``(nx, ny, nz)``.
    mu_per_mm
        µ-map at 511 keV (1/mm) on the same grid.
    voxel_size_mm
        Voxel edges (mm).
    prompts, efficiency, attenuation, randoms
        Measured prompts, bin efficiencies (normalisation), attenuation factors and
        expected randoms (counts), each ``layout.shape``.
    transaxial_step, n_axial
        Detector sub-sampling for the simulation.
    tail_threshold
        Bins with attenuation factor at or above it are scatter tails.
    energy_resolution
        FWHM/E at 511 keV.
    """
    y = layout.check(prompts, what="prompts")
    eff = layout.check(efficiency, what="normalisation")
    att = layout.check(attenuation, what="attenuation factors")
    r = np.zeros_like(y) if randoms is None else layout.check(randoms, what="randoms")
    detectors, z, crystals = _coarse_detectors(layout, transaxial_step, n_axial)
    coarse = single_scatter(
        activity,
        mu_per_mm,
        voxel_size_mm,
        detectors,
        energy_window_kev=layout.scanner.energy_window_kev,
        energy_resolution=energy_resolution,
        crystal_area_mm2=layout.scanner.crystal_size_mm[0] * layout.scanner.crystal_size_mm[1],
    )
    model = interpolate_scatter(layout, coarse, z, crystals) * eff
    tails = (att >= tail_threshold) & (model > 0)
    modelled = float(model[tails].sum(dtype=np.float64))
    if not np.any(tails) or modelled <= 0:
        raise PositrixError(
            "no scatter tails: every LOR crosses the object",
            field="attenuation",
            fix="use a larger radial field of view or estimate scatter without tail fitting",
        )
    measured = float((y[tails] - r[tails]).sum(dtype=np.float64))
    scale = max(measured / modelled, 0.0)
    scatter = (model * scale).astype(np.float32)
    net = float((y - r).sum(dtype=np.float64))
    fraction = float(scatter.sum(dtype=np.float64)) / net if net > 0 else float("nan")
    return ScatterEstimate(scatter, scale, fraction)
