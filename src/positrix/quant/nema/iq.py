"""NEMA NU 4-2008 image quality: uniformity, recovery coefficients and spill-over ratios.

All VOIs are placed in the phantom frame found by
:func:`~positrix.quant.nema.locate.locate_iq_phantom` (``z'`` from the rods to the chamber,
origin at the centre of the fillable length) and evaluated on the image's own voxels: a
voxel belongs to a VOI when its centre does.

Uniformity
    Cylinder Ø 22.5 × 10 mm on the axis, centred in the insert-free part of the uniform
    chamber (``z' ∈ [−2.5, 7.5]`` mm; the chamber spans −5 … 25 mm and the cold inserts fill
    its upper half, 10 … 25 mm).  Mean, max, min and ``%STD = 100·SD/mean``.
Recovery coefficients (NEMA, ``rc``)
    The slices whose centres lie in the central 10 mm of the rods (``z' ∈ [−20, −10]``) are
    averaged; in that average the hottest pixel within a circle of twice the rod's diameter
    around the rod is found; ``rc`` is the mean of the axial line profile through that pixel
    divided by the uniform mean, ``rc_pct_std = 100·√((SD_profile/mean_profile)² +
    (SD_uniform/mean_uniform)²)``.  Slices are those of the image when its slice axis is
    within the tilt whose drift over the 10 mm stays below half an in-plane voxel;
    otherwise the image is first resampled (trilinear) onto a grid aligned with the phantom
    with the image's own voxel sizes.  SDs are sample SDs (n − 1).
Mean-based recovery coefficients (``rc_mean``)
    Mean over the central 10 mm of each rod of the voxels lying wholly inside the rod
    (centre within ``R − ½·in-plane voxel diagonal`` of the rod axis), divided by the
    uniform mean: free of the noise-driven upward bias of the maximum.  For rods too thin
    for any such voxel the image is interpolated along the rod axis instead.
Spill-over ratios
    Cylinders Ø 4 × 7.5 mm centred in each cold insert; ``SOR = mean/uniform mean`` and
    ``sor_pct_std = 100·SOR·√((SD/mean)² + (SD_uniform/mean_uniform)²)`` (the standard's
    form, written so that it stays finite for a mean of zero).

Water or air
    PET cannot tell the inserts apart.  With a CT or µ-map (``ct=``, registered to the PET,
    any unit: HU or attenuation) the insert whose value is closer to that of the water in the
    uniform chamber is the water insert.  Otherwise ``water_insert_mm`` names a point in or
    near the water insert.  Without either, the convention of
    :func:`positrix.simulation.phantoms.nema_iq_phantom` is used: water is the insert on
    the ``+y'`` side, 90° counter-clockwise from the 5 mm rod as seen from the chamber end
    (looking towards the rods).  The result says which rule decided.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from positrix.errors import PositrixError
from positrix.image.image import Image
from positrix.quant.nema.locate import (
    CHAMBER_RADIUS_MM,
    CHAMBER_Z_MM,
    INSERT_Z_MM,
    ROD_DIAMETERS_MM,
    ROD_Z_MM,
    PhantomPose,
    frame_volume,
    locate_iq_phantom,
    sample_world,
)

__all__ = ["IQResult", "Uniformity", "nema_iq"]

#: Uniformity VOI: radius and axial range in the phantom frame (mm).
UNIFORM_RADIUS_MM = 11.25
UNIFORM_Z_MM = (CHAMBER_Z_MM[0] + 2.5, CHAMBER_Z_MM[0] + 12.5)
#: Spill-over VOI: radius and half length (mm), centred in each insert.
SOR_RADIUS_MM = 2.0
SOR_HALF_LENGTH_MM = 3.75
#: Central 10 mm of the rods (mm).
RC_Z_MM = (sum(ROD_Z_MM) / 2.0 - 5.0, sum(ROD_Z_MM) / 2.0 + 5.0)

_CONVENTION = (
    "convention: water insert on the +y' side (90° counter-clockwise from the 5 mm rod about "
    "the rod→chamber axis), as in positrix.simulation; give a CT/µ-map or the water insert's "
    "position to decide from data"
)


@dataclass(frozen=True)
class Uniformity:
    """Statistics of the uniformity VOI (values in the image unit, ``pct_std`` in %)."""

    mean: float
    max: float
    min: float
    sd: float
    pct_std: float
    n_voxels: int


@dataclass(frozen=True, eq=False)
class IQResult:
    """NEMA NU 4 image-quality metrics of one image.

    Attributes
    ----------
    uniformity
        Uniform-region statistics.
    rc, rc_pct_std, rc_mean
        Recovery coefficients (max-pixel line profile), their %STD, and the mean-based
        recovery coefficients; keys ``"1"`` … ``"5"`` (rod diameter in mm).
    rc_peak_mm
        World position (mm) of the pixel whose line profile gave ``rc``, at the middle of
        the rods.
    sor, sor_pct_std
        Spill-over ratios and their %STD, keys ``"water"`` and ``"air"``.
    pose
        The phantom's position and orientation.
    water_insert
        Which of ``pose.insert_angles_deg`` is the water insert (0 or 1).
    water_air_method
        ``"ct"``, ``"position"`` or ``"convention"``, and ``water_air_note`` in words.
    unit
        Unit of the uniformity values.
    resampled
        Whether the rod slices were resampled along the phantom axis (tilted phantom).
    """

    uniformity: Uniformity
    rc: Mapping[str, float]
    rc_pct_std: Mapping[str, float]
    rc_mean: Mapping[str, float]
    rc_peak_mm: Mapping[str, tuple[float, float, float]]
    sor: Mapping[str, float]
    sor_pct_std: Mapping[str, float]
    pose: PhantomPose
    water_insert: int
    water_air_method: str
    water_air_note: str
    unit: str
    resampled: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: ``uniformity``, ``rc``, ``rc_pct_std``, ``rc_mean``, ``sor``,
        ``sor_pct_std``, ``pose`` and ``units``."""
        u = self.uniformity
        pose = self.pose.to_dict()
        pose["water_insert_mm"] = list(self.pose.insert_centre_mm(self.water_insert))
        pose["air_insert_mm"] = list(self.pose.insert_centre_mm(1 - self.water_insert))
        pose["water_air"] = self.water_air_method
        pose["water_air_note"] = self.water_air_note
        return {
            "uniformity": {"mean": u.mean, "max": u.max, "min": u.min, "pct_std": u.pct_std},
            "rc": dict(self.rc),
            "rc_pct_std": dict(self.rc_pct_std),
            "rc_mean": dict(self.rc_mean),
            "sor": dict(self.sor),
            "sor_pct_std": dict(self.sor_pct_std),
            "pose": pose,
            "units": {
                "uniformity": self.unit,
                "pct_std": "%",
                "rc": "1",
                "rc_mean": "1",
                "sor": "1",
                "pose": "mm (world LPS), degrees",
            },
        }


