"""2D filtered back-projection (FBP) of a stack of parallel-beam sinograms.

This is the analytic reconstruction that NEMA NU 4 prescribes for spatial-resolution
measurements: the 3D data are first rebinned into 2D sinograms (single-slice rebinning),
then each plane is reconstructed independently by :func:`fbp2d`.

Geometry (the same as the rest of Positrix): pixel ``(i, j)`` has its centre at
``x = (i − (nx − 1)/2)·vx``, ``y = (j − (ny − 1)/2)·vy`` (millimetres, centred on the
scanner axis).  The line of response (LOR) with view angle ``φ`` and radial coordinate
``s`` is the line ``{p : p·n = s}`` with ``n = (cos φ, sin φ)``; a sinogram value is the
line integral ``∫ f dl`` along it (activity concentration × mm).  The inverse is

    f(x, y) = ∫_0^π q_φ(x cos φ + y sin φ) dφ,

where ``q_φ`` is the ramp-filtered projection.  The steps are

1. arc correction: every view is linearly interpolated from the (possibly non-uniform)
   radial bin positions onto a uniform grid of spacing ``τ``;
2. filtering: zero padding to a power of two ≥ 2× the length, multiplication in Fourier
   space by the discrete ramp obtained from the band-limited spatial kernel of Kak & Slaney
   (``h(0) = 1/(4τ²)``, ``h(n odd) = −1/(n²π²τ²)``, ``h(n even) = 0``; this avoids the DC
   bias of a sampled ``|ν|``) times an apodising window;
3. back-projection with linear interpolation along ``s``, summed over views with the
   view spacing ``π / n_views`` (numba, parallel over planes and image rows).

Since the filter has units mm⁻² and the convolution integral adds one mm, the output has
the units of the activity that produced the line integrals (Bq/mL × mm → Bq/mL).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange
from numpy.typing import ArrayLike, NDArray

from positrix.errors import PositrixError

__all__ = ["FBP_FILTERS", "fbp2d"]

FBP_FILTERS = ("ramp", "shepp-logan", "hann", "hamming", "cosine")
"""Names of the apodising windows accepted by :func:`fbp2d`."""

_UNIFORM_TOLERANCE = 0.05  # allowed deviation of a view step from π/n_views, as a fraction


def fbp2d(
    sinograms: ArrayLike,
    radial_mm: ArrayLike,
    view_angles_rad: ArrayLike,
    *,
    shape: tuple[int, int],
    voxel_size_mm: tuple[float, float],
    filter: str = "ramp",
    cutoff: float = 1.0,
    radial_spacing_mm: float | None = None,
) -> NDArray[np.float32]:
    """Reconstruct a stack of 2D parallel-beam sinograms by filtered back-projection.

    Parameters
    ----------
    sinograms
        Line integrals, shape ``(n_planes, n_views, n_radial)``, in activity × mm
        (e.g. Bq/mL × mm).  Not modified.
    radial_mm
        Signed radial positions ``s`` of the bins in mm, shape ``(n_radial,)``, strictly
        increasing; may be non-uniform (not arc-corrected).
    view_angles_rad
        Angles ``φ`` of the LOR normals in radians, shape ``(n_views,)``, increasing, in
        ``[0, π)`` and (roughly) uniformly spaced by ``π / n_views``.
    shape
        Output image size ``(nx, ny)`` in pixels.
    voxel_size_mm
        Pixel size ``(vx, vy)`` in mm.
    filter
        Apodising window multiplying the ramp: one of :data:`FBP_FILTERS`.
    cutoff
        Cut-off frequency as a fraction of the Nyquist frequency ``1/(2τ)`` of the
        arc-corrected radial sampling, in ``(0, 1]``; the filter is zero above it.
    radial_spacing_mm
        Spacing ``τ`` (mm) of the uniform arc-corrected radial grid.  By default the
        smallest of the bin spacings next to the bin closest to ``s = 0``.

    Returns
    -------
    numpy.ndarray
        Reconstructed image, float32, shape ``(nx, ny, n_planes)`` (the plane axis is
        last), in the activity units of the sinogram (the mm factor is removed).

    Raises
    ------
    PositrixError
        On mismatched shapes, non-increasing radial positions, views that do not cover
        ``[0, π)`` uniformly, an unknown filter name or a cut-off outside ``(0, 1]``.

    Examples
    --------
    A uniform disc of radius 10 mm and value 1 reconstructs to 1 in its centre:

    >>> s = np.linspace(-30.0, 30.0, 121)
    >>> phi = np.arange(90) * np.pi / 90
    >>> sino = np.broadcast_to(2 * np.sqrt(np.clip(100 - s**2, 0, None)), (1, 90, 121))
    >>> image = fbp2d(sino, s, phi, shape=(64, 64), voxel_size_mm=(0.8, 0.8))
    >>> image.shape
    (64, 64, 1)
    >>> round(float(image[28:36, 28:36, 0].mean()), 2)
    1.0
    """
    sino, s = _check_sinograms(sinograms, radial_mm)
    phi = _check_angles(view_angles_rad, sino.shape[1])
    nx, ny, vx, vy = _check_grid(shape, voxel_size_mm)
    _check_filter(filter, cutoff)
    tau = _radial_spacing(s, radial_spacing_mm)
    s0, uniform = _arc_correct(sino, s, tau)
    filtered = _ramp_filter(uniform, tau, filter, cutoff)
    xs = (np.arange(nx) - (nx - 1) / 2.0) * vx
    ys = (np.arange(ny) - (ny - 1) / 2.0) * vy
    planes = _backproject(filtered, np.cos(phi), np.sin(phi), s0, tau, xs, ys, np.pi / phi.size)
    return np.ascontiguousarray(planes.transpose(1, 2, 0))


def _check_sinograms(
    sinograms: ArrayLike, radial_mm: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Sinograms ``(planes, views, radial)`` and radial positions ``(radial,)`` as float64."""
    sino = np.asarray(sinograms, dtype=np.float64)
    if sino.ndim != 3 or min(sino.shape) < 1:
        raise PositrixError(
            f"expected a non-empty (n_planes, n_views, n_radial) array, got shape {sino.shape}",
            field="sinograms",
            fix="stack the 2D sinograms along a leading plane axis",
        )
    if not np.all(np.isfinite(sino)):
        raise PositrixError(
            "contains NaN or infinite values",
            field="sinograms",
            fix="replace missing bins by interpolated values or zeros",
        )
    s = np.asarray(radial_mm, dtype=np.float64)
    if s.shape != (sino.shape[2],) or s.size < 2:
        raise PositrixError(
            f"shape {s.shape} does not match the {sino.shape[2]} radial bins of the sinograms",
            field="radial_mm",
            fix="give one radial position per bin along the last sinogram axis (at least 2)",
        )
    if not np.all(np.isfinite(s)) or np.any(np.diff(s) <= 0):
        raise PositrixError(
            "radial positions must be finite and strictly increasing",
            field="radial_mm",
            fix="sort the radial bins (and the sinogram's last axis) by increasing s",
        )
    return sino, s


