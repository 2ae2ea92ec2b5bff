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
    sensitivity: ArrayLike | Sequence[ArrayLike] | None = None,
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
        ``A_sᵀ 1`` of each subset over *all* its possible data (a sequence, one image per
        subset), or one image ``Aᵀ 1`` for the whole scan, then shared equally by the
        subsets (exact only for equal subsets).  By default each subset's back-projection of
        ones (right for histogrammed data); list-mode data need the sensitivity from every
        LOR of the scanner.
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
    if iterations < 1:
        raise PositrixError("iterations must be ≥ 1", field="--iterations")
    shape = operators[0].in_shape
    if sensitivity is None:
        per_subset = [op.adjoint(np.ones(op.out_shape, np.float32)) for op in operators]
    else:
        given = np.asarray(sensitivity, dtype=np.float32)
        if given.shape == shape:
            per_subset = [(given / n_subsets).astype(np.float32)] * n_subsets
        elif given.shape == (n_subsets, *shape):
            per_subset = list(given)
        else:
            raise PositrixError(
                f"sensitivity {given.shape} is neither the image {shape} nor one per subset",
                field="sensitivity",
            )
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
                sens = per_subset[subset]
                x = np.where(sens > 0, x * update / sens, 0.0)
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
