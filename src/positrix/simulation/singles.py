"""Detector singles and count losses: per-crystal singles, block dead time, pile-up, multiples.

Singles of crystal ``c`` from point sources ``p`` (activity ``A_p``, inside the field of view
or beyond its ends) in a uniform cylinder of attenuating material::

    S_c = Σ_p 2β·A_p · η · a·cos α_pc / (4π r_pc²) · [e^(−µ L_pc) + (1 − ⟨e^(−µL)⟩_p)·q]

with ``η`` the scanner's detection efficiency (per 511 keV photon reaching a crystal face),
``a`` the crystal face area, ``α`` the angle between the ray and the block's radial normal,
``r`` the distance to the crystal at its mean depth of interaction and ``L_pc`` the path
from the source to the cylinder's surface towards the crystal.  Photons scattered once in
the phantom (probability ``1 − ⟨e^(−µL)⟩``, the mean over the detector's directions) leave
from near their source in any direction and are recorded with the relative probability ``q``
of a once-scattered photon (:func:`~positrix.recon.scatter_sss.
scattered_photon_acceptance`).  Left out: multiple scatter, scatter in the gantry, intrinsic
radioactivity of the crystals, photons entering through crystal sides.

Count losses (:func:`live_fractions`): every crystal of a block shares the block's dead time
(paralysable ``e^(−Rτ)`` or non-paralysable ``1/(1 + Rτ)`` of the block's singles rate
``R``); pile-up: a photon is lost when another reaches its block within ``±τ_p`` (their
summed energy lies above the window), ``e^(−2Rτ_p)``.  A coincidence needs both photons
recorded; the sorter discards it when a third recorded single falls in its window
(:func:`multiples_survival`, ``e^(−S·2τ)`` with ``S`` all recorded singles).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from positrix.errors import PositrixError
from positrix.geometry.scanner import ScannerGeometry
from positrix.physics.count_rates import recorded_rate
from positrix.physics.nuclides import get_nuclide
from positrix.recon.scatter_sss import scattered_photon_acceptance

__all__ = ["block_index", "crystal_singles", "live_fractions", "multiples_survival"]


def _cylinder_paths(
    points: NDArray[np.float64],
    directions: NDArray[np.float64],
    radius_mm: float,
    z_range_mm: tuple[float, float],
) -> NDArray[np.float64]:
    """Path length (mm) from each point (inside the cylinder) along each unit direction to
    the cylinder's surface; ``points (P, 3)``, ``directions (P, C, 3)`` → ``(P, C)``."""
    p = points[:, None, :]
    a = directions[..., 0] ** 2 + directions[..., 1] ** 2
    b = p[..., 0] * directions[..., 0] + p[..., 1] * directions[..., 1]
    c = p[..., 0] ** 2 + p[..., 1] ** 2 - radius_mm**2
    with np.errstate(divide="ignore", invalid="ignore"):
        side = np.where(a > 1e-12, (-b + np.sqrt(np.maximum(b * b - a * c, 0.0))) / a, np.inf)
        uz = directions[..., 2]
        end = np.where(uz > 0, z_range_mm[1], z_range_mm[0])
        cap = np.where(np.abs(uz) > 1e-12, (end - p[..., 2]) / uz, np.inf)
    return np.clip(np.minimum(side, cap), 0.0, None)