# -- voxels in the phantom frame ----------------------------------------------------------
@dataclass(frozen=True)
class _Voxels:
    """The image voxels around the phantom with their phantom-frame coordinates."""

    values: NDArray[np.float64]  # (n,)
    xyz: NDArray[np.float64]  # (n, 3) phantom frame, mm

    def select(self, keep: NDArray[np.bool_]) -> NDArray[np.float64]:
        return self.values[keep]


def _voxels(image: Image, data: NDArray[np.float64], pose: PhantomPose) -> _Voxels:
    """Voxels within the phantom's bounding box; refuse an image that cuts the phantom."""
    grid = image.grid
    angles = np.radians(np.arange(0.0, 360.0, 15.0))
    ring = np.stack([np.cos(angles), np.sin(angles)], axis=1) * CHAMBER_RADIUS_MM
    hull = np.concatenate(
        [np.column_stack([ring, np.full(len(ring), z)]) for z in (ROD_Z_MM[0], CHAMBER_Z_MM[1])]
    )
    index = grid.world_to_index(pose.to_world(hull))
    shape = np.asarray(grid.shape)
    if np.any(index < -0.5) or np.any(index > shape - 0.5):
        raise PositrixError(
            "the image does not cover the whole NEMA IQ phantom",
            source=image.metadata.get("source_path"),
            field="data",
            fix="reconstruct a field of view that holds the whole phantom (Ø 30 × 50 mm fill)",
        )
    lo = np.maximum(np.floor(index.min(axis=0)).astype(int) - 2, 0)
    hi = np.minimum(np.ceil(index.max(axis=0)).astype(int) + 3, shape)
    block = data[lo[0] : hi[0], lo[1] : hi[1], lo[2] : hi[2]]
    # phantom coordinates = R^T (A·index + t − c), built axis by axis (broadcast, no matmul)
    matrix = pose.rotation.T @ image.affine[:3, :3]
    offset = pose.rotation.T @ (image.affine[:3, 3] - np.asarray(pose.centre_mm))
    axes = [np.arange(a, b, dtype=np.float64) for a, b in zip(lo, hi, strict=True)]
    i, j, k = axes[0][:, None, None], axes[1][None, :, None], axes[2][None, None, :]
    xyz = np.stack(
        [
            np.broadcast_to(matrix[c, 0] * i + matrix[c, 1] * j + matrix[c, 2] * k + offset[c],
                            block.shape).ravel()
            for c in range(3)
        ],
        axis=1,
    )  # fmt: skip
    return _Voxels(block.ravel(), xyz)


