"""Single-scatter simulation (SSS) of PET coincidences, after Watson (1996, 2000).

Model
-----
Of the two annihilation photons of a scattered coincidence, exactly one is assumed to have
undergone exactly one Compton scatter, at a point ``S`` inside the object; the other reaches
its detector unscattered.  For a detector pair ``(A, B)`` the expected number of such events
is (Watson 1996, "Ollinger/Watson model")::

    S_AB = Σ_S V_S µ_S · σ_AS σ_BS / (4π R_AS² R_BS²) · (1/σ_KN) dσ_KN/dΩ(θ) · (I_A + I_B)

    I_A = ε(511) ε(E′) · exp(−∫_S^A µ(511) ds − ∫_S^B µ(E′) ds) · ∫_S^A λ ds

and ``I_B`` the same with ``A`` and ``B`` exchanged.  ``I_A`` counts annihilations between
``S`` and ``A``: one photon flies to ``A`` at 511 keV, the other to ``S``, where it is
deflected by ``θ`` towards ``B`` with energy ``E′ = 511 / (1 + (1 − cos θ))`` keV.  ``V_S µ_S``
is the attenuation "mass" of the coarse scatter cell, ``σ_AS = a · |cos α|`` the
cross-section of detector ``A`` (front area ``a``, incidence angle ``α`` to its radial
normal) seen from ``S``, ``R_AS`` the ``S``–``A`` distance, ``ε(E)`` the probability that a
photon of energy ``E`` deposits an energy inside the window (Gaussian energy resolution
whose FWHM/E scales as ``1/√E``), and ``λ`` the activity concentration.

Units of the result
-------------------
Unscattered trues in the Positrix projector model are ``T_AB = ∫_A^B λ ds ·
exp(−∫_A^B µ ds)`` (activity × mm): the detector cross-sections ``σ_A σ_B / (4π R_AB²)``
and efficiencies ``ε(511)²`` of the full model are left to the normalisation.  The scatter
returned here is ``S_AB · 4π R_AB² / (σ_A σ_B ε(511)²)`` with ``σ_A, σ_B`` the cross-sections
of ``A`` and ``B`` for the direct ``A``–``B`` line, i.e. it carries the *same*
normalisation as ``T_AB`` and the two add up to the (normalised) prompts-minus-randoms.
Consequently ``Σ scatter / (Σ scatter + Σ trues)`` over a set of pairs is a physical
scatter fraction (exactly so when the pairs have similar normalisation, as the lines of
response through a small animal in a ring scanner have).  The crystal area cancels in this
normalisation.

Simplifications
---------------
* Single scatter only (multiple scatter, ~10–30 % of the scatter in small animals, and
  coherent scatter are ignored); no scatter outside the µ-map; no tail scaling.
* ``µ(E′) = µ(511) · σ_KN(E′) / σ_KN(511)``: Compton-dominated attenuation (good for water
  and soft tissue above ~150 keV, underestimates bone attenuation at low energy).
* Scatter points: the µ-map is cut into blocks of about ``scatter_spacing_mm`` (an
  integer number of voxels per axis); each block with voxels above ``mu_threshold_per_mm``
  becomes one point at its µ-weighted centroid with weight ``V_S µ_S = Σ µ · voxel volume``
  of those voxels (deterministic, no random jitter of the points).
* Detectors are points with a flat front face of area ``crystal_area_mm2`` whose normal is
  radial in the transaxial plane; no depth of interaction, no crystal or block efficiency
  other than the energy window, no dead time.
* Line integrals use trilinear interpolation (zero outside the image) at a step of at most
  half the smallest voxel edge, from the scatter point to the detector.
* Pairs whose direct line meets a detector face at grazing incidence (``|cos α| < 1e-3``,
  e.g. two detectors at the same transaxial position) have a vanishing true cross-section;
  they are returned as zero.

References
----------
C. C. Watson, D. Newport, M. E. Casey, "A single scatter simulation technique for scatter
correction in 3D PET", in *Three-Dimensional Image Reconstruction in Radiology and Nuclear
Medicine*, Kluwer, 1996, pp. 255–268.  C. C. Watson, "New, faster, image-based scatter
correction for 3D PET", IEEE Trans. Nucl. Sci. 47 (2000) 1587–1594.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange
from numpy.typing import ArrayLike, NDArray
from scipy.special import erf

from positrix.errors import PositrixError
from positrix.physics.compton import ANNIHILATION_KEV, kn_differential, kn_total, scattered_energy

__all__ = ["scattered_photon_acceptance", "single_scatter"]

FWHM_PER_SIGMA = 2.0 * math.sqrt(2.0 * math.log(2.0))
GRAZING_COS = 1e-3  # direct pairs with a smaller |cos α| at a detector are returned as zero
TABLE_SIZE = 4001  # samples of cos θ in [−1, 1] for the angular look-up tables


# ----------------------------------------------------------------------------- physics


def _window_efficiency(
    energy_kev: ArrayLike, window_kev: tuple[float, float], resolution: float
) -> NDArray:
    """Probability that a photon's measured energy falls inside the window.

    Parameters
    ----------
    energy_kev
        Deposited photon energies (keV), any shape.
    window_kev
        Lower and upper thresholds (keV).
    resolution
        Energy resolution FWHM/E at 511 keV; the FWHM scales as ``√E``.

    Returns
    -------
    NDArray
        Efficiency in [0, 1], shape of ``energy_kev``.
    """
    energy = np.asarray(energy_kev, dtype=np.float64)
    sigma = resolution * np.sqrt(ANNIHILATION_KEV * energy) / FWHM_PER_SIGMA
    scale = np.sqrt(2.0) * sigma
    lower, upper = window_kev
    return np.asarray(0.5 * (erf((upper - energy) / scale) - erf((lower - energy) / scale)))


def _angular_tables(
    window_kev: tuple[float, float], resolution: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Look-up tables over ``cos θ`` ∈ [−1, 1] (``TABLE_SIZE`` samples).

    Returns
    -------
    kernel
        ``(1/σ_KN(511)) dσ_KN/dΩ(θ) · ε(E′(θ))`` (1/sr); values below 1e-9 of the maximum
        are set to zero so that the pair loop can skip them.
    mu_ratio
        ``σ_KN(E′(θ)) / σ_KN(511)``, the attenuation of the scattered photon relative to
        511 keV.
    """
    cos_theta = np.linspace(-1.0, 1.0, TABLE_SIZE)
    energy = scattered_energy(cos_theta)
    kernel = (
        kn_differential(cos_theta) / kn_total() * _window_efficiency(energy, window_kev, resolution)
    )
    kernel[kernel < 1e-9 * kernel.max()] = 0.0
    mu_ratio = kn_total(energy) / kn_total()
    return kernel, mu_ratio


