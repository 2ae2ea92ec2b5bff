"""Photon Monte Carlo of annihilation pairs in a uniform cylinder: an independent check of
the analytic scatter model (single-scatter simulation) of the sinogram simulator.

Each decay emits two back-to-back 511 keV photons from its source point.  Each photon is
followed through a homogeneous cylinder (the attenuating object) until it leaves it:
exponential free paths with ``µ(E) = µ(511)·σ_KN(E)/σ_KN(511)`` — Compton scattering only,
right for water and polyethylene above ≈ 100 keV, where the photoelectric share is below
1 % — Klein–Nishina scattering angles, as many scatters as occur.  A photon that leaves the
object flies straight to the detector cylinder (radius: ring radius plus mean depth of
interaction; length: the rings' axial extent).  Its measured energy is Gaussian with
FWHM ``r·√(511·E)`` (``r`` the scanner's ``energy_resolution``).  A coincidence is two
photons on the detector cylinder, both within the energy window.

Not modelled (the analytic model leaves them out too): scatter in the detector, gantry or
bed, the energy dependence of the crystals' stopping power, non-collinearity, gaps between
blocks, randoms.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from positrix.errors import PositrixError
from positrix.geometry.scanner import ScannerGeometry
from positrix.geometry.sinogram import lor_angle_offset
from positrix.physics.compton import (
    ANNIHILATION_KEV,
    klein_nishina_cosines,
    kn_total,
    scattered_energy,
)
from positrix.simulation.phantoms import NU4_SCATTER_PHANTOMS
from positrix.simulation.voxelise import MATERIALS

__all__ = [
    "Coincidences",
    "nu4_coincidences",
    "simulate_coincidences",
    "ssrb_histogram",
]


def _exit_distance(p, d, radius, z_range):
    """Distance along ``d`` from ``p`` (inside) to the cylinder's surface."""
    a = d[:, 0] ** 2 + d[:, 1] ** 2
    b = 2.0 * (p[:, 0] * d[:, 0] + p[:, 1] * d[:, 1])
    c = p[:, 0] ** 2 + p[:, 1] ** 2 - radius**2
    with np.errstate(divide="ignore", invalid="ignore"):
        side = np.where(
            a > 1e-12, (-b + np.sqrt(np.maximum(b * b - 4 * a * c, 0))) / (2 * a), np.inf
        )
        end = np.where(d[:, 2] > 0, z_range[1], z_range[0])
        ends = np.where(np.abs(d[:, 2]) > 1e-12, (end - p[:, 2]) / d[:, 2], np.inf)
    return np.maximum(np.minimum(side, ends), 0.0)


def _turn(d, cosines, rng):
    """Directions ``d`` turned by angles with the given cosines, uniform azimuth."""
    helper = np.where(np.abs(d[:, 2:3]) < 0.9, [[0.0, 0.0, 1.0]], [[1.0, 0.0, 0.0]])
    e1 = np.cross(d, helper)
    e1 /= np.linalg.norm(e1, axis=1)[:, None]
    e2 = np.cross(d, e1)
    phi = rng.uniform(0.0, 2.0 * np.pi, d.shape[0])
    sines = np.sqrt(np.clip(1.0 - cosines**2, 0.0, None))
    turn = np.cos(phi)[:, None] * e1 + np.sin(phi)[:, None] * e2
    return d * cosines[:, None] + sines[:, None] * turn


def _transport(points, directions, mu_511, radius, z_range, rng):
    """Follow photons to the object's surface: positions, directions, energies (keV) and
    the number of scatters of each."""
    p, d = points.copy(), directions.copy()
    energy = np.full(p.shape[0], ANNIHILATION_KEV)
    scatters = np.zeros(p.shape[0], dtype=np.int64)
    reference = float(kn_total())
    active = np.arange(p.shape[0])
    while active.size:
        mu = mu_511 * kn_total(energy[active]) / reference
        step = rng.exponential(1.0, active.size) / np.maximum(mu, 1e-300)
        leave = _exit_distance(p[active], d[active], radius, z_range)
        out = step >= leave
        p[active[out]] += d[active[out]] * leave[out, None]
        hit = active[~out]
        p[hit] += d[hit] * step[~out, None]
        cosines = klein_nishina_cosines(energy[hit], rng)
        energy[hit] = scattered_energy(cosines, energy[hit])
        d[hit] = _turn(d[hit], cosines, rng)
        scatters[hit] += 1
        active = hit
    return p, d, energy, scatters


def _to_detector(p, d, radius, half_length):
    """Where each photon meets the detector cylinder, and whether within its length."""
    a = d[:, 0] ** 2 + d[:, 1] ** 2
    b = 2.0 * (p[:, 0] * d[:, 0] + p[:, 1] * d[:, 1])
    c = p[:, 0] ** 2 + p[:, 1] ** 2 - radius**2
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (-b + np.sqrt(np.maximum(b * b - 4.0 * a * c, 0.0))) / (2.0 * a)
    q = p + d * np.where(a > 1e-12, t, 0.0)[:, None]
    return q, (a > 1e-12) & (np.abs(q[:, 2]) <= half_length)