def _empty_voi(image: Image, name: str) -> PositrixError:
    return PositrixError(
        f"the {name} VOI holds no voxel: the voxels are too coarse",
        source=image.metadata.get("source_path"),
        field="data",
        fix="reconstruct with voxels of 1 mm or smaller",
    )


def _uniformity(image: Image, vox: _Voxels) -> Uniformity:
    x, y, z = vox.xyz.T
    keep = (x**2 + y**2 <= UNIFORM_RADIUS_MM**2) & (z >= UNIFORM_Z_MM[0]) & (z <= UNIFORM_Z_MM[1])
    values = vox.select(keep)
    if values.size < 2:
        raise _empty_voi(image, "uniformity")
    mean = float(values.mean())
    if not mean > 0:
        raise PositrixError(
            f"the uniform region's mean is {mean:.4g}, not positive",
            source=image.metadata.get("source_path"),
            field="data",
            fix="give the emission image of the filled phantom (activity > 0)",
        )
    sd = float(values.std(ddof=1))
    return Uniformity(
        mean, float(values.max()), float(values.min()), sd, 100.0 * sd / mean, int(values.size)
    )


def _spill_over(
    image: Image, vox: _Voxels, pose: PhantomPose, which: int, uniform: Uniformity
) -> tuple[float, float]:
    cx, cy = pose.insert_xy(which)
    mid = sum(INSERT_Z_MM) / 2.0
    x, y, z = vox.xyz.T
    keep = ((x - cx) ** 2 + (y - cy) ** 2 <= SOR_RADIUS_MM**2) & (
        np.abs(z - mid) <= SOR_HALF_LENGTH_MM
    )
    values = vox.select(keep)
    if values.size < 2:
        raise _empty_voi(image, "spill-over")
    ratio = float(values.mean()) / uniform.mean
    sd_ratio = math.hypot(
        float(values.std(ddof=1)) / uniform.mean, ratio * uniform.sd / uniform.mean
    )
    return ratio, 100.0 * sd_ratio


# -- recovery coefficients ------------------------------------------------------------------
def _in_plane(image: Image, pose: PhantomPose) -> tuple[int, float, float]:
    """Slice axis (the image axis nearest the phantom axis), its spacing, and the largest
    in-plane voxel diagonal / 2."""
    directions = image.affine[:3, :3] / np.linalg.norm(image.affine[:3, :3], axis=0)
    slice_axis = int(np.argmax(np.abs(directions.T @ np.asarray(pose.axis))))
    sizes = image.voxel_size_mm
    others = [sizes[i] for i in range(3) if i != slice_axis]
    return slice_axis, sizes[slice_axis], 0.5 * math.hypot(*others)