def _check_angles(view_angles_rad: ArrayLike, n_views: int) -> NDArray[np.float64]:
    """View angles ``(views,)``, checked to cover ``[0, π)`` with a uniform step."""
    phi = np.asarray(view_angles_rad, dtype=np.float64)
    if phi.shape != (n_views,) or n_views < 2:
        raise PositrixError(
            f"shape {phi.shape} does not match the {n_views} views of the sinograms",
            field="view_angles_rad",
            fix="give one angle per view along the middle sinogram axis (at least 2)",
        )
    step = np.pi / n_views
    if not np.all(np.isfinite(phi)) or phi[0] < -1e-6 or phi[-1] >= np.pi:
        raise PositrixError(
            "view angles must lie in [0, π)",
            field="view_angles_rad",
            fix="give the angles in radians, reduced modulo π",
        )
    if np.any(np.abs(np.diff(phi) - step) > _UNIFORM_TOLERANCE * step):
        raise PositrixError(
            f"views are not uniformly spaced by π/{n_views} over [0, π)",
            field="view_angles_rad",
            fix="sort the views by angle and supply all of them (mashed views are fine)",
        )
    return phi


def _check_grid(
    shape: tuple[int, int], voxel_size_mm: tuple[float, float]
) -> tuple[int, int, float, float]:
    """Image size and pixel size as ``(nx, ny, vx, vy)``."""
    if len(shape) != 2 or any(int(n) != n or n < 1 for n in shape):
        raise PositrixError(
            f"expected two positive integers, got {shape!r}",
            field="shape",
            fix="give the output size as (nx, ny)",
        )
    if len(voxel_size_mm) != 2 or not all(
        math.isfinite(v) and v > 0 for v in map(float, voxel_size_mm)
    ):
        raise PositrixError(
            f"expected two positive pixel sizes in mm, got {voxel_size_mm!r}",
            field="voxel_size_mm",
            fix="give the pixel size as (vx, vy) in mm",
        )
    return int(shape[0]), int(shape[1]), float(voxel_size_mm[0]), float(voxel_size_mm[1])


def _check_filter(name: str, cutoff: float) -> None:
    """Raise unless ``name`` is a known window and ``cutoff`` is in ``(0, 1]``."""
    if name not in FBP_FILTERS:
        raise PositrixError(
            f"unknown filter {name!r}",
            field="filter",
            fix=f"use one of {', '.join(FBP_FILTERS)}",
        )
    if not (math.isfinite(cutoff) and 0.0 < cutoff <= 1.0):
        raise PositrixError(
            f"cut-off {cutoff!r} is outside (0, 1]",
            field="cutoff",
            fix="give the cut-off as a fraction of the Nyquist frequency, e.g. 1.0 or 0.5",
        )


