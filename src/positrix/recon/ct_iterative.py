"""Iterative CT reconstruction for few or noisy views: OS-SART and CGLS.

Both solve ``A x ≈ p`` (``A`` the cone-beam projector, ``p`` line integrals):

* **SART** (Andersen & Kak, Ultrason Imaging 6 (1984) 81), ordered subsets of views:
  ``x ← x + λ · V⁻¹ Aₛᵀ W⁻¹ (pₛ − Aₛ x)`` with ``W = Aₛ 1`` (ray lengths) and
  ``V = Aₛᵀ 1`` (the views' voxel weights); ``x ≥ 0`` after each update (attenuation is
  never negative).  Robust and fast to converge on few views.
* **CGLS** (Hestenes & Stiefel 1952; Björck 1996): conjugate gradients on the normal
  equations ``AᵀA x = Aᵀp``; the iteration count regularises (stop early on noisy data).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np
from numpy.typing import ArrayLike, NDArray

from positrix.errors import PositrixError
from positrix.geometry.cone_beam import ConeBeamGeometry
from positrix.recon.cone_beam import ConeBeamProjector

__all__ = ["cgls", "sart"]

Progress = Callable[[int, int], None]


def _checked(
    projections: ArrayLike, geometry: ConeBeamGeometry, iterations: int
) -> NDArray[np.float32]:
    data = np.asarray(projections, dtype=np.float32)
    geometry.check_projections(data.shape)
    if iterations < 1:
        raise PositrixError(f"{iterations} iterations", field="--iterations", fix="≥ 1")
    return data


def _subsets(n_views: int, n_subsets: int) -> list[NDArray[np.int64]]:
    n = max(1, min(n_subsets, n_views))
    return [np.arange(s, n_views, n) for s in range(n)]


def sart(
    projections: ArrayLike,
    geometry: ConeBeamGeometry,
    *,
    shape: tuple[int, int, int] | None = None,
    voxel_size_mm: float | None = None,
    iterations: int = 10,
    subsets: int = 10,
    relaxation: float = 1.0,
    start: ArrayLike | None = None,
    progress: Progress | None = None,
) -> NDArray[np.float32]:
    """OS-SART of line integrals ``(n_angles, rows, cols)`` → µ ``(nx, ny, nz)`` in 1/mm.

    Parameters
    ----------
    projections
        Line integrals (µ · mm).
    geometry
        The scan.
    shape, voxel_size_mm
        Output grid; default ``geometry.grid()``.
    iterations, subsets
        Full passes, and groups of interleaved views per pass.
    relaxation
        λ in (0, 2).
    start
        First estimate (e.g. an FDK image); default zeros.
    progress
        Called with (done, total) after each subset.
    """
    data = _checked(projections, geometry, iterations)
    if not 0.0 < relaxation < 2.0:
        raise PositrixError(f"relaxation {relaxation}", field="--relaxation", fix="0 < λ < 2")
    parts = _subsets(data.shape[0], subsets)
    ops = [
        ConeBeamProjector(
            replace(geometry, angles_deg=tuple(np.asarray(geometry.angles_deg)[idx])),
            shape=shape,
            voxel_size_mm=voxel_size_mm,
        )
        for idx in parts
    ]
    grid = ops[0].in_shape
    x = np.zeros(grid, np.float32) if start is None else np.array(start, np.float32)
    if x.shape != grid:
        raise PositrixError(f"start image {x.shape}, grid {grid}", field="start")
    lengths = [op.apply(np.ones(grid, np.float32)) for op in ops]
    weights = [op.adjoint(np.ones(op.out_shape, np.float32)) for op in ops]
    total = iterations * len(ops)
    with np.errstate(divide="ignore", invalid="ignore"):
        for it in range(iterations):
            for s, (op, idx) in enumerate(zip(ops, parts, strict=True)):
                residual = np.where(lengths[s] > 0, (data[idx] - op.apply(x)) / lengths[s], 0.0)
                update = op.adjoint(residual.astype(np.float32))
                step = np.where(weights[s] > 0, update / weights[s], 0.0)
                x = np.maximum(x + np.float32(relaxation) * step, 0.0).astype(np.float32)
                if progress is not None:
                    progress(it * len(ops) + s + 1, total)
    return x


def cgls(
    projections: ArrayLike,
    geometry: ConeBeamGeometry,
    *,
    shape: tuple[int, int, int] | None = None,
    voxel_size_mm: float | None = None,
    iterations: int = 20,
    progress: Progress | None = None,
) -> NDArray[np.float32]:
    """CGLS of line integrals ``(n_angles, rows, cols)`` → µ ``(nx, ny, nz)`` in 1/mm
    (parameters as :func:`sart`); starts from zero."""
    data = _checked(projections, geometry, iterations)
    op = ConeBeamProjector(geometry, shape=shape, voxel_size_mm=voxel_size_mm)
    x = np.zeros(op.in_shape, np.float64)
    r = data.astype(np.float64)
    s = op.adjoint(r.astype(np.float32)).astype(np.float64)
    p = s.copy()
    gamma = float(np.vdot(s, s))
    for it in range(iterations):
        if gamma == 0.0:
            break
        q = op.apply(p.astype(np.float32)).astype(np.float64)
        alpha = gamma / float(np.vdot(q, q))
        x += alpha * p
        r -= alpha * q
        s = op.adjoint(r.astype(np.float32)).astype(np.float64)
        new = float(np.vdot(s, s))
        p = s + (new / gamma) * p
        gamma = new
        if progress is not None:
            progress(it + 1, iterations)
    return x.astype(np.float32)