def _rod_stack(
    image: Image, data: NDArray[np.float64], pose: PhantomPose
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], bool]:
    """Slices over the central 10 mm of the rods: ``stack (m, p, q)``, the phantom-frame
    ``(x', y')`` of each pixel ``(p, q, 2)`` and its world position at the rods' middle
    ``(p, q, 3)``, and whether the slices were resampled."""
    grid = image.grid
    slice_axis, spacing, _ = _in_plane(image, pose)
    directions = image.affine[:3, :3] / np.linalg.norm(image.affine[:3, :3], axis=0)
    cos_tilt = min(1.0, abs(float(directions[:, slice_axis] @ np.asarray(pose.axis))))
    tilt = math.acos(cos_tilt)
    in_plane = min(s for i, s in enumerate(image.voxel_size_mm) if i != slice_axis)
    mid_z = sum(RC_Z_MM) / 2.0
    half = (RC_Z_MM[1] - RC_Z_MM[0]) / 2.0
    if 10.0 * math.tan(tilt) <= 0.5 * in_plane:
        # slices of the image: where does the phantom axis cross each of them?
        a = grid.world_to_index(pose.to_world([0.0, 0.0, 0.0]))[slice_axis]
        b = grid.world_to_index(pose.to_world([0.0, 0.0, 1.0]))[slice_axis] - a
        s = np.arange(grid.shape[slice_axis])
        tau = (s - a) / b
        chosen = s[np.abs(tau - mid_z) <= half + 1e-6]
        stack = np.moveaxis(np.take(data, chosen, axis=slice_axis), slice_axis, 0)
        plane = [n for i, n in enumerate(grid.shape) if i != slice_axis]
        pq = np.indices(plane, dtype=np.float64)
        index = np.empty((*plane, 3))
        index[..., slice_axis] = a + b * mid_z
        index[..., [i for i in range(3) if i != slice_axis]] = np.moveaxis(pq, 0, -1)
        world = grid.index_to_world(index)
        xy = pose.to_phantom(world)[..., :2]
        return stack, xy, world, False
    step = float(np.mean([s for i, s in enumerate(image.voxel_size_mm) if i != slice_axis]))
    n = math.ceil(12.0 / step)
    u = step * np.arange(-n, n + 1)
    z = mid_z + spacing * np.arange(-math.floor(half / spacing), math.floor(half / spacing) + 1)
    uu, vv = np.meshgrid(u, u, indexing="ij")
    points = np.stack(np.broadcast_arrays(uu[None], vv[None], z[:, None, None]), axis=-1)
    stack = sample_world(data, grid, pose.to_world(points))
    xy = np.stack([uu, vv], axis=-1)
    world = pose.to_world(np.stack([uu, vv, np.full(uu.shape, mid_z)], axis=-1))
    return stack, xy, world, True


def _recovery(
    stack: NDArray[np.float64],
    xy: NDArray[np.float64],
    world: NDArray[np.float64],
    pose: PhantomPose,
    diameter: str,
    uniform: Uniformity,
) -> tuple[float, float, tuple[float, float, float]]:
    rx, ry = pose.rod_xy(diameter)
    near = (xy[..., 0] - rx) ** 2 + (xy[..., 1] - ry) ** 2 <= float(diameter) ** 2
    if not np.any(near):  # voxels coarser than the search circle: the nearest pixel
        gap = (xy[..., 0] - rx) ** 2 + (xy[..., 1] - ry) ** 2
        near = gap == gap.min()
    average = stack.mean(axis=0)
    candidates = np.argwhere(near)
    p, q = candidates[int(np.argmax(average[near]))]
    profile = stack[:, p, q]
    mean = float(profile.mean())
    sd = float(profile.std(ddof=1)) if profile.size > 1 else 0.0
    rel = sd / mean if mean != 0 else math.inf
    pct = 100.0 * math.hypot(rel, uniform.sd / uniform.mean)
    w = world[p, q]
    return mean / uniform.mean, pct, (float(w[0]), float(w[1]), float(w[2]))


