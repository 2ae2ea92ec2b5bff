"""Iterative reconstruction over linear operators: MLEM, OSEM and list-mode (OS)EM.

Model: expected counts ``ȳ = A x + s`` (``A`` the system operator including attenuation and
normalisation factors, ``s`` additive randoms + scatter).  The EM update is
``x ← x / (Aᵀ 1) · Aᵀ (y / ȳ)``; for list-mode data each event is one LOR with count 1 and
``Aᵀ 1`` (the sensitivity image) comes from all possible LORs.  Subsets split the data
(LORs or events) into interleaved groups.  A callback sees every (sub)iteration.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from positrix.errors import PositrixError
from positrix.recon.operators import LinearOperator

__all__ = ["mlem", "osem", "poisson_log_likelihood"]

Callback = Callable[[int, int, NDArray[np.float32]], None]


def poisson_log_likelihood(counts: ArrayLike, expected: ArrayLike) -> float:
    """``Σ y ln ȳ − ȳ`` (the constant ``−ln y!`` left out)."""
    y = np.asarray(counts, dtype=np.float64)
    mean = np.asarray(expected, dtype=np.float64)
    positive = mean > 0
    return float(np.sum(y[positive] * np.log(mean[positive])) - np.sum(mean))


def osem(
    operators: Sequence[LinearOperator],
    counts: Sequence[ArrayLike],
    *,
    sensitivity: ArrayLike | None = None,
    additive: Sequence[ArrayLike] | None = None,
    iterations: int = 2,
    start: ArrayLike | None = None,
    callback: Callback | None = None,
) -> NDArray[np.float32]:
    """Ordered-subsets EM: one operator and one data array per subset.

    Parameters
    ----------
    operators, counts
        Per subset: the system operator (image → data of that subset) and measured counts.
        For list-mode data, each subset's "data" are its events (counts all 1).
    sensitivity
        ``Aᵀ 1`` over *all* possible data of the full scan; by default the sum of the
        subsets' back-projections of ones (right for histogrammed data). For list-mode
        data, pass the sensitivity computed from every LOR of the scanner, divided by the
        number of subsets is done here.
    additive
        Per subset: expected randoms + scatter (same shape as its counts), or ``None``.
    iterations
        Full passes over all subsets.
    """
    n_subsets = len(operators)
    if n_subsets == 0 or len(counts) != n_subsets:
        raise PositrixError("give one data array per subset operator", field="subsets")
    data = [np.asarray(c, dtype=np.float32) for c in counts]
    for part in data:
        if not np.all(np.isfinite(part)) or np.any(part < 0):
            raise PositrixError("counts must be finite and ≥ 0", field="data")
    if sum(float(part.sum()) for part in data) <= 0:
        raise PositrixError(
            "the data hold no counts",
            field="data",
            fix="check the input file and the frame time window",
        )
    shape = operators[0].in_shape
    if sensitivity is None:
        total = sum(op.adjoint(np.ones(op.out_shape, np.float32)) for op in operators)
    else:
        total = np.asarray(sensitivity, dtype=np.float32)
        if total.shape != shape:
            raise PositrixError(
                f"sensitivity image {total.shape} ≠ image {shape}", field="sensitivity"
            )
    subset_sensitivity = total / n_subsets
    x = np.ones(shape, np.float32) if start is None else np.asarray(start, np.float32).copy()
    extra = (
        [None] * n_subsets if additive is None else [np.asarray(a, np.float32) for a in additive]
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        for iteration in range(iterations):
            for subset, (op, y, s) in enumerate(zip(operators, data, extra, strict=True)):
                expected = op.apply(x) + (s if s is not None else 0.0)
                ratio = np.where(expected > 0, y / expected, 0.0).astype(np.float32)
                update = op.adjoint(ratio)
                x = np.where(subset_sensitivity > 0, x * update / subset_sensitivity, 0.0)
                x = x.astype(np.float32)
                if callback is not None:
                    callback(iteration, subset, x)
    return x


def mlem(
    operator: LinearOperator,
    counts: ArrayLike,
    *,
    sensitivity: ArrayLike | None = None,
    additive: ArrayLike | None = None,
    iterations: int = 10,
    callback: Callback | None = None,
) -> NDArray[np.float32]:
    """MLEM: OSEM with one subset."""
    return osem(
        [operator],
        [counts],
        sensitivity=sensitivity,
        additive=None if additive is None else [additive],
        iterations=iterations,
        callback=callback,
    )
