"""Dose point kernels and voxel S-values of β emitters in water, and the convolution of a
time-integrated activity map into an absorbed-dose map.

Model (documented in ``docs/nuclides.md``): each electron of a β branch (allowed-shape
spectrum, scaled so that its mean equals the ENSDF mean energy) and each conversion
electron leaves the decay site on a straight line in a random direction and loses energy
at the collision stopping power of water along its CSDA range; α particles and Auger
electrons (ranges below 0.1 mm) are absorbed in the voxel where they are emitted. Photons
are not included (in a mouse they deposit a few % of their energy).  Straight tracks spread
the energy somewhat further than Monte Carlo kernels, whose electrons scatter; a measured or
Monte Carlo kernel can be given instead (:func:`voxel_kernel` ``radial``).  The kernel
conserves energy exactly: a voxel kernel sums to the non-penetrating energy per decay.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from positrix.errors import PositrixError
from positrix.physics.electrons import (
    beta_spectrum,
    csda_range_g_cm2,
    energy_at_range,
)
from positrix.physics.elements import atomic_number
from positrix.physics.emissions import emissions
from positrix.physics.nuclides import get_nuclide

__all__ = [
    "MEV_TO_J",
    "dose_map_gy",
    "local_energy_MeV",
    "radial_energy_profile",
    "voxel_kernel",
]

#: 1 MeV in joules.
MEV_TO_J = 1.602176634e-13
_SAMPLES = 2_000_000


def _daughter_z(nuclide: str, radiation: str) -> int:
    z = atomic_number(get_nuclide(nuclide).name.split("-")[0])
    return z - 1 if radiation == "beta+" else z + 1


def _tracks(nuclide: str) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Initial electron energies (MeV) and electrons per decay of the straight tracks."""
    energies: list[NDArray[np.float64]] = []
    weights: list[NDArray[np.float64]] = []
    for row in emissions(nuclide):
        if row.radiation in ("beta-", "beta+") and row.end_point_keV:
            t, p = beta_spectrum(
                row.end_point_keV / 1000.0,
                _daughter_z(nuclide, row.radiation),
                positron=row.radiation == "beta+",
                bins=100,
            )
            t = t * (row.energy_keV / 1000.0) / float((t * p).sum())
            energies.append(t)
            weights.append(p * row.intensity)
        elif row.radiation == "ce":
            energies.append(np.array([row.energy_keV / 1000.0]))
            weights.append(np.array([row.intensity]))
    if not energies:
        return np.zeros(0), np.zeros(0)
    return np.concatenate(energies), np.concatenate(weights)


def local_energy_MeV(nuclide: str) -> float:
    """Energy per decay (MeV) absorbed where it is emitted: α particles and Auger electrons."""
    return sum(
        row.energy_keV * row.intensity / 1000.0
        for row in emissions(nuclide)
        if row.radiation in ("alpha", "auger")
    )


