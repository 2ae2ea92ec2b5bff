"""Phantoms made of analytic regions, voxelised with sub-voxel supersampling.

A :class:`Phantom` is an ordered list of :class:`Region` (a shape, a material and an activity
concentration); a later region replaces what earlier ones put where it lies, so inserts are
listed after what contains them.  :meth:`Phantom.voxelise` computes, for every voxel, the
fraction of it each region covers (``supersample³`` points per voxel) and blends the values by
those fractions, so partial-volume edges are exact to ``1/supersample³``.
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from positrix.errors import PositrixError
from positrix.simulation.shapes import Pose, Shape

__all__ = ["MATERIALS", "Material", "Phantom", "PhantomImages", "Region", "RegionWeights"]


@dataclass(frozen=True)
class Material:
    """Linear attenuation at 511 keV (1/mm) and CT number (HU) of a material."""

    mu_per_mm: float
    hu: float


#: µ at 511 keV = (µ/ρ)·ρ with µ/ρ from NIST XCOM at 511 keV (water 0.0960 cm²/g, PMMA
#: 0.0927, soft tissue/muscle 0.0953, cortical bone 0.0896); densities water 1.00, PMMA 1.19,
#: soft tissue 1.04, lung 0.30, adipose 0.95, bone 1.92 g/cm³.  HU are typical 80 kVp values;
#: the bilinear HU → µ conversion (Carney 2006) maps them back to slightly lower µ for PMMA
#: (−6 %) and bone (−21 %), as on real systems: CT-based µ-maps inherit that error.
#: High-density polyethylene (NU 4 scatter phantoms, ρ = 0.96 g/cm³): at 511 keV attenuation
#: is Compton scattering, so µ/ρ scales with electrons per gram, Z/A = 0.5703 against water's
#: 0.5551: 0.0960 · 1.0275 = 0.0986 cm²/g (XCOM's 500 keV values have the same ratio).
MATERIALS: dict[str, Material] = {
    "air": Material(0.0, -1000.0),
    "water": Material(0.00960, 0.0),
    "pmma": Material(0.01103, 120.0),
    "soft_tissue": Material(0.00991, 40.0),
    "blood": Material(0.01001, 50.0),
    "lung": Material(0.00286, -700.0),
    "fat": Material(0.00900, -100.0),
    "bone": Material(0.01720, 1000.0),
    "polyethylene": Material(0.00947, -90.0),
}


@dataclass(frozen=True)
class Region:
    """A shape filled with a material and an activity concentration (Bq/mL)."""

    name: str
    shape: Shape
    material: str = "water"
    activity_bq_ml: float = 0.0

    def __post_init__(self) -> None:
        if self.material not in MATERIALS:
            raise PositrixError(
                f"unknown material '{self.material}' in region '{self.name}'",
                field="material",
                fix=f"use one of {', '.join(MATERIALS)}",
            )
        if not np.isfinite(self.activity_bq_ml) or self.activity_bq_ml < 0:
            raise PositrixError(
                f"region '{self.name}': activity must be finite and ≥ 0 Bq/mL",
                field="activity_bq_ml",
            )


@dataclass(frozen=True)
class PhantomImages:
    """Voxelised phantom: activity (Bq/mL), µ (1/mm), CT numbers (HU) and region labels.

    ``labels`` holds ``0`` outside every region and ``n`` where ``label_names[n − 1]``
    covers at least half of the voxel (the last such region).
    """

    activity_bq_ml: NDArray[np.float32]
    mu_per_mm: NDArray[np.float32]
    hu: NDArray[np.float32]
    labels: NDArray[np.int16]
    label_names: tuple[str, ...]
    affine: NDArray[np.float64]

    @property
    def voxel_volume_ml(self) -> float:
        """Volume of one voxel (mL)."""
        return abs(float(np.linalg.det(self.affine[:3, :3]))) / 1000.0

    def total_activity_bq(self) -> float:
        """Activity in the image (Bq)."""
        return float(self.activity_bq_ml.sum(dtype=np.float64)) * self.voxel_volume_ml

    def mask(self, name: str) -> NDArray[np.bool_]:
        """Voxels labelled ``name``."""
        if name not in self.label_names:
            raise PositrixError(
                f"no region '{name}'", field="name", fix=f"use one of {self.label_names}"
            )
        return self.labels == self.label_names.index(name) + 1


@dataclass(frozen=True)
class Phantom:
    """Ordered regions in the phantom frame, placed in the scanner by ``pose``."""

    name: str
    regions: tuple[Region, ...]
    pose: Pose = field(default_factory=Pose)

    def placed(self, pose: Pose) -> Phantom:
        """The same phantom at another pose."""
        return dataclasses.replace(self, pose=pose)

    def scaled(self, factor: float) -> Phantom:
        """Every activity concentration times ``factor``."""
        if not factor >= 0:
            raise PositrixError("the activity scale must be ≥ 0", field="factor")
        return dataclasses.replace(
            self,
            regions=tuple(
                dataclasses.replace(r, activity_bq_ml=r.activity_bq_ml * factor)
                for r in self.regions
            ),
        )

    def with_activities(self, activities_bq_ml: dict[str, float]) -> Phantom:
        """New concentrations for the named regions (others unchanged)."""
        unknown = set(activities_bq_ml) - {r.name for r in self.regions}
        if unknown:
            raise PositrixError(
                f"no region named {sorted(unknown)} in phantom '{self.name}'", field="activities"
            )
        return dataclasses.replace(
            self,
            regions=tuple(
                dataclasses.replace(r, activity_bq_ml=float(activities_bq_ml[r.name]))
                if r.name in activities_bq_ml
                else r
                for r in self.regions
            ),
        )

    def total_activity_bq(self, *, voxel_mm: float = 0.5) -> float:
        """Activity of the whole phantom (Bq), in or out of any field of view, from a
        voxelisation (``voxel_mm``, 3³ points per voxel) of its bounding box."""
        corners = []
        for region in self.regions:
            low, high = region.shape.bounds()
            box = np.array(list(itertools.product(*zip(low, high, strict=True))))
            corners.append(self.pose.to_scanner(box))
        points = np.concatenate(corners)
        low, high = points.min(axis=0) - voxel_mm, points.max(axis=0) + voxel_mm
        shape = tuple(int(np.ceil(n)) for n in (high - low) / voxel_mm)
        affine = np.diag([voxel_mm, voxel_mm, voxel_mm, 1.0])
        affine[:3, 3] = low + voxel_mm / 2
        grid = (shape[0], shape[1], shape[2])
        return self.voxelise(grid, affine).total_activity_bq()

    def voxelise(
        self, shape: tuple[int, int, int], affine: ArrayLike, *, supersample: int = 3
    ) -> PhantomImages:
        """Sample the phantom on a grid.

        Parameters
        ----------
        shape
            Grid shape ``(i, j, k)``.
        affine
            4 × 4 voxel index → scanner frame (mm); axis-aligned (diagonal 3 × 3 part).
        supersample
            Points per voxel edge (``supersample³`` per voxel) for partial volumes.
        """
        return self.images(self.region_weights(shape, affine, supersample=supersample))

    def images(self, weights: RegionWeights) -> PhantomImages:
        """Activity, µ, HU and labels from this phantom's region weights."""
        materials = {r.name: MATERIALS[r.material] for r in self.regions}
        activities = {r.name: r.activity_bq_ml for r in self.regions}
        air = MATERIALS["air"]
        return PhantomImages(
            weights.image(activities),
            weights.image({n: m.mu_per_mm for n, m in materials.items()}, background=air.mu_per_mm),
            weights.image({n: m.hu for n, m in materials.items()}, background=air.hu),
            weights.labels(),
            weights.names,
            weights.affine,
        )

    def region_weights(
        self, shape: tuple[int, int, int], affine: ArrayLike, *, supersample: int = 3
    ) -> RegionWeights:
        """Each region's share of every voxel (what :meth:`voxelise` blends values with).

        Use it to make many activity images of one geometry (dynamic frames) without
        voxelising again.
        """
        matrix = np.asarray(affine, dtype=np.float64)
        if matrix.shape != (4, 4) or not np.allclose(matrix[:3, :3], np.diag(np.diag(matrix)[:3])):
            raise PositrixError("the grid affine must be 4 × 4 and axis-aligned", field="affine")
        if supersample < 1:
            raise PositrixError("supersample must be ≥ 1", field="supersample")
        grid = (int(shape[0]), int(shape[1]), int(shape[2]))
        boxes = [_index_box(r.shape, self.pose, matrix, grid) for r in self.regions]
        # sub-sample points already taken by a later region (regions are visited last first)
        claimed = np.zeros((*grid, supersample**3), dtype=bool)
        voxel_ml = abs(float(np.prod(np.diag(matrix)[:3]))) / 1000.0
        parts: list[tuple[str, tuple[slice, slice, slice], NDArray[np.float32]]] = []
        small: list[tuple[str, tuple[slice, slice, slice], NDArray[np.float32]]] = []
        for region, box in zip(reversed(self.regions), reversed(boxes), strict=True):
            if box is None:
                continue
            point = _point_share(region.shape, self.pose, matrix, grid, voxel_ml)
            if point is not None:  # smaller than a voxel: its volume, placed trilinearly
                small.append((region.name, *point))
                continue
            cover = _coverage(region.shape, self.pose, matrix, box, supersample, claimed[box])
            parts.append((region.name, box, cover.astype(np.float32)))
        for _, box, share in small:  # tiny sources displace what surrounds them
            for n, (name, other, weights) in enumerate(parts):
                overlap = tuple(
                    slice(max(a.start, b.start), min(a.stop, b.stop))
                    for a, b in zip(box, other, strict=True)
                )
                if all(o.stop > o.start for o in overlap):
                    local = tuple(
                        slice(o.start - b.start, o.stop - b.start)
                        for o, b in zip(overlap, other, strict=True)
                    )
                    mine = tuple(
                        slice(o.start - b.start, o.stop - b.start)
                        for o, b in zip(overlap, box, strict=True)
                    )
                    weights = weights.copy()
                    weights[local] *= 1.0 - share[mine]
                    parts[n] = (name, other, weights)
        names = tuple(dict.fromkeys(r.name for r in self.regions))
        return RegionWeights(grid, matrix, names, tuple(reversed(parts + small)))