def scattered_photon_acceptance(window_kev: tuple[float, float], resolution: float) -> float:
    """Probability that a 511 keV photon Compton-scattered once (angle drawn from the
    Klein–Nishina distribution) is recorded in the window, relative to an unscattered one:
    ``∫ (1/σ_KN) dσ_KN/dΩ · ε(E′) dΩ / ε(511)``.

    Examples
    --------
    >>> wide = scattered_photon_acceptance((100.0, 700.0), 0.146)
    >>> narrow = scattered_photon_acceptance((450.0, 600.0), 0.146)
    >>> bool(narrow < wide)
    True
    """
    window = _window(window_kev)
    cos_theta = np.linspace(-1.0, 1.0, TABLE_SIZE)
    weight = kn_differential(cos_theta) / kn_total()
    accepted = weight * _window_efficiency(scattered_energy(cos_theta), window, resolution)
    integral = 2.0 * np.pi * float(np.trapezoid(accepted, cos_theta))
    return integral / float(_window_efficiency(ANNIHILATION_KEV, window, resolution))


# ----------------------------------------------------------------------------- validation


def _volume(values: ArrayLike, field: str) -> NDArray[np.float64]:
    """A finite, non-negative 3-D image as a C-contiguous float64 array (never the input)."""
    array = np.array(values, dtype=np.float64, order="C")
    if array.ndim != 3:
        raise PositrixError(
            f"expected a 3-D (nx, ny, nz) image, got shape {array.shape}",
            field=field,
            fix="pass one image volume (a single frame)",
        )
    if not np.all(np.isfinite(array)):
        raise PositrixError(
            "the image contains NaN or infinite values",
            field=field,
            fix="replace them, e.g. with np.nan_to_num",
        )
    if np.any(array < 0):
        raise PositrixError(
            "the image has negative values",
            field=field,
            fix="clip it at zero first, e.g. np.clip(image, 0, None)",
        )
    return array


