"""Time of flight: the position along a line of response that a time difference measures.

Two photons from a point ``x`` mm from the LOR's midpoint (towards detector 2) arrive with
``Δt = t₁ − t₂ = 2x/c``; a coincidence time resolution of ``CTR`` ps (FWHM) blurs the
measured position with a Gaussian of FWHM ``c·CTR/2`` (c = 0.299792458 mm/ps: 300 ps
give 45 mm).  TOF bin ``k`` of width ``w`` ps covers positions
``[(k − K/2)·c·w/2, (k + 1 − K/2)·c·w/2]`` (``K`` bins centred on the midpoint), and a point
contributes to it with the Gaussian's integral over the bin (an erf difference); summed
over bins that cover the Gaussian, the weights add up to 1 — the non-TOF projector.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from positrix.errors import PositrixError

__all__ = ["SPEED_OF_LIGHT_MM_PER_PS", "position_fwhm_mm", "tof_bin_edges_mm", "tof_weights"]

SPEED_OF_LIGHT_MM_PER_PS = 0.299792458


def position_fwhm_mm(ctr_ps: float) -> float:
    """FWHM (mm) along the LOR of a coincidence time resolution ``ctr_ps``.

    Examples
    --------
    >>> round(position_fwhm_mm(300.0), 3)  # 300 ps → 45 mm
    44.969
    """
    if not ctr_ps > 0:
        raise PositrixError(
            "the coincidence time resolution must be > 0 ps", field="tof_resolution_ps"
        )
    return SPEED_OF_LIGHT_MM_PER_PS * ctr_ps / 2.0


def tof_bin_edges_mm(n_bins: int, bin_ps: float) -> NDArray[np.float64]:
    """Edges (mm from the LOR midpoint) of ``n_bins`` TOF bins of ``bin_ps``, ``(n_bins + 1,)``."""
    if n_bins < 1 or not bin_ps > 0:
        raise PositrixError("TOF needs ≥ 1 bin of > 0 ps", field="tof_bins/tof_bin_ps")
    width = SPEED_OF_LIGHT_MM_PER_PS * bin_ps / 2.0
    return (np.arange(n_bins + 1, dtype=np.float64) - n_bins / 2.0) * width


def tof_weights(
    position_mm: ArrayLike, *, n_bins: int, bin_ps: float, ctr_ps: float
) -> NDArray[np.float64]:
    """Share of each TOF bin for points at ``position_mm`` along the LOR, ``(..., n_bins)``."""
    x = np.asarray(position_mm, dtype=np.float64)[..., None]
    sigma = position_fwhm_mm(ctr_ps) / (2.0 * np.sqrt(2.0 * np.log(2.0)))
    edges = tof_bin_edges_mm(n_bins, bin_ps)
    cdf = 0.5 * (1.0 + special.erf((edges - x) / (np.sqrt(2.0) * sigma)))
    return np.asarray(np.diff(cdf, axis=-1), dtype=np.float64)
