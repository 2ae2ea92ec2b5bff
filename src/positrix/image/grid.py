"""A voxel grid: array shape plus the 4×4 affine from voxel index to world mm (LPS)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from positrix.errors import PositrixError

__all__ = ["Grid", "affine_from_spacing"]


def affine_from_spacing(
    voxel_size_mm: ArrayLike, *, origin_mm: ArrayLike = (0.0, 0.0, 0.0)
) -> NDArray[np.float64]:
    """Axis-aligned affine with the given voxel size (mm) and world position of voxel 0."""
    affine = np.diag([*np.asarray(voxel_size_mm, dtype=np.float64), 1.0])
    affine[:3, 3] = np.asarray(origin_mm, dtype=np.float64)
    return affine


def checked_affine(affine: ArrayLike) -> NDArray[np.float64]:
    """Validate a 4×4 voxel-to-world affine and return a read-only float64 copy."""
    matrix = np.array(affine, dtype=np.float64)
    if matrix.shape != (4, 4) or not np.all(np.isfinite(matrix)):
        raise PositrixError(
            f"the affine must be a finite 4×4 matrix, got shape {matrix.shape}", field="affine"
        )
    if not np.allclose(matrix[3], [0, 0, 0, 1]) or abs(np.linalg.det(matrix[:3, :3])) < 1e-12:
        raise PositrixError(
            "the affine is not an invertible voxel-to-world transform", field="affine"
        )
    matrix.flags.writeable = False
    return matrix


@dataclass(frozen=True)
class Grid:
    """Spatial sampling of an image.

    Attributes
    ----------
    shape
        Voxels along ``(i, j, k)``.
    affine
        4×4 matrix mapping ``(i, j, k, 1)`` to world ``(x, y, z, 1)`` in mm (DICOM LPS).
    """

    shape: tuple[int, int, int]
    affine: NDArray[np.float64]

    def __post_init__(self) -> None:
        if len(self.shape) != 3 or any(int(n) < 1 for n in self.shape):
            raise PositrixError(f"a grid needs 3 positive sizes, got {self.shape}", field="shape")
        object.__setattr__(self, "shape", tuple(int(n) for n in self.shape))
        object.__setattr__(self, "affine", checked_affine(self.affine))

    @property
    def voxel_size_mm(self) -> tuple[float, float, float]:
        """Voxel edge lengths along ``i, j, k`` in mm."""
        sizes = np.linalg.norm(self.affine[:3, :3], axis=0)
        return (float(sizes[0]), float(sizes[1]), float(sizes[2]))

    @property
    def voxel_volume_ml(self) -> float:
        """Volume of one voxel in mL (1 mL = 1000 mm³)."""
        return float(abs(np.linalg.det(self.affine[:3, :3]))) / 1000.0

    def world_to_index(self, points_mm: ArrayLike) -> NDArray[np.float64]:
        """Continuous voxel indices of world points, shape ``(..., 3)``."""
        points = np.asarray(points_mm, dtype=np.float64)
        inverse = np.linalg.inv(self.affine)
        return points @ inverse[:3, :3].T + inverse[:3, 3]

    def index_to_world(self, indices: ArrayLike) -> NDArray[np.float64]:
        """World positions in mm of voxel indices, shape ``(..., 3)``."""
        idx = np.asarray(indices, dtype=np.float64)
        return idx @ self.affine[:3, :3].T + self.affine[:3, 3]

    @property
    def center_mm(self) -> NDArray[np.float64]:
        """World position of the grid centre in mm."""
        return self.index_to_world((np.asarray(self.shape) - 1) / 2.0)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Grid):
            return NotImplemented
        return self.shape == other.shape and np.allclose(self.affine, other.affine, atol=1e-6)

    __hash__ = None  # type: ignore[assignment]
