"""Joseph's ray-driven projector for arbitrary lines of response (LORs), numba-parallel.

Image grid: ``(nx, ny, nz)`` voxels of ``voxel_size_mm`` centred on the scanner origin
(voxel ``i`` at ``(i − (n − 1)/2) · size``).  Along each LOR the dominant axis is stepped
plane by plane; the image is interpolated bilinearly in the other two axes (zero outside)
and weighted by the path length per plane.  The back-projection is the exact adjoint (the
same weights scattered), accumulated in per-thread images so that threads never collide.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import njit, prange
from numpy.typing import ArrayLike, NDArray

from positrix.errors import PositrixError
from positrix.recon.operators import LinearOperator

__all__ = ["LORProjector", "joseph_back", "joseph_forward"]


@njit(cache=True, inline="always")
def _ray(p1, p2, shape, voxel):
    """Main axis, its plane range, and per-plane geometry of one LOR."""
    d0, d1, d2 = p2[0] - p1[0], p2[1] - p1[1], p2[2] - p1[2]
    a0, a1, a2 = abs(d0), abs(d1), abs(d2)
    if a0 >= a1 and a0 >= a2:
        axis = 0
    elif a1 >= a2:
        axis = 1
    else:
        axis = 2
    return axis, np.sqrt(d0 * d0 + d1 * d1 + d2 * d2)


@njit(parallel=True, cache=True)
def joseph_forward(image, starts, ends, voxel):
    """Line integrals (image units × mm) of ``image`` along each LOR."""
    nx, ny, nz = image.shape
    shape = np.array([nx, ny, nz])
    flat = image.ravel()
    n = starts.shape[0]
    out = np.zeros(n, dtype=np.float32)
    for r in prange(n):
        out[r] = _trace(flat, starts[r], ends[r], shape, voxel, 0.0, False)
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
                _trace(partial[thread], starts[r], ends[r], shape, voxel, values[r], True)
    return partial.sum(axis=0).reshape((shape[0], shape[1], shape[2]))


@njit(cache=True, fastmath=True)
def _trace(image, p1, p2, shape, voxel, value, scatter):
    axis, length = _ray(p1, p2, shape, voxel)
    b = (axis + 1) % 3
    c = (axis + 2) % 3
    da, db, dc = p2[axis] - p1[axis], p2[b] - p1[b], p2[c] - p1[c]
    weight = voxel[axis] * length / abs(da)
    na, nb, nc = shape[axis], shape[b], shape[c]
    # continuous index of world coordinate x along an axis: x / size + (n − 1)/2
    ca, cb, cc = (na - 1) / 2.0, (nb - 1) / 2.0, (nc - 1) / 2.0
    ia0 = p1[axis] / voxel[axis] + ca
    ia1 = p2[axis] / voxel[axis] + ca
    lo = max(int(np.ceil(min(ia0, ia1))), 0)
    hi = min(int(np.floor(max(ia0, ia1))), na - 1)
    total = 0.0
    # flat (C-order) strides of the three axes, looked up for the main and other two axes
    stride_0, stride_1 = shape[1] * shape[2], shape[2]
    sa = stride_0 if axis == 0 else (stride_1 if axis == 1 else 1)
    sb = stride_0 if b == 0 else (stride_1 if b == 1 else 1)
    sc = stride_0 if c == 0 else (stride_1 if c == 1 else 1)
    for k in range(lo, hi + 1):
        t = ((k - ca) * voxel[axis] - p1[axis]) / da
        ub = (p1[b] + t * db) / voxel[b] + cb
        uc = (p1[c] + t * dc) / voxel[c] + cc
        jb = int(np.floor(ub))
        jc = int(np.floor(uc))
        fb = ub - jb
        fc = uc - jc
        base = k * sa
        if 0 <= jb and jb + 1 < nb and 0 <= jc and jc + 1 < nc:  # all four neighbours inside
            at = base + jb * sb + jc * sc
            w00 = (1.0 - fb) * (1.0 - fc) * weight
            w01 = (1.0 - fb) * fc * weight
            w10 = fb * (1.0 - fc) * weight
            w11 = fb * fc * weight
            if scatter:
                image[at] += value * w00
                image[at + sc] += value * w01
                image[at + sb] += value * w10
                image[at + sb + sc] += value * w11
            else:
                total += (
                    image[at] * w00
                    + image[at + sc] * w01
                    + image[at + sb] * w10
                    + image[at + sb + sc] * w11
                )
            continue
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
                    image[at] += value * w
                else:
                    total += image[at] * w
    return total


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

    def _apply(self, x: NDArray[np.float32]) -> NDArray[np.float32]:
        image = np.require(x, np.float32, ["C", "W"])  # numba needs writable arrays
        return joseph_forward(image, self.starts, self.ends, self.voxel)

    def _adjoint(self, y: NDArray[np.float32]) -> NDArray[np.float32]:
        shape = np.array(self.in_shape, dtype=np.int64)
        return joseph_back(np.ascontiguousarray(y), self.starts, self.ends, shape, self.voxel)
