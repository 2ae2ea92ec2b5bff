"""Image registration with SimpleITK: rigid PET→CT by mutual information, rigid + affine
(+ B-spline) CT→CT, and resampling through the result with the ``Image`` geometry kept.

Convention (ITK's): a transform maps a point of the *fixed* image's world (LPS, mm) to
the *moving* image's world; resampling the moving image on the fixed grid reads it there.
Optimisation runs on a three-level pyramid (shrink 4, 2, 1; smoothing 2, 1, 0 voxels)
with Mattes mutual information (50 bins, 20 % random samples, a fixed seed so that
results repeat) and regular-step gradient descent; rigid starts from the images' centres
of mass (``moments``) or bounding-box centres (``geometry``), each later stage from the
previous one.  Before anything runs, the two images' world boxes must overlap; after, a
registration whose final overlap is under 20 % of the fixed image's object, or whose
metric failed, is refused instead of returning a meaningless transform.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from positrix.errors import PositrixError
from positrix.image.image import Image

__all__ = [
    "KINDS",
    "Registration",
    "from_sitk",
    "load_transform",
    "register",
    "resample_with",
    "rotation_angle_deg",
    "to_sitk",
    "transform_matrix",
]

#: Registration stages, each started from the previous one.
KINDS = ("rigid", "affine", "bspline")


def _sitk() -> Any:
    import SimpleITK as sitk

    return sitk


def to_sitk(image: Image, frame: int | None = None) -> Any:
    """A SimpleITK image of ``image`` (one frame of a dynamic image; default the last)."""
    sitk = _sitk()
    data = np.asarray(image.data, dtype=np.float32)
    if data.ndim == 4:
        data = data[..., -1 if frame is None else frame]
    result = sitk.GetImageFromArray(np.ascontiguousarray(data.transpose(2, 1, 0)))
    matrix = np.asarray(image.affine, dtype=np.float64)
    spacing = np.linalg.norm(matrix[:3, :3], axis=0)
    result.SetSpacing(tuple(float(s) for s in spacing))
    result.SetDirection(tuple(float(v) for v in (matrix[:3, :3] / spacing).ravel()))
    result.SetOrigin(tuple(float(v) for v in matrix[:3, 3]))
    return result


def from_sitk(volume: Any) -> tuple[NDArray[np.float32], NDArray[np.float64]]:
    """Voxels ``(i, j, k)`` and the 4×4 affine of a SimpleITK image."""
    sitk = _sitk()
    data = sitk.GetArrayFromImage(volume).transpose(2, 1, 0).astype(np.float32)
    spacing = np.asarray(volume.GetSpacing())
    affine = np.eye(4)
    affine[:3, :3] = np.asarray(volume.GetDirection()).reshape(3, 3) * spacing
    affine[:3, 3] = volume.GetOrigin()
    return data, affine


def transform_matrix(transform: Any) -> NDArray[np.float64]:
    """The 4×4 world matrix (mm) of a rigid or affine SimpleITK transform, read from where it
    maps the origin and the three unit points."""
    points = np.array([[0.0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]])
    mapped = np.array([transform.TransformPoint(tuple(p)) for p in points])
    out = np.eye(4)
    out[:3, 3] = mapped[0]
    out[:3, :3] = (mapped[1:] - mapped[0]).T
    return out


def rotation_angle_deg(matrix: NDArray[np.float64]) -> float:
    """Rotation angle (degrees) of a 4×4 (or 3×3) rigid matrix: ``acos((tr R − 1)/2)``.

    Examples
    --------
    >>> c, s = np.cos(np.radians(5.0)), np.sin(np.radians(5.0))
    >>> round(rotation_angle_deg(np.array([[c, -s, 0], [s, c, 0], [0, 0, 1.0]])), 6)
    5.0
    """
    rotation = np.asarray(matrix, dtype=np.float64)[:3, :3]
    return float(np.degrees(np.arccos(np.clip((np.trace(rotation) - 1.0) / 2.0, -1.0, 1.0))))


def _world_box(image: Image) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    corners = np.array(
        [[i, j, k, 1.0] for i in (0, 1) for j in (0, 1) for k in (0, 1)], dtype=np.float64
    )
    corners[:, :3] *= np.asarray(image.spatial_shape) - 1
    world = corners @ np.asarray(image.affine).T
    return world[:, :3].min(axis=0), world[:, :3].max(axis=0)


def _check_overlap(moving: Image, fixed: Image) -> None:
    lo_m, hi_m = _world_box(moving)
    lo_f, hi_f = _world_box(fixed)
    if np.any(np.minimum(hi_m, hi_f) <= np.maximum(lo_m, lo_f)):
        raise PositrixError(
            "the moving and fixed images do not overlap in space "
            f"(moving x/y/z {np.round(lo_m, 1).tolist()}…{np.round(hi_m, 1).tolist()} mm, "
            f"fixed {np.round(lo_f, 1).tolist()}…{np.round(hi_f, 1).tolist()} mm)",
            field="MOVING",
            fix="check that both are of the same animal and bed position, or pre-align the "
            "moving image's origin (positrix edit)",
        )


@dataclass(frozen=True)
class Registration:
    """A registration result.

    Attributes
    ----------
    transform
        The SimpleITK transform (fixed world → moving world).
    kind
        The last stage run: ``rigid``, ``affine`` or ``bspline``.
    metric
        Final metric value (negative mutual information: lower is better).
    overlap
        Fraction of the fixed image's object that the moving image covers after
        registration (0–1).
    """

    transform: Any
    kind: str
    metric: float
    overlap: float

    def matrix(self) -> NDArray[np.float64]:
        """The 4×4 world matrix of a rigid or affine result (fixed → moving, mm)."""
        if self.kind == "bspline":
            raise PositrixError("a B-spline transform has no matrix", field="--bspline")
        return transform_matrix(self.transform)

    def save(self, path: str | Path) -> Path:
        """Write the transform as an ITK ``.tfm`` text file (refuses to overwrite)."""
        target = Path(path)
        if target.exists():
            raise PositrixError(f"{target} exists", field="-o", fix="choose a new name")
        _sitk().WriteTransform(self.transform, str(target))
        return target


def load_transform(path: str | Path) -> Any:
    """An ITK transform file (``.tfm``/``.txt``/``.h5``) as a SimpleITK transform."""
    try:
        return _sitk().ReadTransform(str(path))
    except RuntimeError as err:
        raise PositrixError(
            f"{path}: not an ITK transform file", field="--transform", fix="give a .tfm file"
        ) from err


def _method(
    sitk: Any, *, bins: int, sampling: float, seed: int, iterations: int, scaled: bool = True
) -> Any:
    method = sitk.ImageRegistrationMethod()
    method.SetMetricAsMattesMutualInformation(numberOfHistogramBins=bins)
    method.SetMetricSamplingStrategy(method.RANDOM)
    method.SetMetricSamplingPercentage(sampling, seed)
    method.SetInterpolator(sitk.sitkLinear)
    method.SetShrinkFactorsPerLevel([4, 2, 1])
    method.SetSmoothingSigmasPerLevel([2, 1, 0])
    method.SmoothingSigmasAreSpecifiedInPhysicalUnitsOff()
    method.SetOptimizerAsRegularStepGradientDescent(
        learningRate=1.0,
        minStep=1e-4,
        numberOfIterations=iterations,
        relaxationFactor=0.6,
        gradientMagnitudeTolerance=1e-8,
    )
    if scaled:  # L-BFGS-B (the B-spline stage) takes no scales
        method.SetOptimizerScalesFromPhysicalShift()
    return method


def _object_overlap(transform: Any, moving: Any, fixed: Any) -> float:
    sitk = _sitk()
    fixed_data = sitk.GetArrayViewFromImage(fixed)
    level = float(np.percentile(fixed_data, 99.0))
    inside = fixed_data > 0.1 * level if level > 0 else np.ones(fixed_data.shape, bool)
    ones = sitk.Image(moving.GetSize(), sitk.sitkFloat32) + 1.0
    ones.CopyInformation(moving)
    covered = sitk.GetArrayViewFromImage(
        sitk.Resample(ones, fixed, transform, sitk.sitkNearestNeighbor, 0.0)
    )
    found = int(np.count_nonzero(covered[inside] > 0))
    return found / max(int(np.count_nonzero(inside)), 1)


def register(
    moving: Image,
    fixed: Image,
    *,
    kind: str = "rigid",
    initialise: str = "moments",
    iterations: int = 200,
    bspline_mesh: int = 4,
    sampling: float = 0.2,
    seed: int = 1,
) -> Registration:
    """Register ``moving`` to ``fixed`` (module docstring).

    Parameters
    ----------
    moving, fixed
        The images (a dynamic image's last frame is used).
    kind
        ``rigid``; ``affine`` (rigid, then affine); ``bspline`` (rigid, affine, then a
        B-spline with ``bspline_mesh`` control intervals per axis).
    initialise
        ``moments`` (centres of mass) or ``geometry`` (image centres).
    iterations
        Optimiser iterations per pyramid level.
    sampling, seed
        Fraction of voxels sampled by the metric, and the sampler's seed.

    Raises
    ------
    PositrixError
        For images that do not overlap, a metric that fails (no common object), or a
        result that leaves most of the fixed object uncovered.
    """
    if kind not in KINDS:
        raise PositrixError(f"unknown registration '{kind}'", field="kind", fix=", ".join(KINDS))
    if initialise not in ("moments", "geometry"):
        raise PositrixError(
            f"unknown start '{initialise}'", field="--initialise", fix="moments or geometry"
        )
    _check_overlap(moving, fixed)
    sitk = _sitk()
    fixed_s, moving_s = to_sitk(fixed), to_sitk(moving)
    mode = (
        sitk.CenteredTransformInitializerFilter.MOMENTS
        if initialise == "moments"
        else sitk.CenteredTransformInitializerFilter.GEOMETRY
    )
    try:
        start = sitk.CenteredTransformInitializer(fixed_s, moving_s, sitk.Euler3DTransform(), mode)
        composite = sitk.CompositeTransform(3)
        stages = KINDS[: KINDS.index(kind) + 1]
        metric = math.nan
        for stage in stages:
            method = _method(
                sitk,
                bins=50,
                sampling=sampling,
                seed=seed,
                iterations=iterations,
                scaled=stage != "bspline",
            )
            if stage == "rigid":
                method.SetInitialTransform(start, inPlace=True)
                method.Execute(fixed_s, moving_s)
                metric = method.GetMetricValue()
                composite = sitk.CompositeTransform(start)
            elif stage == "affine":
                affine = sitk.AffineTransform(3)
                affine.SetMatrix(start.GetMatrix())
                affine.SetTranslation(start.GetTranslation())
                affine.SetCenter(start.GetCenter())
                method.SetInitialTransform(affine, inPlace=True)
                method.Execute(fixed_s, moving_s)
                metric = method.GetMetricValue()
                composite = sitk.CompositeTransform(affine)
                start = affine
            else:
                mesh = [bspline_mesh] * 3
                spline = sitk.BSplineTransformInitializer(fixed_s, mesh)
                method.SetMovingInitialTransform(composite)
                method.SetInitialTransform(spline, inPlace=True)
                method.SetOptimizerAsLBFGSB(numberOfIterations=iterations)
                method.Execute(fixed_s, moving_s)
                metric = method.GetMetricValue()
                composite = sitk.CompositeTransform([composite, spline])
    except RuntimeError as err:
        raise PositrixError(
            "registration failed: the images share too little content "
            f"({str(err).strip().splitlines()[-1][:120]})",
            field="MOVING",
            fix="check that both images show the same animal and overlap; try "
            "--initialise geometry",
        ) from err
    overlap = _object_overlap(composite, moving_s, fixed_s)
    if overlap < 0.2:
        raise PositrixError(
            f"after registration the moving image covers only {overlap:.0%} of the fixed "
            "image's object",
            field="MOVING",
            fix="check that both images show the same animal; try --initialise geometry",
        )
    return Registration(composite, kind, float(metric), overlap)


def resample_with(
    image: Image,
    transform: Any,
    reference: Image,
    *,
    order: int = 1,
    fill: float | None = None,
) -> Image:
    """``image`` (the moving one, any frames) on ``reference``'s grid through ``transform``.

    Parameters
    ----------
    order
        1 linear (activity, CT), 0 nearest neighbour (labels).
    fill
        Value outside ``image`` (default: −1000 for HU, else 0).
    """
    sitk = _sitk()
    interpolator = sitk.sitkNearestNeighbor if order == 0 else sitk.sitkLinear
    default = fill if fill is not None else (-1000.0 if image.unit == "HU" else 0.0)
    target = to_sitk(reference)
    frames = image.data.shape[3] if image.data.ndim == 4 else 1
    out = []
    for f in range(frames):
        moved = sitk.Resample(to_sitk(image, f), target, transform, interpolator, default)
        data, affine = from_sitk(moved)
        out.append(data)
    voxels = np.stack(out, axis=-1) if image.data.ndim == 4 else out[0]
    return image.replace(data=voxels, affine=affine)
