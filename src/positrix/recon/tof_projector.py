"""Time-of-flight Joseph projector for LORs: a Gaussian kernel along each line of response.

The non-TOF projector (:mod:`positrix.recon.projectors`) samples the image once per plane
of the LOR's main axis with weight ``w`` (path length per plane).  With time of flight each
sample at signed position ``x`` from the LOR's midpoint (towards its second endpoint) is
shared among the TOF bins by :func:`positrix.physics.tof.tof_weights` — the integral over
the bin of a Gaussian of FWHM ``c·CTR/2`` centred on ``x``.  Summed over bins that cover the
whole LOR (and a few σ beyond), the shares add up to 1: the TOF projection summed over bins
is the non-TOF projection.

Two layouts: **histogram** (every LOR carries all ``K`` bins, output ``(n_lors, K)``, as a
TOF sinogram) and **list-mode** (each LOR is one event with its own bin, output
``(n_lors,)``).  The back-projection is the exact adjoint, accumulated per thread.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba import njit, prange
from numpy.typing import ArrayLike, NDArray

from positrix.errors import PositrixError
from positrix.physics.tof import position_fwhm_mm, tof_bin_edges_mm
from positrix.recon.operators import LinearOperator
from positrix.recon.projectors import _setup, _strides

__all__ = ["TOFLORProjector"]


@njit(cache=True, fastmath=True, inline="always")
def _bin_shares(x, edges, first, count, inv_s, reach, shares):
    """Fill ``shares[m]`` with the share of a sample at ``x`` (mm) falling in TOF bin
    ``first + m`` — half the difference of ``erf`` at its edges — and 0 for bins beyond
    ``reach`` (mm) of it; returns whether any bin is within reach."""
    previous = 2.0  # erf at this bin's left edge; 2: not computed yet
    near = False
    for m in range(count):
        left = edges[first + m]
        right = edges[first + m + 1]
        if right < x - reach or left > x + reach:
            previous = 2.0
            shares[m] = 0.0
            continue
        if previous > 1.5:
            previous = math.erf((left - x) * inv_s)
        current = math.erf((right - x) * inv_s)
        shares[m] = 0.5 * (current - previous)
        previous = current
        near = True
    return near


@njit(cache=True, fastmath=True)
def _trace_tof(image, p1, p2, shape, voxel, edges, first, count, row, scatter, inv_s, reach,
               shares):  # fmt: skip
    """Forward (``scatter`` False: adds into ``row``) or back-project ``row`` along one LOR
    for TOF bins ``first … first + count − 1`` (their edges in ``edges``, mm); ``shares`` is
    a work buffer of ``count``."""
    axis, b, c, da, weight, lo, hi = _setup(p1, p2, shape, voxel)
    sa, sb, sc = _strides(shape, axis, b, c)
    length = weight * abs(da) / voxel[axis]
    db, dc = p2[b] - p1[b], p2[c] - p1[c]
    nb, nc = shape[b], shape[c]
    ca, cb, cc = (shape[axis] - 1) / 2.0, (nb - 1) / 2.0, (nc - 1) / 2.0
    for k in range(lo, hi + 1):
        t = ((k - ca) * voxel[axis] - p1[axis]) / da
        x = (t - 0.5) * length
        # this sample's share of each bin within reach of it
        spread = 0.0
        if scatter:
            if not _bin_shares(x, edges, first, count, inv_s, reach, shares):
                continue
            for m in range(count):
                spread += shares[m] * row[m]
            if spread == 0.0:
                continue
        ub = (p1[b] + t * db) / voxel[b] + cb
        uc = (p1[c] + t * dc) / voxel[c] + cc
        jb = math.floor(ub)
        jc = math.floor(uc)
        fb = ub - jb
        fc = uc - jc
        base = k * sa
        total = 0.0
        for step_b in range(2):
            ib = jb + step_b
            if ib < 0 or ib >= nb:
                continue
            wb = fb if step_b == 1 else 1.0 - fb
            for step_c in range(2):
                ic = jc + step_c
                if ic < 0 or ic >= nc:
                    continue
                w = wb * (fc if step_c == 1 else 1.0 - fc) * weight
                at = base + ib * sb + ic * sc
                if scatter:
                    image[at] += spread * w
                else:
                    total += image[at] * w
        if not scatter and total != 0.0:
            _bin_shares(x, edges, first, count, inv_s, reach, shares)
            for m in range(count):
                row[m] += total * shares[m]


@njit(parallel=True, cache=True)
def _forward(image, starts, ends, voxel, edges, bins, n_out, inv_s, reach):
    flat = image.ravel()
    shape = np.array(image.shape)
    n = starts.shape[0]
    out = np.zeros((n, n_out), dtype=np.float32)
    for r in prange(n):
        row = np.zeros(n_out)
        shares = np.empty(n_out)
        first = 0 if bins[r] < 0 else bins[r]
        _trace_tof(flat, starts[r], ends[r], shape, voxel, edges, first, n_out, row, False,
                   inv_s, reach, shares)  # fmt: skip
        for m in range(n_out):
            out[r, m] = row[m]
    return out


@njit(parallel=True)
def _back(values, starts, ends, shape, voxel, edges, bins, inv_s, reach):
    n_threads = numba.get_num_threads()
    size = shape[0] * shape[1] * shape[2]
    partial = np.zeros((n_threads, size), dtype=np.float64)
    n = starts.shape[0]
    n_out = values.shape[1]
    chunk = (n + n_threads - 1) // n_threads
    for thread in prange(n_threads):
        row = np.zeros(n_out)
        shares = np.empty(n_out)
        for r in range(thread * chunk, min(n, (thread + 1) * chunk)):
            any_value = False
            for m in range(n_out):
                row[m] = values[r, m]
                any_value = any_value or row[m] != 0.0
            if any_value:
                first = 0 if bins[r] < 0 else bins[r]
                _trace_tof(partial[thread], starts[r], ends[r], shape, voxel, edges, first,
                           n_out, row, True, inv_s, reach, shares)  # fmt: skip
    return partial.sum(axis=0).astype(np.float32).reshape((shape[0], shape[1], shape[2]))


class TOFLORProjector(LinearOperator):
    """TOF forward projection onto LORs (module docstring).

    Parameters
    ----------
    shape, voxel_size_mm
        Image voxels ``(nx, ny, nz)`` and their size (mm), centred on the scanner.
    starts, ends
        LOR endpoints (mm), each ``(n_lors, 3)``; TOF positions count from the midpoint
        towards ``ends``.
    n_bins, bin_ps, ctr_ps
        TOF bins (centred on the midpoint), their width (ps) and the coincidence time
        resolution (FWHM, ps).
    bins
        List-mode: each LOR's TOF bin ``(n_lors,)`` (0 … n_bins − 1), output ``(n_lors,)``;
        ``None``: every bin of every LOR, output ``(n_lors, n_bins)``.
    """

    def __init__(
        self,
        shape: tuple[int, int, int],
        voxel_size_mm: ArrayLike,
        starts: ArrayLike,
        ends: ArrayLike,
        *,
        n_bins: int,
        bin_ps: float,
        ctr_ps: float,
        bins: ArrayLike | None = None,
    ) -> None:
        self.starts = np.ascontiguousarray(starts, dtype=np.float64)
        self.ends = np.ascontiguousarray(ends, dtype=np.float64)
        if self.starts.shape != self.ends.shape or self.starts.ndim != 2:
            raise PositrixError("LOR endpoints must be two (n, 3) arrays", field="lors")
        n = self.starts.shape[0]
        self.edges = tof_bin_edges_mm(n_bins, bin_ps)
        sigma = position_fwhm_mm(ctr_ps) / (2.0 * np.sqrt(2.0 * np.log(2.0)))
        self.inv_s = 1.0 / (np.sqrt(2.0) * sigma)
        self.reach = 6.0 * sigma
        self.voxel = np.asarray(voxel_size_mm, dtype=np.float64)
        self.in_shape = tuple(int(v) for v in shape)
        if bins is None:
            self.bins = np.full(n, -1, dtype=np.int64)
            self.n_out = int(n_bins)
            self.out_shape: tuple[int, ...] = (n, self.n_out)
        else:
            self.bins = np.ascontiguousarray(bins, dtype=np.int64)
            if self.bins.shape != (n,) or np.any((self.bins < 0) | (self.bins >= n_bins)):
                raise PositrixError(
                    f"TOF bins must be one per LOR in 0 … {n_bins - 1}", field="tof_bin"
                )
            self.n_out = 1
            self.out_shape = (n,)

    def _apply(self, x: NDArray[np.float32]) -> NDArray[np.float32]:
        image = np.require(x, np.float32, ["C", "W"])
        out = _forward(image, self.starts, self.ends, self.voxel, self.edges, self.bins,
                       self.n_out, self.inv_s, self.reach)  # fmt: skip
        return out.reshape(self.out_shape)

    def _adjoint(self, y: NDArray[np.float32]) -> NDArray[np.float32]:
        values = np.ascontiguousarray(np.asarray(y, np.float64).reshape(-1, self.n_out))
        shape = np.array(self.in_shape, dtype=np.int64)
        return _back(values, self.starts, self.ends, shape, self.voxel, self.edges, self.bins,
                     self.inv_s, self.reach)  # fmt: skip
