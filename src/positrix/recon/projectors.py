"""Joseph's ray-driven projector for arbitrary lines of response (LORs), numba-parallel.

Image grid: ``(nx, ny, nz)`` voxels of ``voxel_size_mm`` centred on the scanner origin
(voxel ``i`` at ``(i − (n − 1)/2) · size``).  Along each LOR the dominant axis is stepped
plane by plane; the image is interpolated bilinearly in the other two axes (zero outside)
and weighted by the path length per plane.  The back-projection is the exact adjoint (the
same weights scattered), accumulated in per-thread images so that threads never collide.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba import njit, prange
from numpy.typing import ArrayLike, NDArray

from positrix.errors import PositrixError
from positrix.recon.operators import LinearOperator

__all__ = ["LORProjector", "joseph_back", "joseph_forward"]


@njit(parallel=True, cache=True)
def joseph_forward(image, starts, ends, voxel):
    """Line integrals (image units × mm) of ``image`` along each LOR."""
    nx, ny, nz = image.shape
    shape = np.array([nx, ny, nz])
    flat = image.ravel()
    n = starts.shape[0]
    out = np.zeros(n, dtype=np.float32)
    for r in prange(n):
        out[r] = _trace_forward(flat, starts[r], ends[r], shape, voxel)
    return out


@njit(parallel=True)
def joseph_back(values, starts, ends, shape, voxel):
    """Adjoint of :func:`joseph_forward`: scatter ``values`` along each LOR."""
    n_threads = numba.get_num_threads()
    size = shape[0] * shape[1] * shape[2]
    partial = np.zeros((n_threads, size), dtype=np.float32)
    n = starts.shape[0]
    chunk = (n + n_threads - 1) // n_threads
    for thread in prange(n_threads):
        for r in range(thread * chunk, min(n, (thread + 1) * chunk)):
            if values[r] != 0.0:
                _trace_back(partial[thread], starts[r], ends[r], shape, voxel, values[r])
    return partial.sum(axis=0).reshape((shape[0], shape[1], shape[2]))


@njit(cache=True, fastmath=True, inline="always")
def _setup(p1, p2, shape, voxel):
    """Main axis, the other two, the path weight per plane and the plane range of a LOR."""
    d0, d1, d2 = p2[0] - p1[0], p2[1] - p1[1], p2[2] - p1[2]
    a0, a1, a2 = abs(d0), abs(d1), abs(d2)
    axis = 0 if (a0 >= a1 and a0 >= a2) else (1 if a1 >= a2 else 2)
    b = (axis + 1) % 3
    c = (axis + 2) % 3
    da = p2[axis] - p1[axis]
    weight = voxel[axis] * math.sqrt(d0 * d0 + d1 * d1 + d2 * d2) / abs(da)
    ca = (shape[axis] - 1) / 2.0
    ia0 = p1[axis] / voxel[axis] + ca
    ia1 = p2[axis] / voxel[axis] + ca
    lo = max(math.ceil(min(ia0, ia1)), 0)
    hi = min(math.floor(max(ia0, ia1)), shape[axis] - 1)
    return axis, b, c, da, weight, lo, hi


@njit(cache=True, fastmath=True, inline="always")
def _strides(shape, axis, b, c):
    s0, s1 = shape[1] * shape[2], shape[2]
    sa = s0 if axis == 0 else (s1 if axis == 1 else 1)
    sb = s0 if b == 0 else (s1 if b == 1 else 1)
    sc = s0 if c == 0 else (s1 if c == 1 else 1)
    return sa, sb, sc


@njit(cache=True, fastmath=True, inline="always")
def _walk(p1, p2, shape, voxel):
    """A LOR's planes ``lo … hi`` along its main axis, the flat strides, the sizes of the
    other two axes, and per plane ``k`` the continuous indices ``ub0 + k·dub``,
    ``uc0 + k·duc`` on them; ``weight`` is the path length per plane (mm)."""
    axis, b, c, da, weight, lo, hi = _setup(p1, p2, shape, voxel)
    sa, sb, sc = _strides(shape, axis, b, c)
    nb, nc = shape[b], shape[c]
    ca, cb, cc = (shape[axis] - 1) / 2.0, (nb - 1) / 2.0, (nc - 1) / 2.0
    step = voxel[axis] / da
    t0 = (-ca * voxel[axis] - p1[axis]) / da
    ub0 = (p1[b] + t0 * (p2[b] - p1[b])) / voxel[b] + cb
    uc0 = (p1[c] + t0 * (p2[c] - p1[c])) / voxel[c] + cc
    dub = step * (p2[b] - p1[b]) / voxel[b]
    duc = step * (p2[c] - p1[c]) / voxel[c]
    return lo, hi, sa, sb, sc, nb, nc, ub0, uc0, dub, duc, weight


@njit(cache=True, fastmath=True)
def _trace_forward(image, p1, p2, shape, voxel):
    """Line integral of the flat C-order ``image`` along one LOR (module docstring)."""
    lo, hi, sa, sb, sc, nb, nc, ub0, uc0, dub, duc, weight = _walk(p1, p2, shape, voxel)
    total = 0.0
    for k in range(lo, hi + 1):
        ub = ub0 + k * dub
        uc = uc0 + k * duc
        jb = math.floor(ub)
        jc = math.floor(uc)
        fb = ub - jb
        fc = uc - jc
        if 0 <= jb and jb + 1 < nb and 0 <= jc and jc + 1 < nc:
            at = k * sa + jb * sb + jc * sc
            low = image[at] * (1.0 - fc) + image[at + sc] * fc
            high = image[at + sb] * (1.0 - fc) + image[at + sb + sc] * fc
            total += low * (1.0 - fb) + high * fb
            continue
        for step_b in range(2):
            ib = jb + step_b
            if ib < 0 or ib >= nb:
                continue
            wb = fb if step_b == 1 else 1.0 - fb
            for step_c in range(2):
                ic = jc + step_c
                if 0 <= ic < nc:
                    total += (
                        image[k * sa + ib * sb + ic * sc] * wb * (fc if step_c == 1 else 1.0 - fc)
                    )
    return total * weight


@njit(cache=True, fastmath=True)
def _trace_back(image, p1, p2, shape, voxel, value):
    """Add ``value`` along one LOR into the flat ``image`` (the adjoint of the forward)."""
    lo, hi, sa, sb, sc, nb, nc, ub0, uc0, dub, duc, weight = _walk(p1, p2, shape, voxel)
    v = value * weight
    for k in range(lo, hi + 1):
        ub = ub0 + k * dub
        uc = uc0 + k * duc
        jb = math.floor(ub)
        jc = math.floor(uc)
        fb = ub - jb
        fc = uc - jc
        if 0 <= jb and jb + 1 < nb and 0 <= jc and jc + 1 < nc:
            at = k * sa + jb * sb + jc * sc
            vb0 = v * (1.0 - fb)
            vb1 = v * fb
            image[at] += vb0 * (1.0 - fc)
            image[at + sc] += vb0 * fc
            image[at + sb] += vb1 * (1.0 - fc)
            image[at + sb + sc] += vb1 * fc
            continue
        for step_b in range(2):
            ib = jb + step_b
            if ib < 0 or ib >= nb:
                continue
            wb = fb if step_b == 1 else 1.0 - fb
            for step_c in range(2):
                ic = jc + step_c
                if 0 <= ic < nc:
                    image[k * sa + ib * sb + ic * sc] += v * wb * (fc if step_c == 1 else 1.0 - fc)


@njit(cache=True, fastmath=True)
def _trace(image, p1, p2, shape, voxel, value, scatter):
    """Forward (returns the line integral) or, with ``scatter``, back-project ``value``."""
    if scatter:
        _trace_back(image, p1, p2, shape, voxel, value)
        return 0.0
    return _trace_forward(image, p1, p2, shape, voxel)


class LORProjector(LinearOperator):
    """Forward projection of an image onto a list of LORs (list-mode or any layout).

    Parameters
    ----------
    shape
        Image voxels ``(nx, ny, nz)``.
    voxel_size_mm
        Voxel edge lengths (mm).
    starts, ends
        LOR endpoints (mm, scanner frame), each ``(n_lors, 3)``.
    """

    def __init__(
        self,
        shape: tuple[int, int, int],
        voxel_size_mm: ArrayLike,
        starts: ArrayLike,
        ends: ArrayLike,
    ) -> None:
        self.starts = np.ascontiguousarray(starts, dtype=np.float64)
        self.ends = np.ascontiguousarray(ends, dtype=np.float64)
        if (
            self.starts.shape != self.ends.shape
            or self.starts.ndim != 2
            or (self.starts.shape[1] != 3)
        ):
            raise PositrixError("LOR endpoints must be two (n, 3) arrays", field="lors")
        if np.any(np.all(np.isclose(self.starts, self.ends), axis=1)):
            raise PositrixError("an LOR has two identical endpoints", field="lors")
        self.voxel = np.asarray(voxel_size_mm, dtype=np.float64)
        self.in_shape = tuple(int(n) for n in shape)
        self.out_shape = (self.starts.shape[0],)
        # traced in an order of neighbouring lines (direction, then offset), so that
        # consecutive LORs touch the same voxels in cache; results go back to the given order
        self.order = _locality_order(self.starts, self.ends)
        self._starts = np.ascontiguousarray(self.starts[self.order])
        self._ends = np.ascontiguousarray(self.ends[self.order])

    def _apply(self, x: NDArray[np.float32]) -> NDArray[np.float32]:
        image = np.require(x, np.float32, ["C", "W"])  # numba needs writable arrays
        out = np.empty(self.out_shape, np.float32)
        out[self.order] = joseph_forward(image, self._starts, self._ends, self.voxel)
        return out

    def _adjoint(self, y: NDArray[np.float32]) -> NDArray[np.float32]:
        shape = np.array(self.in_shape, dtype=np.int64)
        values = np.ascontiguousarray(np.asarray(y)[self.order])
        return joseph_back(values, self._starts, self._ends, shape, self.voxel)


def _locality_order(starts: NDArray[np.float64], ends: NDArray[np.float64]) -> NDArray[np.intp]:
    """LORs sorted by transaxial direction (1/256 of π), then by their signed distance from
    the axis and their mid-point z."""
    d = ends - starts
    phi = np.mod(np.arctan2(d[:, 1], d[:, 0]), np.pi)
    direction = np.floor(phi / np.pi * 256.0)
    offset = starts[:, 0] * np.sin(phi) - starts[:, 1] * np.cos(phi)
    middle = 0.5 * (starts[:, 2] + ends[:, 2])
    return np.lexsort((np.round(middle, 0), np.round(offset, 0), direction))