def _recovery_mean(
    image: Image,
    data: NDArray[np.float64],
    vox: _Voxels,
    pose: PhantomPose,
    diameter: str,
    uniform: Uniformity,
) -> float:
    _, spacing, half_diagonal = _in_plane(image, pose)
    rx, ry = pose.rod_xy(diameter)
    core = float(diameter) / 2.0 - half_diagonal
    x, y, z = vox.xyz.T
    keep = ((x - rx) ** 2 + (y - ry) ** 2 <= core**2) & (z >= RC_Z_MM[0]) & (z <= RC_Z_MM[1])
    n_slices = (RC_Z_MM[1] - RC_Z_MM[0]) / spacing
    if core > 0 and keep.sum() >= n_slices:
        return float(vox.select(keep).mean()) / uniform.mean
    z_line = np.arange(RC_Z_MM[0], RC_Z_MM[1] + 1e-9, spacing / 2.0)
    points = np.column_stack([np.full(z_line.shape, rx), np.full(z_line.shape, ry), z_line])
    return float(sample_world(data, image.grid, pose.to_world(points)).mean()) / uniform.mean


# -- water or air ---------------------------------------------------------------------------
def _water_by_ct(ct: Image, pose: PhantomPose) -> tuple[int, str]:
    source = ct.metadata.get("source_path")
    volume = np.asarray(ct.frame_data(0), dtype=np.float64)
    r = np.arange(-SOR_RADIUS_MM, SOR_RADIUS_MM + 1e-9, 0.5)
    dz = np.arange(-SOR_HALF_LENGTH_MM, SOR_HALF_LENGTH_MM + 1e-9, 0.5)
    xx, yy, zz = np.meshgrid(r, r, dz, indexing="ij")
    disc = xx**2 + yy**2 <= SOR_RADIUS_MM**2
    local = np.column_stack([xx[disc], yy[disc], zz[disc]])

    def mean_at(cx: float, cy: float, cz: float) -> float:
        points = pose.to_world(local + np.array([cx, cy, cz]))
        index = ct.grid.world_to_index(points)
        if np.any(index < -0.5) or np.any(index > np.asarray(ct.grid.shape) - 0.5):
            raise PositrixError(
                "the CT does not cover the cold inserts of the phantom found in the PET",
                source=source,
                field="ct",
                fix="give the CT or µ-map of the same scan (same world coordinates)",
            )
        return float(sample_world(volume, ct.grid, points).mean())

    mid = sum(INSERT_Z_MM) / 2.0
    water_level = mean_at(0.0, 0.0, sum(UNIFORM_Z_MM) / 2.0)
    inserts = [mean_at(*pose.insert_xy(i), mid) for i in (0, 1)]
    distance = [abs(v - water_level) for v in inserts]
    if not max(distance) > 0 or min(distance) > 0.5 * max(distance):
        raise PositrixError(
            f"the CT does not tell the inserts apart (chamber {water_level:.4g}, inserts "
            f"{inserts[0]:.4g} and {inserts[1]:.4g} {ct.unit})",
            source=source,
            field="ct",
            fix="check that the CT is registered to the PET, or name the water insert by position",
        )
    water = int(np.argmin(distance))
    note = (
        f"CT/µ-map ({ct.unit}): water insert {inserts[water]:.4g}, air insert "
        f"{inserts[1 - water]:.4g}, chamber water {water_level:.4g}"
    )
    return water, note


def _water_by_position(pose: PhantomPose, point_mm: ArrayLike) -> tuple[int, str]:
    point = np.asarray(point_mm, dtype=np.float64)
    if point.shape != (3,) or not np.all(np.isfinite(point)):
        raise PositrixError(
            f"the water insert position needs x, y, z in mm, got {np.ravel(point).tolist()}",
            field="water_insert_mm",
            fix="give x,y,z (world LPS, mm) of a point in the water insert",
        )
    distance = [float(np.linalg.norm(point - pose.insert_centre_mm(i))) for i in (0, 1)]
    water = int(np.argmin(distance))
    if distance[water] > 10.0:
        raise PositrixError(
            f"the point {point.tolist()} mm is {distance[water]:.3g} mm from the nearer insert",
            field="water_insert_mm",
            fix="give a point within 10 mm of the water insert's centre "
            f"({', '.join(f'{v:.1f}' for v in pose.insert_centre_mm(0))} or "
            f"{', '.join(f'{v:.1f}' for v in pose.insert_centre_mm(1))})",
        )
    return water, f"position: the insert nearer to {point.tolist()} mm is water"