def radial_energy_profile(
    nuclide: str, *, step_mm: float = 0.005
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Energy deposited per decay per mm of distance from a point source in water.

    Returns
    -------
    r_mm, profile
        Distances (bin centres, mm) and MeV per mm per decay; ``sum(profile) * step_mm``
        equals the β and conversion-electron energy per decay (Σ E·I).
    """
    energies, weights = _tracks(nuclide)
    if energies.size == 0:
        return np.array([step_mm / 2]), np.zeros(1)
    ranges_mm = csda_range_g_cm2(energies) * 10.0
    edges = np.arange(0.0, float(ranges_mm.max()) + step_mm, step_mm)
    profile = np.zeros(edges.size - 1)
    for energy, weight, reach in zip(energies, weights, ranges_mm, strict=True):
        residual = np.clip(reach - edges, 0.0, None)  # mm of range left at each edge
        left = energy_at_range(residual / 10.0)
        left[0] = energy
        profile += weight * -np.diff(left) / step_mm
    return 0.5 * (edges[1:] + edges[:-1]), profile


def _check_voxel(voxel_mm: tuple[float, float, float]) -> NDArray[np.float64]:
    size = np.asarray(voxel_mm, dtype=np.float64)
    if size.shape != (3,) or not np.all(np.isfinite(size)) or np.any(size <= 0):
        raise PositrixError(
            f"voxel size {voxel_mm} is not three positive lengths in mm",
            field="voxel_size_mm",
            fix="give the image's voxel size, e.g. (0.5, 0.5, 0.8)",
        )
    return size


@lru_cache(maxsize=16)
def _kernel_cached(nuclide: str, voxel_mm: tuple[float, float, float]) -> NDArray[np.float64]:
    size = _check_voxel(voxel_mm)
    r, profile = radial_energy_profile(nuclide)
    total = float(profile.sum() * (r[1] - r[0]) if r.size > 1 else 0.0)
    half = np.ceil((r[-1] + size) / size).astype(int)
    kernel = np.zeros(tuple(2 * half + 1))
    if total > 0:
        rng = np.random.default_rng(20261207)
        cdf = np.cumsum(profile)
        radius = np.interp(rng.random(_SAMPLES) * cdf[-1], cdf, r)
        direction = rng.normal(size=(_SAMPLES, 3))
        direction /= np.linalg.norm(direction, axis=1, keepdims=True)
        start = (rng.random((_SAMPLES, 3)) - 0.5) * size
        point = start + direction * radius[:, None]
        index = np.floor(point / size + 0.5).astype(int) + half
        np.add.at(kernel, tuple(index.T), total / _SAMPLES)
    kernel[tuple(half)] += local_energy_MeV(nuclide)
    kernel.setflags(write=False)
    return kernel


def voxel_kernel(nuclide: str, voxel_mm: tuple[float, float, float]) -> NDArray[np.float64]:
    """Voxel S-value kernel: MeV absorbed in each voxel per decay in the central voxel.

    The source is uniform in the central voxel (Monte Carlo over the radial energy
    profile, 2·10⁶ tracks, fixed seed). Shape: odd in each axis, centred.

    Examples
    --------
    >>> k = voxel_kernel("F-18", (0.5, 0.5, 0.5))
    >>> from positrix.physics.emissions import non_penetrating_MeV
    >>> abs(float(k.sum()) - non_penetrating_MeV("F-18")) < 1e-9  # energy conserved
    True
    """
    name = get_nuclide(nuclide).name
    size = tuple(float(v) for v in _check_voxel(voxel_mm))
    return _kernel_cached(name, (size[0], size[1], size[2]))


def dose_map_gy(
    tia_bq_s: NDArray[np.floating],
    nuclide: str,
    *,
    voxel_mm: tuple[float, float, float],
    density_g_ml: NDArray[np.floating] | float = 1.0,
) -> NDArray[np.float64]:
    """Absorbed dose (Gy) from a map of time-integrated activity (Bq·s, i.e. decays) per voxel.

    D = (Ã ⊛ K) / m with K the voxel kernel (MeV per decay) and m the voxel mass; the
    convolution is done with FFTs (``scipy.signal.fftconvolve``), zero outside the map.

    Parameters
    ----------
    tia_bq_s
        Decays per voxel, shape ``(i, j, k)``.
    nuclide
        The nuclide.
    voxel_mm
        Voxel size in mm.
    density_g_ml
        Tissue density (g/mL), scalar or the map's shape (e.g. from CT).

    Returns
    -------
    numpy.ndarray
        Gy per voxel, the map's shape.
    """
    from scipy.signal import fftconvolve

    tia = np.asarray(tia_bq_s, dtype=np.float64)
    if tia.ndim != 3:
        raise PositrixError(
            f"the time-integrated activity map has {tia.ndim} dimensions, not 3",
            field="tia",
            fix="give one 3-D map (integrate the frames first)",
        )
    if not np.all(np.isfinite(tia)):
        raise PositrixError(
            "the time-integrated activity map has NaN or infinite voxels",
            field="tia",
            fix="mask or fill them before computing dose",
        )
    kernel = voxel_kernel(nuclide, voxel_mm)
    energy_mev = fftconvolve(tia, kernel, mode="same")
    density = np.asarray(density_g_ml, dtype=np.float64)
    if np.any(density <= 0):
        raise PositrixError(
            "the density map has voxels ≤ 0 g/mL",
            field="density",
            fix="use a density floor (air 0.0012 g/mL) or water (1 g/mL)",
        )
    mass_kg = density * float(np.prod(voxel_mm)) * 1e-3 * 1e-3  # mm³ → mL → g → kg
    return np.clip(energy_mev, 0.0, None) * MEV_TO_J / mass_kg
