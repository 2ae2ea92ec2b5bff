"""Partial-volume correction of regional means by the geometric transfer matrix (GTM).

Rousset, Ma & Evans, J Nucl Med 39:904 (1998).  With a Gaussian point-spread function of
``fwhm_mm`` the regional spread function of region ``j`` is ``RSF_j = PSF ∗ w_j``; the
transfer matrix ``G[i, j] = Σ_v w_i(v) RSF_j(v) / Σ_v w_i(v)`` maps true region values to
observed regional means, ``t_obs = G · t_true``, so ``t_true = G⁻¹ t_obs``.  The regions
should cover everything that holds activity (add a background region).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage

from positrix.errors import PositrixError
from positrix.image.image import Image
from positrix.quant.stats import region_stats
from positrix.quant.voi import VOI

__all__ = ["gaussian_blur", "gtm_correct", "transfer_matrix"]


def gaussian_blur(
    volume: NDArray[np.floating], voxel_size_mm: ArrayLike, fwhm_mm: ArrayLike
) -> NDArray[np.float64]:
    """Blur with a Gaussian of ``fwhm_mm`` (scalar or per axis); outside the grid is 0."""
    sigma = np.asarray(fwhm_mm, dtype=float) / (2.0 * np.sqrt(2.0 * np.log(2.0)))
    sigma_vox = np.broadcast_to(sigma, (3,)) / np.asarray(voxel_size_mm, dtype=float)
    return ndimage.gaussian_filter(
        np.asarray(volume, dtype=np.float64), sigma_vox, mode="constant", truncate=4.0
    )


def transfer_matrix(vois: Sequence[VOI], fwhm_mm: ArrayLike) -> NDArray[np.float64]:
    """The GTM ``G[i, j]`` (fraction of region j's signal seen in region i's mean)."""
    if not vois:
        raise PositrixError("the GTM needs at least one region", field="voi")
    grid = vois[0].grid
    size = int(np.prod(grid.shape))
    matrix = np.zeros((len(vois), len(vois)))
    masks = [v.mask() for v in vois]
    for j, mask in enumerate(masks):
        spread = gaussian_blur(mask, grid.voxel_size_mm, fwhm_mm).reshape(size)
        for i, voi in enumerate(vois):
            matrix[i, j] = float(np.dot(voi.weight, spread[voi.index]) / voi.weight.sum())
    return matrix


def gtm_correct(
    image: Image, vois: Sequence[VOI], *, fwhm_mm: ArrayLike, frame: int = 0
) -> dict[str, float]:
    """Partial-volume-corrected mean per region (in the image's unit).

    Raises
    ------
    PositrixError
        When the matrix is singular (regions too small or overlapping for the PSF).
    """
    matrix = transfer_matrix(vois, fwhm_mm)
    if np.linalg.cond(matrix) > 1e8:
        raise PositrixError(
            "the transfer matrix is singular: regions are too small or overlap",
            field="voi",
            fix="merge tiny regions or use regions that do not overlap",
        )
    observed = np.array(
        [r.mean for r in region_stats(image, vois, peak_ml=0) if r.frame == frame % image.n_frames]
    )
    corrected = np.linalg.solve(matrix, observed)
    return {v.name: float(c) for v, c in zip(vois, corrected, strict=True)}