@dataclass(frozen=True)
class Coincidences:
    """Recorded coincidences: the two photons' points on the detector cylinder (mm,
    ``(n, 3)`` each) and whether either photon scattered (``(n,)``)."""

    start_mm: NDArray[np.float64]
    end_mm: NDArray[np.float64]
    scattered: NDArray[np.bool_]

    def where(self, keep: NDArray[np.bool_]) -> Coincidences:
        """The coincidences selected by the boolean ``keep`` ``(n,)``."""
        return Coincidences(self.start_mm[keep], self.end_mm[keep], self.scattered[keep])


def simulate_coincidences(
    scanner: ScannerGeometry,
    sources_mm: ArrayLike,
    *,
    radius_mm: float,
    z_range_mm: tuple[float, float],
    mu_per_mm: float,
    seed: int = 0,
) -> Coincidences:
    """Coincidences of one decay at each of ``sources_mm`` ``(n, 3)`` inside a cylinder of
    ``radius_mm`` and ``z_range_mm`` with attenuation ``mu_per_mm`` at 511 keV (module
    docstring)."""
    sources = np.atleast_2d(np.asarray(sources_mm, dtype=np.float64))
    if sources.shape[1:] != (3,) or not mu_per_mm >= 0 or not radius_mm > 0:
        raise PositrixError("need (n, 3) sources, µ ≥ 0 and a radius > 0", field="sources_mm")
    if np.any(np.hypot(sources[:, 0], sources[:, 1]) > radius_mm) or np.any(
        (sources[:, 2] < z_range_mm[0]) | (sources[:, 2] > z_range_mm[1])
    ):
        raise PositrixError("every source must lie inside the cylinder", field="sources_mm")
    rng = np.random.default_rng(seed)
    u = rng.normal(size=sources.shape)
    u /= np.linalg.norm(u, axis=1)[:, None]
    radius = scanner.ring_diameter_mm / 2.0 + scanner.mean_doi_mm
    low, high = (float(v) for v in scanner.energy_window_kev)
    ends = []
    recorded = np.ones(sources.shape[0], dtype=bool)
    scattered = np.zeros(sources.shape[0], dtype=bool)
    for sign in (1.0, -1.0):
        p, d, energy, scatters = _transport(
            sources, sign * u, float(mu_per_mm), float(radius_mm), z_range_mm, rng
        )
        q, on = _to_detector(p, d, radius, scanner.axial_fov_mm / 2.0)
        fwhm = float(scanner.energy_resolution) * np.sqrt(ANNIHILATION_KEV * energy)
        sigma = fwhm / np.sqrt(8.0 * np.log(2.0))
        measured = energy + rng.normal(size=energy.size) * sigma
        recorded &= on & (measured >= low) & (measured <= high)
        ends.append(q)
        scattered |= scatters > 0
    return Coincidences(ends[0][recorded], ends[1][recorded], scattered[recorded])


def nu4_coincidences(
    scanner: ScannerGeometry, phantom: str = "mouse", *, n_decays: int = 1_000_000, seed: int = 0
) -> Coincidences:
    """Coincidences of ``n_decays`` along the line source of the NU 4 mouse or rat
    scatter phantom (high-density polyethylene,
    :func:`~positrix.simulation.phantoms.nu4_scatter_phantom`)."""
    if phantom not in NU4_SCATTER_PHANTOMS:
        raise PositrixError(
            f"unknown NU 4 phantom '{phantom}'", field="phantom", fix="mouse or rat"
        )
    diameter, length, offset, active = NU4_SCATTER_PHANTOMS[phantom]
    z = np.random.default_rng(seed + 1).uniform(-active / 2.0, active / 2.0, int(n_decays))
    sources = np.column_stack([np.full(z.size, offset), np.zeros(z.size), z])
    return simulate_coincidences(
        scanner,
        sources,
        radius_mm=diameter / 2.0,
        z_range_mm=(-length / 2.0, length / 2.0),
        mu_per_mm=MATERIALS["polyethylene"].mu_per_mm,
        seed=seed,
    )


def ssrb_histogram(
    scanner: ScannerGeometry, coincidences: Coincidences
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """All coincidences single-slice rebinned into one 2-D sinogram at the scanner's
    sampling (``crystals/2`` views over 180°, half a transaxial pitch radially):
    ``(counts (views, radial), radial_mm)``."""
    phi, s = lor_angle_offset(coincidences.start_mm, coincidences.end_mm)
    step = scanner.transaxial_pitch_mm / 2.0
    half = int(np.ceil(scanner.ring_diameter_mm / 2.0 / step))
    edges = (np.arange(-half, half + 1) - 0.5) * step
    counts, _, _ = np.histogram2d(
        phi,
        s,
        bins=[scanner.crystals_per_ring // 2, edges.size - 1],
        range=[[0.0, np.pi], [edges[0], edges[-1]]],
    )
    return counts, 0.5 * (edges[1:] + edges[:-1])