def crystal_singles(
    scanner: ScannerGeometry,
    points_mm: ArrayLike,
    activity_bq: ArrayLike,
    *,
    nuclide: str,
    mu_per_mm: float = 0.0,
    radius_mm: float = 0.0,
    z_range_mm: tuple[float, float] = (0.0, 0.0),
) -> NDArray[np.float64]:
    """Singles rate per crystal (counts/s), ``(n_rings, crystals_per_ring)`` (module docstring).

    Parameters
    ----------
    scanner
        The scanner (geometry, detection efficiency, energy window and resolution).
    points_mm, activity_bq
        Source points in the scanner frame ``(P, 3)`` (mm) and their activities ``(P,)`` (Bq).
    nuclide
        Positron emitter (its positron fraction).
    mu_per_mm, radius_mm, z_range_mm
        The attenuating cylinder around the sources (axis on the scanner axis), or none
        (``mu_per_mm = 0``).
    """
    points = np.atleast_2d(np.asarray(points_mm, dtype=np.float64))
    activity = np.atleast_1d(np.asarray(activity_bq, dtype=np.float64))
    if points.shape[1:] != (3,) or activity.shape != (points.shape[0],):
        raise PositrixError("need (P, 3) points and P activities", field="points_mm")
    if np.any(activity < 0) or not mu_per_mm >= 0:
        raise PositrixError("activities and µ must be ≥ 0", field="activity_bq")
    crystals = scanner.crystal_positions_mm().reshape(-1, 3)
    n = scanner.crystals_per_ring
    angles = 2.0 * np.pi * (np.arange(n) // scanner.crystals_per_block) / scanner.blocks_per_ring
    normal = np.tile(np.stack([np.cos(angles), np.sin(angles)], axis=-1), (scanner.n_rings, 1))
    area = float(scanner.crystal_size_mm[0] * scanner.crystal_size_mm[1])
    photons = 2.0 * get_nuclide(nuclide).beta_plus_fraction * activity
    acceptance = scattered_photon_acceptance(scanner.energy_window_kev, scanner.energy_resolution)
    total = np.zeros(crystals.shape[0])
    for chunk in np.array_split(np.arange(points.shape[0]), max(1, points.shape[0] // 16)):
        ray = crystals[None, :, :] - points[chunk, None, :]
        r2 = np.sum(ray * ray, axis=-1)
        r = np.sqrt(r2)
        cos_a = np.abs(np.sum(ray[..., :2] * normal[None], axis=-1)) / r
        geometry = area * cos_a / (4.0 * np.pi * r2)
        weight = np.ones_like(geometry)
        if mu_per_mm > 0:
            paths = _cylinder_paths(points[chunk], ray / r[..., None], radius_mm, z_range_mm)
            direct = np.exp(-mu_per_mm * paths)
            mean = np.sum(direct * geometry, axis=1) / np.sum(geometry, axis=1)
            weight = direct + ((1.0 - mean) * acceptance)[:, None]
        total += np.sum(photons[chunk, None] * geometry * weight, axis=0)
    rates = (total * scanner.detection_efficiency).reshape(scanner.n_rings, n)
    return rates * scanner.detector_mask()  # no crystals in the axial gaps


def block_index(scanner: ScannerGeometry) -> NDArray[np.int64]:
    """Block number of every crystal, ``(n_rings, crystals_per_ring)``; blocks are
    ``rings_per_block`` rings long (the virtual rings of a gap join the block before them,
    with no singles of their own), or square — as many rings as crystals across — when it
    is 0, the last axial row possibly shorter."""
    length = int(scanner.rings_per_block) + int(scanner.gap_rings)
    if length == 0:
        length = max(1, min(scanner.n_rings, scanner.crystals_per_block))
    rings = np.arange(scanner.n_rings) // length
    transaxial = np.arange(scanner.crystals_per_ring) // scanner.crystals_per_block
    return rings[:, None] * scanner.blocks_per_ring + transaxial[None, :]


def live_fractions(scanner: ScannerGeometry, singles_cps: ArrayLike) -> NDArray[np.float64]:
    """Fraction of each crystal's singles that is recorded, ``(n_rings, crystals_per_ring)``:
    its block's dead time (``dead_time_ns``, ``dead_time_model``) and pile-up (``pileup_ns``)
    at the block's summed singles rate (module docstring)."""
    singles = np.asarray(singles_cps, dtype=np.float64)
    blocks = block_index(scanner)
    rate = np.bincount(blocks.ravel(), weights=singles.ravel())[blocks]
    live = np.ones_like(rate)
    tau = float(scanner.dead_time_ns) * 1e-9
    if tau > 0:
        live = np.divide(
            recorded_rate(rate, tau, model=scanner.dead_time_model),
            rate,
            out=np.ones_like(rate),
            where=rate > 0,
        )
    return live * np.exp(-2.0 * rate * float(scanner.pileup_ns) * 1e-9)


def multiples_survival(scanner: ScannerGeometry, recorded_singles_cps: ArrayLike) -> float:
    """Probability that no third recorded single falls within a coincidence's window,
    ``exp(−S · window)`` with ``S`` the scanner's total recorded singles rate."""
    total = float(np.sum(np.asarray(recorded_singles_cps, dtype=np.float64)))
    return float(np.exp(-total * float(scanner.coincidence_window_ns) * 1e-9))