@dataclass(frozen=True)
class RegionWeights:
    """Share (0–1) of every voxel held by each region; shares add up to ≤ 1 (air the rest).

    ``parts`` holds ``(name, box, weights)`` with ``weights`` the shares inside ``box``.
    """

    shape: tuple[int, int, int]
    affine: NDArray[np.float64]
    names: tuple[str, ...]
    parts: tuple[tuple[str, tuple[slice, slice, slice], NDArray[np.float32]], ...]

    def image(self, values: dict[str, float], *, background: float = 0.0) -> NDArray[np.float32]:
        """``Σ_r share_r · value_r + (1 − Σ_r share_r) · background``; regions missing from
        ``values`` hold ``background``."""
        out = np.full(self.shape, background, dtype=np.float64)
        for name, box, weight in self.parts:
            out[box] += weight * (values.get(name, background) - background)
        return out.astype(np.float32)

    def labels(self) -> NDArray[np.int16]:
        """Label of the region holding ≥ half of each voxel (0: none)."""
        shares = np.zeros((len(self.names), *self.shape), np.float32)
        for name, box, weight in self.parts:
            shares[(self.names.index(name), *box)] += weight
        best = np.argmax(shares, axis=0)
        top = np.take_along_axis(shares, best[None], axis=0)[0]
        return np.where(top >= 0.5, best + 1, 0).astype(np.int16)


