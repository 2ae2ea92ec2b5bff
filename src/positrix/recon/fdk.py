"""FDK (Feldkamp–Davis–Kress, J Opt Soc Am A 1 (1984) 612) cone-beam reconstruction for a
circular orbit with a flat panel.

1. Cosine weighting of each projection: × SDD / √(SDD² + u² + v²).
2. Row-wise ramp filtering along u (scaled to the isocentre, u' = u / M), with a
   Ram-Lak (``ramp``), ``shepp-logan`` or ``hann`` window, zero-padded to a power of two.
3. Voxel-driven weighted back projection (numba, parallel over x): each voxel at
   (x, y, z) reads the filtered projection bilinearly at its shadow and is weighted by
   (SID / (SID − s))², s the voxel's coordinate along the source direction;
   × Δθ / 2 for a full scan.
4. Short scans (π + fan angle ≤ span < 2π): Parker weights (Parker, Med Phys 9 (1982) 254)
   make every ray count once, then × Δθ.  The weights smooth the doubly-measured wedges at
   both ends of the scan: ``sin²(π/4 · β/(Γ − γ))`` at the start, ``sin²(π/4 · (π + 2Γ − β)
   / (Γ + γ))`` at the end, 1 between (β the angle from the scan's start, γ a column's fan
   angle, Γ the half fan angle).

Input: line integrals ``(n_angles, rows, cols)`` (mm × µ gives µ in 1/mm).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange
from numpy.typing import NDArray

from positrix.errors import PositrixError
from positrix.geometry.cone_beam import ConeBeamGeometry

__all__ = ["FILTERS", "fdk", "parker_weights", "scan_span"]

#: Frequency windows of the ramp filter.
FILTERS = ("ramp", "shepp-logan", "hann")


def _ramp(n_padded: int, spacing: float, window: str) -> NDArray[np.float64]:
    """Band-limited ramp filter in the frequency domain (Kak & Slaney eq. 3.61 kernel)."""
    k = np.arange(-(n_padded // 2), n_padded // 2)
    h = np.zeros(n_padded)
    h[n_padded // 2] = 1.0 / (4.0 * spacing**2)
    odd = k % 2 == 1
    h[odd] = -1.0 / (np.pi * k[odd] * spacing) ** 2
    response = np.abs(np.fft.fft(np.fft.ifftshift(h))) * spacing
    freq = np.fft.fftfreq(n_padded)  # cycles per sample, |f| ≤ 0.5
    if window == "shepp-logan":
        response *= np.sinc(freq)
    elif window == "hann":
        response *= 0.5 * (1.0 + np.cos(2.0 * np.pi * freq))
    return response


def _columns_mm(geometry: ConeBeamGeometry) -> NDArray[np.float64]:
    cols = geometry.detector_cols
    centres = (np.arange(cols) - (cols - 1) / 2.0) * geometry.pixel_pitch_mm
    return np.asarray(centres + geometry.detector_offset_mm[0], dtype=np.float64)


def scan_span(geometry: ConeBeamGeometry) -> tuple[float, NDArray[np.float64]]:
    """The scan's angular span (rad, last − first + one step) and each view's angular
    step Δθ (rad, shape ``(n_angles,)``; central differences, so unequal steps count)."""
    theta = np.unwrap(geometry.angles_rad)
    if np.any(np.diff(theta) * np.sign(theta[-1] - theta[0]) <= 0):
        raise PositrixError(
            "the projection angles do not run monotonically",
            field="angles_deg",
            fix="list the angles in acquisition order, each once",
        )
    theta = np.abs(theta - theta[0])
    steps = np.gradient(theta)
    return float(theta[-1] + steps[-1]), steps


def parker_weights(geometry: ConeBeamGeometry) -> NDArray[np.float64]:
    """Parker's short-scan weights, shape ``(n_angles, cols)`` (module docstring, step 4).

    Raises
    ------
    PositrixError
        For a scan shorter than π plus the fan angle.
    """
    scan_span(geometry)  # checks the order
    unwrapped = np.unwrap(geometry.angles_rad)
    theta = np.abs(unwrapped - unwrapped[0])
    # fan angle of each column, signed so that it grows against the direction of rotation
    direction = 1.0 if unwrapped[-1] > unwrapped[0] else -1.0
    gamma = -direction * np.arctan(_columns_mm(geometry) / geometry.source_to_detector_mm)
    half_fan = float(np.max(np.abs(gamma)))
    if theta[-1] < np.pi + 2.0 * half_fan - 1e-6:
        raise PositrixError(
            f"a {np.degrees(theta[-1]):.1f}° scan is shorter than a short scan needs "
            f"(180° + fan angle = {180.0 + np.degrees(2 * half_fan):.1f}°)",
            field="angles_deg",
            fix="acquire 180° plus the fan angle, or a full 360°; or use --algorithm sart|cgls",
        )
    # an overscan widens the transition wedges: Γ' = (last angle − π)/2 ≥ Γ keeps Σ w = 1
    wide = 0.5 * (theta[-1] - np.pi)
    beta = np.broadcast_to(theta[:, None], (theta.size, gamma.size))
    g = np.broadcast_to(gamma[None, :], beta.shape)
    weights = np.ones(beta.shape)
    start = beta < 2.0 * (wide - g)
    weights[start] = np.sin(np.pi / 4.0 * beta[start] / (wide - g[start])) ** 2
    end = beta > np.pi - 2.0 * g
    weights[end] = np.sin(np.pi / 4.0 * (np.pi + 2.0 * wide - beta[end]) / (wide + g[end])) ** 2
    return weights


def _filter(
    projections: NDArray[np.float64], geometry: ConeBeamGeometry, window: str
) -> NDArray[np.float64]:
    n_a, rows, cols = projections.shape
    pitch = geometry.pixel_pitch_mm
    u = _columns_mm(geometry)
    v = (np.arange(rows) - (rows - 1) / 2.0) * pitch + geometry.detector_offset_mm[1]
    sdd = geometry.source_to_detector_mm
    weight = sdd / np.sqrt(sdd**2 + u[None, :] ** 2 + v[:, None] ** 2)
    n_padded = 1 << math.ceil(math.log2(2 * cols))
    ramp = _ramp(n_padded, pitch / geometry.magnification, window)
    padded = np.zeros((n_a, rows, n_padded))
    padded[:, :, :cols] = projections * weight
    filtered = np.fft.ifft(np.fft.fft(padded, axis=2) * ramp, axis=2).real[:, :, :cols]
    return np.ascontiguousarray(filtered)


@njit(parallel=True, cache=True)
def _backproject(filtered, angles, sid, sdd, pitch, offset_u, offset_v, shape, voxel):
    nx, ny, nz = shape[0], shape[1], shape[2]
    n_a, rows, cols = filtered.shape
    out = np.zeros((nx, ny, nz), dtype=np.float32)
    for i in prange(nx):
        x = (i - (nx - 1) / 2.0) * voxel
        for a in range(n_a):
            c, s = math.cos(angles[a]), math.sin(angles[a])
            for j in range(ny):
                y = (j - (ny - 1) / 2.0) * voxel
                along = x * c + y * s  # towards the source
                across = -x * s + y * c
                scale = sdd / (sid - along)
                w = (sid / (sid - along)) ** 2
                col = (across * scale - offset_u) / pitch + (cols - 1) / 2.0
                c0 = math.floor(col)
                if c0 < 0 or c0 + 1 >= cols:
                    continue
                fc = col - c0
                for k in range(nz):
                    z = (k - (nz - 1) / 2.0) * voxel
                    row = (z * scale - offset_v) / pitch + (rows - 1) / 2.0
                    r0 = math.floor(row)
                    if r0 < 0 or r0 + 1 >= rows:
                        continue
                    fr = row - r0
                    top = (1 - fc) * filtered[a, r0, c0] + fc * filtered[a, r0, c0 + 1]
                    low = (1 - fc) * filtered[a, r0 + 1, c0] + fc * filtered[a, r0 + 1, c0 + 1]
                    out[i, j, k] += w * ((1 - fr) * top + fr * low)
    return out


def fdk(
    projections: NDArray[np.floating],
    geometry: ConeBeamGeometry,
    *,
    window: str = "ramp",
    shape: tuple[int, int, int] | None = None,
    voxel_size_mm: float | None = None,
) -> NDArray[np.float32]:
    """FDK reconstruction of line integrals, shape ``(n_angles, rows, cols)`` → ``(nx, ny, nz)``
    in 1/mm (line integrals in mm⁻¹·mm): a full 360° scan, or a short scan (180° plus the
    fan angle or more) with Parker weights.

    Raises
    ------
    PositrixError
        For a stack whose shape does not match the geometry, or an unknown window.
    """
    data = np.asarray(projections, dtype=np.float64)
    geometry.check_projections(data.shape)
    if window not in FILTERS:
        raise PositrixError(f"unknown filter '{window}'", field="--filter", fix=", ".join(FILTERS))
    default_shape, default_size = geometry.grid()
    grid = shape or default_shape
    size = voxel_size_mm or default_size
    span, steps = scan_span(geometry)
    if span >= 2.0 * np.pi - 1e-6:
        view_weights = steps / 2.0
    else:
        data = data * parker_weights(geometry)[:, None, :]
        view_weights = steps
    filtered = _filter(data * view_weights[:, None, None], geometry, window)
    angles = geometry.angles_rad
    volume = _backproject(
        filtered,
        angles,
        geometry.source_to_isocenter_mm,
        geometry.source_to_detector_mm,
        geometry.pixel_pitch_mm,
        geometry.detector_offset_mm[0],
        geometry.detector_offset_mm[1],
        np.array(grid, dtype=np.int64),
        float(size),
    )
    return volume