def _detectors(detectors_mm: ArrayLike) -> NDArray[np.float64]:
    """Detector centres as an ``(n_det, 3)`` float64 array off the scanner axis."""
    detectors = np.array(detectors_mm, dtype=np.float64, order="C")
    if detectors.ndim != 2 or detectors.shape[1] != 3 or detectors.shape[0] < 2:
        raise PositrixError(
            f"expected an (n_det, 3) array with n_det ≥ 2, got shape {detectors.shape}",
            field="detectors_mm",
            fix="pass one row (x, y, z) in mm per detector",
        )
    if not np.all(np.isfinite(detectors)):
        raise PositrixError("detector positions must be finite", field="detectors_mm")
    if np.any(np.hypot(detectors[:, 0], detectors[:, 1]) <= 0.0):
        raise PositrixError(
            "a detector lies on the scanner axis, where its radial normal is undefined",
            field="detectors_mm",
            fix="give the crystal centres on the detector ring(s)",
        )
    return detectors


def _positive(value: float, field: str, *, allow_zero: bool = False) -> float:
    """``value`` as a float, checked to be finite and positive (or ≥ 0)."""
    number = float(value)
    if not math.isfinite(number) or number < 0 or (number == 0 and not allow_zero):
        bound = "≥ 0" if allow_zero else "> 0"
        raise PositrixError(f"must be finite and {bound}, got {value!r}", field=field)
    return number


def _window(window_kev: tuple[float, float]) -> tuple[float, float]:
    """Energy window (keV) checked to contain 511 keV."""
    lower, upper = (float(v) for v in window_kev)
    if not (0.0 <= lower < ANNIHILATION_KEV < upper) or not math.isfinite(upper):
        raise PositrixError(
            f"the energy window {window_kev!r} keV does not contain 511 keV",
            field="energy_window_kev",
            fix="give (lower, upper) thresholds in keV, e.g. (350, 650)",
        )
    return lower, upper


# ----------------------------------------------------------------------------- scatter points