def _index_box(
    shape: Shape, pose: Pose, affine: NDArray[np.float64], grid: tuple[int, int, int]
) -> tuple[slice, slice, slice] | None:
    """Voxel index ranges (slices) covering the shape's bounding box, or ``None``."""
    low, high = shape.bounds()
    corners = np.array(list(itertools.product(*zip(low, high, strict=True))))
    world = pose.to_scanner(corners)
    step, origin = np.diag(affine[:3, :3]), affine[:3, 3]
    index = (world - origin) / step
    lo = np.maximum(np.floor(index.min(axis=0)).astype(int) - 1, 0)
    hi = np.minimum(np.ceil(index.max(axis=0)).astype(int) + 2, np.asarray(grid))
    if np.any(hi <= lo):
        return None
    return (slice(lo[0], hi[0]), slice(lo[1], hi[1]), slice(lo[2], hi[2]))


def _coverage(
    shape: Shape,
    pose: Pose,
    affine: NDArray[np.float64],
    box: tuple[slice, slice, slice],
    supersample: int,
    claimed: NDArray[np.bool_],
) -> NDArray[np.float64]:
    """Share of each voxel of ``box`` inside ``shape`` and not yet ``claimed`` (sub-sample
    flags of the box, ``(..., supersample³)``, updated in place), slab by slab along k."""
    step, origin = np.diag(affine[:3, :3]), affine[:3, 3]
    offsets = (np.arange(supersample) + 0.5) / supersample - 0.5
    sub = np.stack(np.meshgrid(offsets, offsets, offsets, indexing="ij"), -1).reshape(-1, 3)
    ii, jj, kk = (np.arange(s.start, s.stop) for s in box)
    fraction = np.empty((ii.size, jj.size, kk.size))
    per_slab = max(1, int(4e6 // max(ii.size * jj.size * sub.shape[0], 1)))
    for start in range(0, kk.size, per_slab):
        k = kk[start : start + per_slab]
        centres = np.stack(np.meshgrid(ii, jj, k, indexing="ij"), -1).astype(np.float64)
        points = (centres[..., None, :] + sub) * step + origin
        inside = shape.inside(pose.to_phantom(points))
        taken = claimed[:, :, start : start + k.size]
        fraction[:, :, start : start + k.size] = (inside & ~taken).mean(axis=-1)
        taken |= inside
    return fraction


def _point_share(
    shape: Shape,
    pose: Pose,
    affine: NDArray[np.float64],
    grid: tuple[int, int, int],
    voxel_ml: float,
) -> tuple[tuple[slice, slice, slice], NDArray[np.float32]] | None:
    """For a shape smaller than a voxel in every direction: its volume (in voxels) spread
    trilinearly around its centre; ``None`` for larger shapes."""
    low, high = shape.bounds()
    step, origin = np.diag(affine[:3, :3]), affine[:3, 3]
    if np.any(high - low >= np.abs(step)):
        return None
    centre = pose.to_scanner(((low + high) / 2.0)[None, :])[0]
    index = (centre - origin) / step
    base = np.floor(index).astype(int)
    frac = index - base
    if np.any(base < 0) or np.any(base + 1 >= np.asarray(grid)):
        return None
    weights = np.ones((2, 2, 2))
    for axis in range(3):
        profile = np.array([1.0 - frac[axis], frac[axis]])
        weights *= profile.reshape([2 if a == axis else 1 for a in range(3)])
    share = weights * shape.volume_ml() / voxel_ml
    box = (slice(base[0], base[0] + 2), slice(base[1], base[1] + 2), slice(base[2], base[2] + 2))
    return box, share.astype(np.float32)
