"""Joseph projector for 3D sinograms, sharing the transaxial path of a bin across planes.

All planes of one transaxial bin (view, radial) follow the same path in x-y; only their
axial start and slope differ.  The kernel traces the in-plane path once per bin (main axis
x or y, bilinear neighbour and weight per step) and then, for every step, walks through the
planes: the image is stored with z contiguous, so the planes of one step read one short run
of memory.  The arithmetic is the same as :func:`positrix.recon.projectors.joseph_forward`
(main axis, per-plane weights, bilinear interpolation, zero outside the image), so a
sinogram bin and the list-mode LOR of its crystal pair give the same line integral.  The rare
LORs steeper in z than in x-y fall back to the per-LOR trace.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import njit, prange
from numpy.typing import ArrayLike, NDArray

from positrix.errors import PositrixError
from positrix.geometry.sinogram import SinogramLayout
from positrix.recon.operators import LinearOperator
from positrix.recon.projectors import _trace

__all__ = ["SinogramProjector"]


@njit(cache=True, fastmath=True)
def _path(xy, shape, voxel, ks, js, fs, ts):
    """In-plane Joseph path of one bin; returns (steps, main axis, |d main|, in-plane d²)."""
    dx, dy = xy[2] - xy[0], xy[3] - xy[1]
    axis = 0 if abs(dx) >= abs(dy) else 1
    other = 1 - axis
    pa, pb = xy[axis], xy[other]
    da, db = (dx, dy) if axis == 0 else (dy, dx)
    na, nb = shape[axis], shape[other]
    ca, cb = (na - 1) / 2.0, (nb - 1) / 2.0
    ia0 = pa / voxel[axis] + ca
    ia1 = (pa + da) / voxel[axis] + ca
    lo = max(int(np.ceil(min(ia0, ia1))), 0)
    hi = min(int(np.floor(max(ia0, ia1))), na - 1)
    n = 0
    for k in range(lo, hi + 1):
        t = ((k - ca) * voxel[axis] - pa) / da
        ub = (pb + t * db) / voxel[other] + cb
        jb = int(np.floor(ub))
        if jb < -1 or jb > nb - 1:
            continue
        ks[n], js[n], fs[n], ts[n] = k, jb, ub - jb, t
        n += 1
    return n, axis, abs(da), dx * dx + dy * dy


@njit(cache=True, fastmath=True)
def _bin(padded, flat, shape, voxel, xy, z, acc, scatter, values):
    """Forward-project (``scatter`` False, into ``acc``) or back-project ``values`` for all
    planes of one transaxial bin.  ``padded`` has one zero voxel around the image."""
    size = max(shape[0], shape[1]) + 1
    ks = np.empty(size, np.int64)
    js = np.empty(size, np.int64)
    fs = np.empty(size, np.float64)
    ts = np.empty(size, np.float64)
    n, axis, da, inplane = _path(xy, shape, voxel, ks, js, fs, ts)
    n_planes = z.shape[0]
    nz = shape[2]
    pz = nz + 2
    s_other = pz
    s_main = (shape[1] + 2) * pz
    if axis == 1:
        s_main, s_other = s_other, s_main
    cz = (nz - 1) / 2.0
    weight = np.empty(n_planes, np.float64)
    start = np.empty(n_planes, np.float64)
    slope = np.empty(n_planes, np.float64)
    p1 = np.empty(3)
    p2 = np.empty(3)
    for p in range(n_planes):
        dz = z[p, 1] - z[p, 0]
        start[p] = z[p, 0] / voxel[2] + cz + 1.0
        slope[p] = dz / voxel[2]
        if abs(dz) > da:  # z is the main axis: per-LOR trace
            weight[p] = 0.0
            p1[0], p1[1], p1[2] = xy[0], xy[1], z[p, 0]
            p2[0], p2[1], p2[2] = xy[2], xy[3], z[p, 1]
            if scatter:
                if values[p] != 0.0:
                    _trace(flat, p1, p2, shape, voxel, values[p], True)
            else:
                acc[p] = _trace(flat, p1, p2, shape, voxel, 0.0, False)
        else:
            weight[p] = voxel[axis] * np.sqrt(inplane + dz * dz) / da
            if not scatter:
                acc[p] = 0.0
    top = float(nz + 1)
    base = np.empty(n, np.int64)
    for s in range(n):
        base[s] = (ks[s] + 1) * s_main + (js[s] + 1) * s_other
    if scatter:
        for p in range(n_planes):
            value = values[p] * weight[p]
            if value == 0.0:
                continue
            z0, dzp = start[p], slope[p]
            for s in range(n):
                u = z0 + ts[s] * dzp
                ok = 1.0 if (u >= 0.0 and u < top) else 0.0
                j = min(max(int(u), 0), nz)
                f = u - j
                at = base[s] + j
                v1 = value * ok * fs[s]
                v0 = value * ok - v1
                padded[at] += v0 * (1.0 - f)
                padded[at + 1] += v0 * f
                padded[at + s_other] += v1 * (1.0 - f)
                padded[at + s_other + 1] += v1 * f
        return
    for p in range(n_planes):
        if weight[p] == 0.0:
            continue
        total = 0.0
        z0, dzp = start[p], slope[p]
        for s in range(n):
            u = z0 + ts[s] * dzp
            ok = 1.0 if (u >= 0.0 and u < top) else 0.0
            j = min(max(int(u), 0), nz)
            f = u - j
            at = base[s] + j
            a = padded[at] * (1.0 - f) + padded[at + 1] * f
            b = padded[at + s_other] * (1.0 - f) + padded[at + s_other + 1] * f
            total += ok * ((1.0 - fs[s]) * a + fs[s] * b)
        acc[p] = total * weight[p]


@njit(parallel=True, cache=True)
def _forward(padded, flat, shape, voxel, bin_xy, views, z):
    n_views, n_radial = views.shape[0], bin_xy.shape[1]
    out = np.zeros((z.shape[0], n_views, n_radial), dtype=np.float32)
    dummy = np.zeros(1)
    for item in prange(n_views * n_radial):
        v, r = item // n_radial, item % n_radial
        acc = np.zeros(z.shape[0])
        _bin(padded, flat, shape, voxel, bin_xy[views[v], r], z, acc, False, dummy)
        out[:, v, r] = acc
    return out


@njit(parallel=True)
def _back(values, shape, voxel, bin_xy, views, z):
    n_threads = numba.get_num_threads()
    padded_size = (shape[0] + 2) * (shape[1] + 2) * (shape[2] + 2)
    padded = np.zeros((n_threads, padded_size), dtype=np.float32)
    flat = np.zeros((n_threads, shape[0] * shape[1] * shape[2]), dtype=np.float32)
    n_views, n_radial = views.shape[0], bin_xy.shape[1]
    n_items = n_views * n_radial
    chunk = (n_items + n_threads - 1) // n_threads
    acc = np.zeros(1)
    for thread in prange(n_threads):
        column = np.empty(z.shape[0])
        for item in range(thread * chunk, min(n_items, (thread + 1) * chunk)):
            v, r = item // n_radial, item % n_radial
            column[:] = values[:, v, r]
            _bin(
                padded[thread],
                flat[thread],
                shape,
                voxel,
                bin_xy[views[v], r],
                z,
                acc,
                True,
                column,
            )
    return padded.sum(axis=0), flat.sum(axis=0)


class SinogramProjector(LinearOperator):
    """Forward projection of an image onto (a subset of the views of) a 3D sinogram.

    Each bin is the line integral (image units × mm) along the LOR of its crystal pair at
    the plane's mean ring positions; multiply by the ring pairs per plane (or the
    normalisation, which includes them) to model counts.

    Parameters
    ----------
    layout
        Sinogram layout.
    shape
        Image voxels ``(nx, ny, nz)``, centred on the scanner axis.
    voxel_size_mm
        Voxel edge lengths (mm).
    views
        Views kept (an OSEM subset); default all.
    """

    def __init__(
        self,
        layout: SinogramLayout,
        shape: tuple[int, int, int],
        voxel_size_mm: ArrayLike,
        *,
        views: ArrayLike | None = None,
    ) -> None:
        self.layout = layout
        self.in_shape = tuple(int(n) for n in shape)
        if len(self.in_shape) != 3 or min(self.in_shape) < 2:
            raise PositrixError(f"image shape {shape} must be 3 sizes ≥ 2", field="shape")
        self.voxel = np.asarray(voxel_size_mm, dtype=np.float64).reshape(3)
        chosen = np.arange(layout.n_views) if views is None else np.asarray(views, np.int64)
        if chosen.size == 0 or chosen.min() < 0 or chosen.max() >= layout.n_views:
            raise PositrixError(f"views must lie in 0 … {layout.n_views - 1}", field="views")
        self.views = np.ascontiguousarray(chosen)
        self.out_shape = (layout.n_planes, self.views.size, layout.n_radial)
        self._xy = np.ascontiguousarray(layout.bin_xy_mm)
        self._z = np.ascontiguousarray(layout.plane_z_mm)
        self._shape = np.array(self.in_shape, dtype=np.int64)

    def _apply(self, x: NDArray[np.float32]) -> NDArray[np.float32]:
        padded = np.pad(x, 1).ravel()
        flat = np.require(x, np.float32, ["C", "W"]).ravel()  # numba needs writable arrays
        return _forward(padded, flat, self._shape, self.voxel, self._xy, self.views, self._z)

    def _adjoint(self, y: NDArray[np.float32]) -> NDArray[np.float32]:
        padded, flat = _back(
            np.ascontiguousarray(y), self._shape, self.voxel, self._xy, self.views, self._z
        )
        nx, ny, nz = self.in_shape
        out = padded.reshape(nx + 2, ny + 2, nz + 2)[1:-1, 1:-1, 1:-1] + flat.reshape(nx, ny, nz)
        return np.ascontiguousarray(out, dtype=np.float32)
