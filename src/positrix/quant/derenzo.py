"""Derenzo hot-rod phantom: peak-to-valley ratio per rod size.

Peaks are the image values at the rod centres, valleys the values half-way between
neighbouring rods (centre distance = the lattice pitch), both interpolated (linear) in the
slices averaged over the rods' central part.  ``P/V = mean(peaks) / mean(valleys)``; a rod
size counts as resolved when P/V clearly exceeds 1 (1.5 is a common threshold).  The rod
centres come from the phantom definition (a simulation, or a registered phantom).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage

from positrix.errors import PositrixError

__all__ = ["peak_to_valley", "valley_points"]


def valley_points(centres_mm: ArrayLike, pitch_mm: float) -> NDArray[np.float64]:
    """Mid-points ``(m, 2)`` of every pair of rods one pitch apart (mm)."""
    c = np.asarray(centres_mm, dtype=np.float64).reshape(-1, 2)
    distance = np.hypot(*(c[:, None, :] - c[None, :, :]).transpose(2, 0, 1))
    a, b = np.nonzero(np.triu(np.abs(distance - pitch_mm) < 0.05 * pitch_mm, k=1))
    return (c[a] + c[b]) / 2.0


def peak_to_valley(
    image: ArrayLike,
    affine: ArrayLike,
    centres_mm: ArrayLike,
    diameter_mm: float,
    *,
    z_range_mm: tuple[float, float],
    pitch_mm: float | None = None,
) -> float:
    """Peak-to-valley ratio of one rod size.

    Parameters
    ----------
    image
        3-D image ``(i, j, k)``.
    affine
        4 × 4 voxel → world (mm) affine, axis-aligned.
    centres_mm
        Rod centres ``(n, 2)`` in world x, y (mm).
    diameter_mm
        Rod diameter (mm); the pitch defaults to twice it.
    z_range_mm
        Axial range (world z, mm) of the slices to average.
    pitch_mm
        Centre-to-centre distance of neighbouring rods.
    """
    data = np.asarray(image, dtype=np.float64)
    matrix = np.asarray(affine, dtype=np.float64)
    if data.ndim != 3:
        raise PositrixError("the Derenzo image must be 3-D", field="image")
    step, origin = np.diag(matrix)[:3], matrix[:3, 3]
    z = origin[2] + step[2] * np.arange(data.shape[2])
    planes = (z >= min(z_range_mm)) & (z <= max(z_range_mm))
    if not planes.any():
        raise PositrixError(
            f"no image slice lies in z {z_range_mm} mm", field="z_range_mm", fix="check the range"
        )
    average = data[:, :, planes].mean(axis=2)
    centres = np.asarray(centres_mm, dtype=np.float64).reshape(-1, 2)
    valleys = valley_points(centres, pitch_mm or 2.0 * diameter_mm)
    if len(valleys) == 0:
        raise PositrixError("no neighbouring rods one pitch apart", field="centres_mm")

    def sample(points: NDArray[np.float64]) -> NDArray[np.float64]:
        index = (points - origin[:2]) / step[:2]
        return ndimage.map_coordinates(average, index.T, order=1, mode="nearest")

    valley = float(sample(valleys).mean())
    if not valley > 0:
        return float("inf")
    return float(sample(centres).mean()) / valley