# -- the analysis ---------------------------------------------------------------------------
def nema_iq(
    image: Image,
    *,
    ct: Image | None = None,
    water_insert_mm: ArrayLike | None = None,
    frame: int | None = None,
    pose: PhantomPose | None = None,
) -> IQResult:
    """NEMA NU 4-2008 image-quality analysis of a reconstructed IQ-phantom image.

    Parameters
    ----------
    image
        PET image of the phantom, 3-D or 4-D (then ``frame``), any activity unit; it must
        hold the whole phantom.  The phantom may be shifted, rolled, tilted a few degrees
        and point its rods either way.
    ct
        Optional CT or µ-map registered to ``image`` (HU, 1/cm, 1/mm…): decides which
        cold insert holds water.
    water_insert_mm
        Optional world point (mm) in or near the water insert, instead of ``ct``.
    frame
        Frame of a dynamic image.
    pose
        The phantom's pose if already known (skips :func:`locate_iq_phantom`).

    Returns
    -------
    IQResult
        Uniformity, recovery coefficients, spill-over ratios and the pose.  See the module
        docstring for the exact VOIs and formulas.

    Raises
    ------
    PositrixError
        For a flat or empty image, no phantom, an image that does not cover the phantom,
        both ``ct`` and ``water_insert_mm``, or a CT that does not separate the inserts.

    Examples
    --------
    ::

        from positrix.io import load
        from positrix.quant.nema import nema_iq

        result = nema_iq(load("iq.nii.gz"), ct=load("ct.nii.gz"))
        result.rc["5"], result.sor["water"], result.uniformity.pct_std
    """
    if ct is not None and water_insert_mm is not None:
        raise PositrixError(
            "both a CT and a water-insert position were given",
            field="water_insert_mm",
            fix="give one of them: the CT decides by itself",
        )
    data = frame_volume(image, frame, what="NEMA image-quality")
    if pose is None:
        pose = locate_iq_phantom(image, frame=frame)
    vox = _voxels(image, data, pose)
    uniform = _uniformity(image, vox)

    if ct is not None:
        water, note = _water_by_ct(ct, pose)
        method = "ct"
    elif water_insert_mm is not None:
        water, note = _water_by_position(pose, water_insert_mm)
        method = "position"
    else:
        water, note, method = 0, _CONVENTION, "convention"
    sor: dict[str, float] = {}
    sor_pct: dict[str, float] = {}
    for name, which in (("water", water), ("air", 1 - water)):
        sor[name], sor_pct[name] = _spill_over(image, vox, pose, which, uniform)

    stack, xy, world, resampled = _rod_stack(image, data, pose)
    rc: dict[str, float] = {}
    rc_pct: dict[str, float] = {}
    rc_peak: dict[str, tuple[float, float, float]] = {}
    rc_mean: dict[str, float] = {}
    for d in (f"{v:g}" for v in ROD_DIAMETERS_MM):
        rc[d], rc_pct[d], rc_peak[d] = _recovery(stack, xy, world, pose, d, uniform)
        rc_mean[d] = _recovery_mean(image, data, vox, pose, d, uniform)
    return IQResult(
        uniformity=uniform,
        rc=rc,
        rc_pct_std=rc_pct,
        rc_mean=rc_mean,
        rc_peak_mm=rc_peak,
        sor=sor,
        sor_pct_std=sor_pct,
        pose=pose,
        water_insert=water,
        water_air_method=method,
        water_air_note=note,
        unit=image.unit,
        resampled=resampled,
    )
