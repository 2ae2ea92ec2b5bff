"""Reference-region curves on the fine grid and their integrals (for SRTM and friends).

The reference TAC, known only as frame values, is taken as the piecewise-linear curve
through (0, 0) and the (mid-time, value) points.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from positrix.errors import PositrixError
from positrix.kinetics.sampling import Sampling

__all__ = ["check_reference", "reference_on_grid"]


def reference_on_grid(sampling: Sampling, reference: NDArray[np.float64]) -> NDArray[np.float64]:
    """The reference curve on :attr:`Sampling.grid` (last axis time)."""
    t = np.concatenate([[0.0], sampling.mid_min])
    y = np.concatenate([np.zeros((*reference.shape[:-1], 1)), reference], axis=-1)
    grid = sampling.grid
    if y.ndim == 1:
        return np.interp(grid, t, y)
    return np.stack([np.interp(grid, t, row) for row in y.reshape(-1, y.shape[-1])]).reshape(
        (*y.shape[:-1], grid.size)
    )


def check_reference(reference: NDArray[np.float64], name: str = "reference") -> None:
    """Refuse a reference TAC that is non-finite or never positive."""
    if not np.all(np.isfinite(reference)):
        raise PositrixError(f"the {name} TAC holds NaN or infinite values", field="--ref")
    if not np.any(reference > 0):
        raise PositrixError(
            f"the {name} TAC is never positive",
            field="--ref",
            fix="choose a reference region with signal",
        )