def _radial_spacing(s: NDArray[np.float64], requested: float | None) -> float:
    """Arc-correction spacing τ (mm): as requested, or the finest spacing next to s = 0."""
    if requested is not None:
        if not (math.isfinite(requested) and 0 < requested < (s[-1] - s[0]) / 2):
            raise PositrixError(
                f"radial spacing {requested!r} is not a positive length below half the range",
                field="radial_spacing_mm",
                fix="give the arc-corrected bin size in mm, or None for the default",
            )
        return float(requested)
    k = int(np.argmin(np.abs(s)))
    steps = np.diff(s)
    return float(steps[max(k - 1, 0) : k + 1].min())


def _arc_correct(
    sino: NDArray[np.float64], s: NDArray[np.float64], tau: float
) -> tuple[float, NDArray[np.float64]]:
    """Linear interpolation onto ``s0 + m·τ``; returns ``s0`` and ``(planes, views, bins)``.

    The uniform grid is anchored at the bin closest to ``s = 0`` so that data that are
    already uniform with spacing τ pass through unchanged.
    """
    anchor = float(s[np.argmin(np.abs(s))])
    m = np.arange(
        math.ceil((s[0] - anchor) / tau - 1e-9), math.floor((s[-1] - anchor) / tau + 1e-9) + 1
    )
    grid = np.clip(anchor + m * tau, s[0], s[-1])
    upper = np.clip(np.searchsorted(s, grid, side="right"), 1, s.size - 1)
    weight = (grid - s[upper - 1]) / (s[upper] - s[upper - 1])
    uniform = sino[..., upper - 1] * (1.0 - weight) + sino[..., upper] * weight
    return float(grid[0]), uniform


def _window(nu: NDArray[np.floating], name: str, cut: float) -> NDArray[np.float64]:
    """Apodising window at frequencies ``nu`` (mm⁻¹), zero above ``cut`` (mm⁻¹)."""
    r = nu / cut
    if name == "ramp":
        w = np.ones_like(r)
    elif name == "shepp-logan":
        w = np.sinc(r / 2.0)
    elif name == "cosine":
        w = np.cos(np.pi * r / 2.0)
    elif name == "hamming":
        w = 0.54 + 0.46 * np.cos(np.pi * r)
    else:  # hann
        w = 0.5 + 0.5 * np.cos(np.pi * r)
    return np.where(r <= 1.0 + 1e-12, w, 0.0)


def _ramp_filter(
    projections: NDArray[np.float64], tau: float, name: str, cutoff: float
) -> NDArray[np.float64]:
    """Filter along the last axis with the windowed Kak-Slaney ramp; same shape, activity."""
    n = projections.shape[-1]
    n_pad = 1 << (2 * n - 1).bit_length()  # power of two ≥ 2n
    k = np.minimum(np.arange(n_pad), n_pad - np.arange(n_pad))  # |lag| with wrap-around
    kernel = np.zeros(n_pad)
    kernel[0] = 1.0 / (4.0 * tau**2)
    odd = k % 2 == 1
    kernel[odd] = -1.0 / (np.pi * k[odd] * tau) ** 2
    # τ·DFT(h) approximates ∫ h(s) e^{-2πiνs} ds = |ν|; h is even so its DFT is real
    response = tau * np.fft.rfft(kernel).real
    nu = np.fft.rfftfreq(n_pad, d=tau)
    response *= _window(nu, name, cutoff / (2.0 * tau))
    spectrum = np.fft.rfft(projections, n=n_pad, axis=-1) * response
    return np.fft.irfft(spectrum, n=n_pad, axis=-1)[..., :n]


@njit(parallel=True, cache=True)
def _backproject(q, cos_phi, sin_phi, s0, tau, xs, ys, dphi):
    """Sum over views of ``q`` at ``s = x cos φ + y sin φ`` (linear, zero outside) × dφ.

    ``q`` (planes, views, bins) on the grid ``s0 + m·τ``; returns (planes, nx, ny) float32.
    """
    n_planes, n_views, n_bins = q.shape
    nx, ny = xs.size, ys.size
    out = np.zeros((n_planes, nx, ny), dtype=np.float32)
    for job in prange(n_planes * nx):
        p = job // nx
        i = job % nx
        for j in range(ny):
            total = 0.0
            for v in range(n_views):
                t = (xs[i] * cos_phi[v] + ys[j] * sin_phi[v] - s0) / tau
                m = int(np.floor(t))
                if 0 <= m < n_bins - 1:
                    w = t - m
                    total += q[p, v, m] * (1.0 - w) + q[p, v, m + 1] * w
            out[p, i, j] = total * dphi
    return out
