"""Random coincidences: from singles rates (``2τ·Sᵢ·Sⱼ``) or from delayed coincidences.

The delayed-window sinogram has the right mean but is noisy (a few counts per bin); the
variance-reduced estimate fits one factor per crystal so that their pair products explain
the delayed counts (fan-sum maximum likelihood), as in Casey & Hoffman's method, and returns
the smooth product sinogram.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from positrix.errors import PositrixError
from positrix.geometry.sinogram import SinogramLayout
from positrix.recon.corrections.crystal_pairs import crystal_pair_sinogram, fit_crystal_factors

__all__ = ["randoms_from_delayeds", "randoms_from_singles"]


def randoms_from_singles(
    layout: SinogramLayout,
    singles_cps: ArrayLike,
    *,
    duration_s: float,
    coincidence_window_ns: float | None = None,
) -> NDArray[np.float32]:
    """Expected randoms (counts) per bin: ``2τ · Sᵢ · Sⱼ · T`` summed over the bin's pairs.

    Parameters
    ----------
    layout
        Sinogram layout.
    singles_cps
        Singles rate per crystal (counts/s), ``(n_rings, crystals_per_ring)``.
    duration_s
        Frame duration (s).
    coincidence_window_ns
        Full coincidence window 2τ (ns); default the scanner's.
    """
    if not duration_s > 0:
        raise PositrixError(f"duration {duration_s} s must be > 0", field="duration_s")
    window = (
        layout.scanner.coincidence_window_ns
        if coincidence_window_ns is None
        else float(coincidence_window_ns)
    )
    if not window > 0:
        raise PositrixError("the coincidence window must be > 0 ns", field="coincidence_window_ns")
    singles = np.asarray(singles_cps, dtype=np.float64)
    scale = np.sqrt(window * 1e-9 * duration_s)
    return crystal_pair_sinogram(layout, singles * scale)


def randoms_from_delayeds(
    layout: SinogramLayout, delayeds: ArrayLike, *, iterations: int = 30
) -> NDArray[np.float32]:
    """Variance-reduced randoms estimate (counts per bin) from the delayed-window sinogram."""
    factors = fit_crystal_factors(layout, delayeds, iterations=iterations)
    return crystal_pair_sinogram(layout, factors)