def _scatter_points(
    mu: NDArray[np.float64], voxel: NDArray[np.float64], spacing_mm: float, threshold: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Coarse scatter points and their weights.

    Parameters
    ----------
    mu
        µ-map (1/mm), shape ``(nx, ny, nz)``.
    voxel
        Voxel edge lengths (mm), shape ``(3,)``.
    spacing_mm
        Wanted spacing of the points (mm); rounded to a whole number of voxels per axis.
    threshold
        Voxels with µ at or below this (1/mm) are not part of any scatter cell.

    Returns
    -------
    points
        µ-weighted centroids of the blocks (mm), shape ``(n_points, 3)``.
    weights
        ``V_S µ_S`` = Σ µ · voxel volume over the block's voxels above threshold (mm²),
        shape ``(n_points,)``.
    """
    factor = [max(1, round(spacing_mm / v)) for v in voxel]
    blocks = [-(-n // f) for n, f in zip(mu.shape, factor, strict=True)]
    padded = np.zeros([b * f for b, f in zip(blocks, factor, strict=True)])
    nx, ny, nz = mu.shape
    padded[:nx, :ny, :nz] = np.where(mu > threshold, mu, 0.0)
    split = padded.reshape(blocks[0], factor[0], blocks[1], factor[1], blocks[2], factor[2])
    mass = split.sum(axis=(1, 3, 5))
    keep = mass > 0
    points = np.empty((int(keep.sum()), 3))
    for axis, (n, v) in enumerate(zip(padded.shape, voxel, strict=True)):
        centres = (np.arange(n) - (mu.shape[axis] - 1) / 2.0) * v
        shape = [1] * 6
        shape[2 * axis : 2 * axis + 2] = [blocks[axis], factor[axis]]
        moment = (split * centres.reshape(shape)).sum(axis=(1, 3, 5))
        points[:, axis] = moment[keep] / mass[keep]
    return points, mass[keep] * float(np.prod(voxel))


# ----------------------------------------------------------------------------- numba kernels


@njit(cache=True)
def _sample(mu, act, qx, qy, qz):
    """Trilinear samples of ``mu`` and ``act`` at continuous voxel index (qx, qy, qz)."""
    nx, ny, nz = mu.shape
    i0, j0, k0 = int(np.floor(qx)), int(np.floor(qy)), int(np.floor(qz))
    fx, fy, fz = qx - i0, qy - j0, qz - k0
    m = 0.0
    a = 0.0
    for di in range(2):
        i = i0 + di
        if i < 0 or i >= nx:
            continue
        wx = fx if di == 1 else 1.0 - fx
        for dj in range(2):
            j = j0 + dj
            if j < 0 or j >= ny:
                continue
            wxy = wx * (fy if dj == 1 else 1.0 - fy)
            for dk in range(2):
                k = k0 + dk
                if k < 0 or k >= nz:
                    continue
                w = wxy * (fz if dk == 1 else 1.0 - fz)
                m += w * mu[i, j, k]
                a += w * act[i, j, k]
    return m, a


@njit(cache=True)
def _exit_distance(start, direction, length, half_extent):
    """Distance along ``direction`` from ``start`` (inside) to the image box, ≤ ``length``."""
    t = length
    for axis in range(3):
        d = direction[axis]
        if d > 0.0:
            t = min(t, (half_extent[axis] - start[axis]) / d)
        elif d < 0.0:
            t = min(t, (-half_extent[axis] - start[axis]) / d)
    return max(t, 0.0)


@njit(cache=True)
def _segment(mu, act, voxel, start, direction, length, step):
    """∫ µ ds and ∫ λ ds (midpoint rule) from ``start`` over ``length`` mm."""
    n = max(1, int(np.ceil(length / step)))
    h = length / n
    cx, cy, cz = (mu.shape[0] - 1) / 2.0, (mu.shape[1] - 1) / 2.0, (mu.shape[2] - 1) / 2.0
    att = 0.0
    emis = 0.0
    for s in range(n):
        t = (s + 0.5) * h
        qx = (start[0] + t * direction[0]) / voxel[0] + cx
        qy = (start[1] + t * direction[1]) / voxel[1] + cy
        qz = (start[2] + t * direction[2]) / voxel[2] + cz
        m, a = _sample(mu, act, qx, qy, qz)
        att += m
        emis += a
    return att * h, emis * h


@njit(parallel=True, cache=True)
def _point_detector_terms(mu, act, voxel, points, detectors, area):
    """Per (detector, point): unit vector S→D, ∫µ, ∫λ and ``σ_DS / R_DS²``.

    All outputs have shape ``(n_det, n_points)``; the unit vector comes as three arrays.
    """
    n_det, n_pts = detectors.shape[0], points.shape[0]
    ux = np.empty((n_det, n_pts))
    uy = np.empty((n_det, n_pts))
    uz = np.empty((n_det, n_pts))
    att = np.empty((n_det, n_pts))
    emis = np.empty((n_det, n_pts))
    geo = np.empty((n_det, n_pts))
    half_extent = np.empty(3)
    for axis in range(3):
        half_extent[axis] = ((mu.shape[axis] - 1) / 2.0 + 1.0) * voxel[axis]
    step = 0.5 * min(voxel[0], min(voxel[1], voxel[2]))
    for d in prange(n_det):
        det = detectors[d]
        rho = np.sqrt(det[0] ** 2 + det[1] ** 2)
        direction = np.empty(3)
        for p in range(n_pts):
            start = points[p]
            for axis in range(3):
                direction[axis] = det[axis] - start[axis]
            length = np.sqrt(direction[0] ** 2 + direction[1] ** 2 + direction[2] ** 2)
            if length == 0.0:  # a detector on a scatter point: no defined direction, no event
                ux[d, p] = uy[d, p] = uz[d, p] = att[d, p] = emis[d, p] = geo[d, p] = 0.0
                continue
            direction /= length
            inside = _exit_distance(start, direction, length, half_extent)
            att[d, p], emis[d, p] = _segment(mu, act, voxel, start, direction, inside, step)
            cos_in = abs(direction[0] * det[0] + direction[1] * det[1]) / rho
            geo[d, p] = area * cos_in / (length * length)
            ux[d, p], uy[d, p], uz[d, p] = direction[0], direction[1], direction[2]
    return ux, uy, uz, att, emis, geo


@njit(parallel=True, cache=True, fastmath=True)
def _pair_sums(pair_a, pair_b, ux, uy, uz, att, emis, geo, weights, kernel, mu_ratio):
    """Σ_S V_S µ_S g_AS g_BS K(θ) [e^(−a_A − r a_B) ∫_S^A λ + e^(−a_B − r a_A) ∫_S^B λ]."""
    n_pairs, n_pts, top = pair_a.shape[0], weights.shape[0], kernel.shape[0] - 2
    scale = (kernel.shape[0] - 1) / 2.0
    out = np.zeros(n_pairs)
    for k in prange(n_pairs):
        a, b = pair_a[k], pair_b[k]
        total = 0.0
        for p in range(n_pts):
            # θ between the incoming direction (A → S) and the outgoing one (S → B)
            cos_theta = -(ux[a, p] * ux[b, p] + uy[a, p] * uy[b, p] + uz[a, p] * uz[b, p])
            t = (cos_theta + 1.0) * scale
            i = min(max(int(t), 0), top)
            f = t - i
            kern = kernel[i] + f * (kernel[i + 1] - kernel[i])
            if kern <= 0.0:
                continue
            r = mu_ratio[i] + f * (mu_ratio[i + 1] - mu_ratio[i])
            to_a = emis[a, p] * np.exp(-att[a, p] - r * att[b, p])
            to_b = emis[b, p] * np.exp(-att[b, p] - r * att[a, p])
            total += weights[p] * geo[a, p] * geo[b, p] * kern * (to_a + to_b)
        out[k] = total
    return out


# ----------------------------------------------------------------------------- driver


def _direct_cross_sections(
    detectors: NDArray[np.float64], pair_a: NDArray[np.intp], pair_b: NDArray[np.intp]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """``|cos α_A|``, ``|cos α_B|`` and ``R_AB`` (mm) of the direct A–B lines."""
    line = detectors[pair_b] - detectors[pair_a]
    length = np.linalg.norm(line, axis=1)
    rho = np.hypot(detectors[:, 0], detectors[:, 1])

    def radial_cos(ends: NDArray[np.intp]) -> NDArray[np.float64]:
        radial = line[:, 0] * detectors[ends, 0] + line[:, 1] * detectors[ends, 1]
        return np.asarray(np.abs(radial) / (length * rho[ends]))

    return radial_cos(pair_a), radial_cos(pair_b), length


def single_scatter(
    activity: ArrayLike,
    mu_per_mm: ArrayLike,
    voxel_size_mm: ArrayLike,
    detectors_mm: ArrayLike,
    *,
    energy_window_kev: tuple[float, float] = (350.0, 650.0),
    energy_resolution: float = 0.146,
    crystal_area_mm2: float = 1.59**2,
    scatter_spacing_mm: float = 4.0,
    mu_threshold_per_mm: float = 0.001,
) -> NDArray[np.float32]:
    """Expected single-scatter coincidences between all pairs of (virtual) detectors.

    Watson's single-scatter simulation (see the module docstring for the model and its
    simplifications), returned in the units of unscattered trues of the Positrix projector
    model: for a pair ``(A, B)`` the trues are ``∫_A^B λ ds · exp(−∫_A^B µ ds)``
    (activity × mm) and the value returned is Watson's ``S_AB · 4π R_AB² /
    (σ_A σ_B ε(511)²)``, so that ``Σ scatter / (Σ scatter + Σ trues)`` over lines of response
    through the object is the single-scatter fraction.

    Parameters
    ----------
    activity
        Activity concentration λ, shape ``(nx, ny, nz)``, any units (e.g. Bq/mL), ≥ 0.
        Voxel ``(i, j, k)`` is centred at ``((i − (nx − 1)/2) vx, (j − (ny − 1)/2) vy,
        (k − (nz − 1)/2) vz)`` mm.
    mu_per_mm
        Linear attenuation coefficient at 511 keV (1/mm), same shape and grid, ≥ 0.
    voxel_size_mm
        Voxel edge lengths ``(vx, vy, vz)`` (mm), shape ``(3,)``.
    detectors_mm
        Detector (crystal) centres in the scanner frame (mm), shape ``(n_det, 3)``; the
        front face of each is normal to the radial direction in the xy plane.
    energy_window_kev
        Lower and upper energy thresholds (keV); must contain 511 keV.
    energy_resolution
        Energy resolution FWHM/E at 511 keV; the relative resolution scales as ``1/√E``.
    crystal_area_mm2
        Front area of one detector element (mm²).  It cancels in the trues-normalised
        result and only has to be positive.
    scatter_spacing_mm
        Spacing of the coarse grid of scatter points (mm), rounded to a whole number of
        voxels per axis.
    mu_threshold_per_mm
        Only voxels with µ above this (1/mm) contribute scatter points.

    Returns
    -------
    NDArray[np.float32]
        Scatter per detector pair, shape ``(n_det, n_det)``, symmetric, non-negative, zero
        on the diagonal, in activity units × mm.

    Raises
    ------
    PositrixError
        If the images differ in shape or are not 3-D, contain non-finite or negative
        values, the voxel size or detector array has the wrong shape, a detector is on the
        axis, the energy window does not contain 511 keV, or a scalar option is out of
        range.

    Examples
    --------
    >>> import numpy as np
    >>> ring = np.array([[80 * np.cos(a), 80 * np.sin(a), 0.0] for a in (0.0, 2.0, 4.0)])
    >>> single_scatter(np.ones((4, 4, 4)), np.zeros((4, 4, 4)), (2, 2, 2), ring).sum()
    np.float32(0.0)
    """
    act = _volume(activity, "activity")
    mu = _volume(mu_per_mm, "mu_per_mm")
    if act.shape != mu.shape:
        raise PositrixError(
            f"shape {mu.shape} differs from the activity image's {act.shape}",
            field="mu_per_mm",
            fix="resample the µ-map onto the activity image grid",
        )
    voxel = np.array(voxel_size_mm, dtype=np.float64).reshape(-1)
    if voxel.shape != (3,) or not np.all(np.isfinite(voxel)) or np.any(voxel <= 0):
        raise PositrixError(
            "expected three positive voxel edge lengths (mm)", field="voxel_size_mm"
        )
    detectors = _detectors(detectors_mm)
    window = _window(energy_window_kev)
    resolution = _positive(energy_resolution, "energy_resolution")
    area = _positive(crystal_area_mm2, "crystal_area_mm2")
    spacing = _positive(scatter_spacing_mm, "scatter_spacing_mm")
    threshold = _positive(mu_threshold_per_mm, "mu_threshold_per_mm", allow_zero=True)

    n_det = detectors.shape[0]
    result = np.zeros((n_det, n_det), dtype=np.float32)
    points, weights = _scatter_points(mu, voxel, spacing, threshold)
    if points.shape[0] == 0:
        return result
    ux, uy, uz, att, emis, geo = _point_detector_terms(mu, act, voxel, points, detectors, area)
    pair_a, pair_b = np.triu_indices(n_det, k=1)
    kernel, mu_ratio = _angular_tables(window, resolution)
    raw = _pair_sums(pair_a, pair_b, ux, uy, uz, att, emis, geo, weights, kernel, mu_ratio)
    eps_511 = float(_window_efficiency(ANNIHILATION_KEV, window, resolution))
    cos_a, cos_b, length = _direct_cross_sections(detectors, pair_a, pair_b)
    valid = (cos_a >= GRAZING_COS) & (cos_b >= GRAZING_COS)
    # S_AB = raw · ε(511) / (4π); returned S_AB · 4π R_AB² / (σ_A σ_B ε(511)²)
    sigma_ab = area**2 * np.where(valid, cos_a * cos_b, 1.0)
    values = np.where(valid, raw * length**2 / (sigma_ab * eps_511), 0.0)
    result[pair_a, pair_b] = values
    result[pair_b, pair_a] = values
    return result
