"""Volumes of interest: sparse voxel sets with partial-voxel weights on an image grid.

A :class:`VOI` lists the flat indices of the voxels it touches and, for each, the
fraction of the voxel inside it (1 for whole voxels).  Analytic shapes (sphere, ellipsoid,
box, cylinder) are given in world millimetres and rasterised by supersampling each voxel
of their bounding box on an ``s × s × s`` lattice (default ``s = 5``, 125 points): the
weight of a voxel is the fraction of its points inside the shape (voxels whose 8 corners
are inside are whole).  Volume error (tested): spheres and ellipsoids of radius ≥ 4 voxels
< 0.3 %, of 2 voxels < 1.5 %; flat faces oblique to the grid < 1 %.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from positrix.errors import PositrixError
from positrix.image.grid import Grid

__all__ = ["VOI", "box", "cylinder", "ellipsoid", "sphere"]


@dataclass(frozen=True, eq=False)
class VOI:
    """A volume of interest on one grid.

    Attributes
    ----------
    name
        Label of the region.
    grid
        The grid the indices refer to.
    index
        Flat (C-order) voxel indices, shape ``(n,)``, increasing.
    weight
        Fraction of each voxel inside the region, in (0, 1], shape ``(n,)``.
    """

    name: str
    grid: Grid
    index: NDArray[np.int64]
    weight: NDArray[np.float64]

    def __post_init__(self) -> None:
        index = np.asarray(self.index, dtype=np.int64)
        weight = np.asarray(self.weight, dtype=np.float64)
        if index.shape != weight.shape or index.ndim != 1:
            raise PositrixError("a VOI needs one weight per voxel index", field="voi")
        order = np.argsort(index, kind="stable")
        index, weight = index[order], weight[order]
        keep = weight > 0
        object.__setattr__(self, "index", index[keep])
        object.__setattr__(self, "weight", weight[keep])

    @classmethod
    def from_mask(cls, name: str, grid: Grid, mask: ArrayLike) -> VOI:
        """A VOI of whole voxels (bool mask) or fractions (float mask in [0, 1])."""
        values = np.asarray(mask, dtype=np.float64)
        if values.shape != grid.shape:
            raise PositrixError(
                f"mask shape {values.shape} does not match the grid {grid.shape}", field="mask"
            )
        flat = values.ravel()
        index = np.flatnonzero(flat > 0)
        return cls(name, grid, index, np.clip(flat[index], 0.0, 1.0))

    @property
    def n_voxels(self) -> int:
        """Number of voxels touched (any weight > 0)."""
        return int(self.index.size)

    @property
    def volume_ml(self) -> float:
        """Volume in mL: Σ weights × voxel volume."""
        return float(self.weight.sum()) * self.grid.voxel_volume_ml

    def mask(self) -> NDArray[np.float64]:
        """Dense weight array on the grid."""
        dense = np.zeros(int(np.prod(self.grid.shape)))
        dense[self.index] = self.weight
        return dense.reshape(self.grid.shape)


def _lattice(samples: int) -> NDArray[np.float64]:
    """Sub-voxel offsets in voxel units, shape ``(samples³, 3)``, centred on 0."""
    steps = (np.arange(samples) + 0.5) / samples - 0.5
    return np.stack(np.meshgrid(steps, steps, steps, indexing="ij"), axis=-1).reshape(-1, 3)


def rasterise(
    name: str,
    grid: Grid,
    inside: object,
    bounds_mm: tuple[NDArray[np.float64], NDArray[np.float64]],
    *,
    samples: int = 6,
) -> VOI:
    """Rasterise a shape given by ``inside(points_mm (n, 3)) -> bool (n,)``.

    Only voxels whose centres lie within one voxel of the world bounding box are visited.
    """
    low, high = bounds_mm
    corners = np.array(
        [[x, y, z] for x in (low[0], high[0]) for y in (low[1], high[1]) for z in (low[2], high[2])]
    )
    idx = grid.world_to_index(corners)
    start = np.maximum(np.floor(idx.min(axis=0)) - 1, 0).astype(int)
    stop = np.minimum(np.ceil(idx.max(axis=0)) + 2, grid.shape).astype(int)
    if np.any(stop <= start):
        return VOI(name, grid, np.zeros(0, np.int64), np.zeros(0))
    axes = [np.arange(a, b) for a, b in zip(start, stop, strict=True)]
    centres = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, 3).astype(float)
    test = inside  # a callable; typed as object to keep the signature simple

    def hits(offsets: NDArray[np.float64], which: NDArray[np.intp]) -> NDArray[np.float64]:
        total = np.zeros(len(which))
        for chunk in range(0, len(offsets), 27):
            points = centres[which, None, :] + offsets[None, chunk : chunk + 27, :]
            world = grid.index_to_world(points.reshape(-1, 3))
            inside_points = np.asarray(test(world)).reshape(len(which), -1)  # type: ignore[operator]
            total += inside_points.sum(axis=1)
        return total

    # Shapes are convex: a voxel whose 8 corners are inside is wholly inside.
    corners = np.array([[x, y, z] for x in (-0.5, 0.5) for y in (-0.5, 0.5) for z in (-0.5, 0.5)])
    everyone = np.arange(len(centres))
    full = hits(corners, everyone) == 8
    fraction = full.astype(np.float64)
    edge = np.flatnonzero(~full)
    fraction[edge] = hits(_lattice(samples), edge) / samples**3
    flat = np.ravel_multi_index(centres.astype(int).T, grid.shape)
    return VOI(name, grid, flat, fraction)


def _rotation(axes_directions: ArrayLike | None) -> NDArray[np.float64]:
    if axes_directions is None:
        return np.eye(3)
    rotation = np.asarray(axes_directions, dtype=np.float64)
    if rotation.shape != (3, 3) or not np.allclose(rotation.T @ rotation, np.eye(3), atol=1e-6):
        raise PositrixError("shape axes must be a 3×3 orthonormal matrix", field="axes")
    return rotation


def ellipsoid(
    grid: Grid,
    center_mm: ArrayLike,
    semi_axes_mm: ArrayLike,
    *,
    axes: ArrayLike | None = None,
    name: str = "ellipsoid",
    samples: int = 6,
) -> VOI:
    """Ellipsoid with semi-axes along the columns of ``axes`` (default: world axes)."""
    centre = np.asarray(center_mm, dtype=np.float64)
    semi = np.asarray(semi_axes_mm, dtype=np.float64)
    if semi.shape != (3,) or np.any(semi <= 0):
        raise PositrixError(f"semi-axes must be 3 positive lengths, got {semi}", field="radius")
    rotation = _rotation(axes)

    def inside(points: NDArray[np.float64]) -> NDArray[np.bool_]:
        local = (points - centre) @ rotation
        return np.sum((local / semi) ** 2, axis=1) <= 1.0

    reach = np.abs(rotation) @ semi
    return rasterise(name, grid, inside, (centre - reach, centre + reach), samples=samples)


def sphere(
    grid: Grid, center_mm: ArrayLike, radius_mm: float, *, name: str = "sphere", samples: int = 6
) -> VOI:
    """Sphere of ``radius_mm`` around ``center_mm`` (world LPS, mm).

    Examples
    --------
    >>> from positrix.image import Grid, affine_from_spacing
    >>> grid = Grid((40, 40, 40), affine_from_spacing([0.5] * 3, origin_mm=[-9.75] * 3))
    >>> voi = sphere(grid, (0, 0, 0), 4.0)
    >>> round(voi.volume_ml / (4 / 3 * 3.141592653589793 * 4.0**3 / 1000), 3)
    1.0
    """
    return ellipsoid(grid, center_mm, [radius_mm] * 3, name=name, samples=samples)


def box(
    grid: Grid,
    center_mm: ArrayLike,
    size_mm: ArrayLike,
    *,
    axes: ArrayLike | None = None,
    name: str = "box",
    samples: int = 6,
) -> VOI:
    """Rectangular box with edge lengths ``size_mm`` along the columns of ``axes``."""
    centre = np.asarray(center_mm, dtype=np.float64)
    half = np.asarray(size_mm, dtype=np.float64) / 2.0
    if half.shape != (3,) or np.any(half <= 0):
        raise PositrixError(f"box size must be 3 positive lengths, got {half * 2}", field="size")
    rotation = _rotation(axes)
    linear = grid.affine[:3, :3]
    if axes is None and np.allclose(linear, np.diag(np.diag(linear))):
        return _aligned_box(grid, centre, half, name)

    def inside(points: NDArray[np.float64]) -> NDArray[np.bool_]:
        return np.all(np.abs((points - centre) @ rotation) <= half, axis=1)

    reach = np.abs(rotation) @ half
    return rasterise(name, grid, inside, (centre - reach, centre + reach), samples=samples)


def _aligned_box(
    grid: Grid, centre: NDArray[np.float64], half: NDArray[np.float64], name: str
) -> VOI:
    """Exact partial-voxel weights of a box aligned with an axis-aligned grid."""
    overlaps = []
    for axis in range(3):
        size = grid.affine[axis, axis]
        lo_mm, hi_mm = centre[axis] - half[axis], centre[axis] + half[axis]
        index = np.arange(grid.shape[axis])
        centres = grid.affine[axis, 3] + index * size
        left, right = centres - abs(size) / 2, centres + abs(size) / 2
        overlaps.append(
            np.clip(np.minimum(right, hi_mm) - np.maximum(left, lo_mm), 0, None) / abs(size)
        )
    weights = overlaps[0][:, None, None] * overlaps[1][None, :, None] * overlaps[2][None, None, :]
    return VOI.from_mask(name, grid, weights)


def cylinder(
    grid: Grid,
    center_mm: ArrayLike,
    radius_mm: float,
    length_mm: float,
    *,
    axis: ArrayLike = (0.0, 0.0, 1.0),
    name: str = "cylinder",
    samples: int = 6,
) -> VOI:
    """Circular cylinder of ``radius_mm`` and ``length_mm`` along ``axis`` (default z)."""
    centre = np.asarray(center_mm, dtype=np.float64)
    direction = np.asarray(axis, dtype=np.float64)
    direction = direction / np.linalg.norm(direction)
    if radius_mm <= 0 or length_mm <= 0:
        raise PositrixError("cylinder radius and length must be positive", field="radius")

    def inside(points: NDArray[np.float64]) -> NDArray[np.bool_]:
        rel = points - centre
        along = rel @ direction
        radial = rel - along[:, None] * direction
        return (np.abs(along) <= length_mm / 2) & (np.sum(radial**2, axis=1) <= radius_mm**2)

    reach = np.abs(direction) * length_mm / 2 + np.sqrt(np.clip(1 - direction**2, 0, 1)) * radius_mm
    return rasterise(name, grid, inside, (centre - reach, centre + reach), samples=samples)
