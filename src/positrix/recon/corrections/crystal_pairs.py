"""Sinograms that are sums of per-crystal products, and their fan sums.

Normalisation (crystal efficiencies), randoms from singles (``2τ Sᵢ Sⱼ``) and dead time all
have the form ``Σ_{ring pairs of the bin} f[ring_a, a] · f[ring_b, b]``.  The fan sum of a
crystal is the adjoint: the sum over every bin that contains the crystal of the bin value
times the factor of the other crystal.  :func:`fit_crystal_factors` finds factors whose pair
products best explain a measured sinogram (Poisson maximum likelihood by multiplicative
fan-sum updates) — the variance-reduced randoms estimate from delayed coincidences and the
efficiency estimate of a normalisation scan.
"""

from __future__ import annotations

from functools import lru_cache

import numba
import numpy as np
from numba import njit, prange
from numpy.typing import ArrayLike, NDArray

from positrix.errors import PositrixError
from positrix.geometry.sinogram import SinogramLayout

__all__ = ["crystal_pair_sinogram", "fan_sums", "fit_crystal_factors"]


@lru_cache(maxsize=8)
def _ring_pairs(layout: SinogramLayout) -> tuple[NDArray[np.int64], ...]:
    """Ring pairs sorted by plane and the first pair of each plane."""
    table = layout.plane_of_rings
    ring_a, ring_b = np.nonzero(table >= 0)
    planes = table[ring_a, ring_b]
    order = np.argsort(planes, kind="stable")
    start = np.searchsorted(planes[order], np.arange(layout.n_planes + 1))
    crystals = layout.bin_crystals
    return (
        np.ascontiguousarray(ring_a[order]),
        np.ascontiguousarray(ring_b[order]),
        start.astype(np.int64),
        np.ascontiguousarray(crystals[..., 0]),
        np.ascontiguousarray(crystals[..., 1]),
    )


@njit(parallel=True, cache=True)
def _products(factors, ring_a, ring_b, start, crystal_a, crystal_b):
    n_planes = start.shape[0] - 1
    n_views, n_radial = crystal_a.shape
    out = np.zeros((n_planes, n_views, n_radial), dtype=np.float32)
    for p in prange(n_planes):
        for k in range(start[p], start[p + 1]):
            fa, fb = factors[ring_a[k]], factors[ring_b[k]]
            for v in range(n_views):
                for r in range(n_radial):
                    out[p, v, r] += fa[crystal_a[v, r]] * fb[crystal_b[v, r]]
    return out


@njit(parallel=True)
def _fans(values, factors, ring_a, ring_b, start, crystal_a, crystal_b):
    n_threads = numba.get_num_threads()
    n_planes = start.shape[0] - 1
    n_views, n_radial = crystal_a.shape
    partial = np.zeros((n_threads, factors.shape[0], factors.shape[1]))
    chunk = (n_planes + n_threads - 1) // n_threads
    for thread in prange(n_threads):
        out = partial[thread]
        for p in range(thread * chunk, min(n_planes, (thread + 1) * chunk)):
            for k in range(start[p], start[p + 1]):
                fa, fb = factors[ring_a[k]], factors[ring_b[k]]
                oa, ob = out[ring_a[k]], out[ring_b[k]]
                for v in range(n_views):
                    for r in range(n_radial):
                        value = values[p, v, r]
                        oa[crystal_a[v, r]] += value * fb[crystal_b[v, r]]
                        ob[crystal_b[v, r]] += value * fa[crystal_a[v, r]]
    return partial.sum(axis=0)


def _factors(layout: SinogramLayout, factors: ArrayLike, what: str) -> NDArray[np.float64]:
    array = np.asarray(factors, dtype=np.float64)
    shape = (layout.scanner.n_rings, layout.scanner.crystals_per_ring)
    if array.shape != shape:
        raise PositrixError(
            f"{what} has shape {array.shape}; one value per crystal, (rings, crystals per "
            f"ring) = {shape}, is needed",
            field=what,
        )
    if not np.all(np.isfinite(array)) or np.any(array < 0):
        raise PositrixError(f"{what} must be finite and ≥ 0", field=what)
    return array


def crystal_pair_sinogram(layout: SinogramLayout, factors: ArrayLike) -> NDArray[np.float32]:
    """``Σ_{ring pairs of each bin} f[ring_a, a] · f[ring_b, b]``.

    Parameters
    ----------
    layout
        Sinogram layout.
    factors
        One factor per crystal, shape ``(n_rings, crystals_per_ring)``.

    Returns
    -------
    ndarray
        Sinogram of ``layout.shape``.  With all factors 1 it counts the ring pairs per bin.
    """
    f = _factors(layout, factors, "factors")
    return _products(f, *_ring_pairs(layout))


def fan_sums(
    layout: SinogramLayout, sinogram: ArrayLike, factors: ArrayLike
) -> NDArray[np.float64]:
    """Adjoint of :func:`crystal_pair_sinogram` at ``factors``: for each crystal, the sum over
    its bins of ``sinogram × factor of the other crystal``; shape ``(n_rings, crystals)``."""
    values = layout.check(sinogram)
    f = _factors(layout, factors, "factors")
    return _fans(values, f, *_ring_pairs(layout))


def fit_crystal_factors(
    layout: SinogramLayout,
    measured: ArrayLike,
    *,
    model: ArrayLike | None = None,
    iterations: int = 30,
) -> NDArray[np.float64]:
    """Per-crystal factors ``f`` with ``measured ≈ model × crystal_pair_sinogram(f)``.

    Poisson maximum likelihood by the multiplicative update
    ``f ← f · fans(measured/expected · model) / fans(model)`` (the fan-sum algorithm).

    Parameters
    ----------
    layout
        Sinogram layout.
    measured
        Measured sinogram (e.g. delayed coincidences, or a normalisation scan).
    model
        Expected counts of each bin per unit pair product (default 1: randoms).
    iterations
        Updates.

    Returns
    -------
    ndarray
        Factors ``(n_rings, crystals_per_ring)``; crystals in no bin get 0.
    """
    data = layout.check(measured, what="measured")
    if not np.all(np.isfinite(data)) or np.any(data < 0):
        raise PositrixError("measured counts must be finite and ≥ 0", field="measured")
    if float(data.sum()) <= 0:
        raise PositrixError("the measured sinogram holds no counts", field="measured")
    weight = np.ones(layout.shape, np.float32) if model is None else layout.check(model)
    shape = (layout.scanner.n_rings, layout.scanner.crystals_per_ring)
    unit = crystal_pair_sinogram(layout, np.ones(shape))
    total = float(data.sum()) / float(np.sum(weight * unit, dtype=np.float64))
    f = np.full(shape, np.sqrt(total))
    for _ in range(iterations):
        expected = weight * crystal_pair_sinogram(layout, f)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(expected > 0, data / expected, 0.0).astype(np.float32)
            numerator = fan_sums(layout, ratio * weight, f)
            denominator = fan_sums(layout, weight, f)
            f = np.where(denominator > 0, f * numerator / denominator, 0.0)
    return f
