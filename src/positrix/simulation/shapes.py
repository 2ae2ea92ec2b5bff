"""Analytic solids for phantoms: cylinders and ellipsoids in a phantom's own frame (mm).

A shape answers two questions: which points lie inside it (``inside``) and which axis-aligned
box bounds it (``bounds``).  Phantoms place shapes with a :class:`Pose` (a rotation and a
translation from the phantom frame to the scanner frame).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from positrix.errors import PositrixError

__all__ = ["Clipped", "Cylinder", "Ellipsoid", "Oriented", "Pose", "Shape", "rotation_matrix"]


def rotation_matrix(*, about_z_deg: float = 0.0, tilt_x_deg: float = 0.0) -> NDArray[np.float64]:
    """Rotation by ``about_z_deg`` about z, then a tilt by ``tilt_x_deg`` about x (3 × 3)."""
    a, b = np.radians(about_z_deg), np.radians(tilt_x_deg)
    rz = np.array([[np.cos(a), -np.sin(a), 0.0], [np.sin(a), np.cos(a), 0.0], [0.0, 0.0, 1.0]])
    rx = np.array([[1.0, 0.0, 0.0], [0.0, np.cos(b), -np.sin(b)], [0.0, np.sin(b), np.cos(b)]])
    return rx @ rz


@dataclass(frozen=True)
class Pose:
    """Phantom frame → scanner frame: ``x_scanner = rotation · x_phantom + translation_mm``."""

    rotation: tuple[tuple[float, float, float], ...] = ((1, 0, 0), (0, 1, 0), (0, 0, 1))
    translation_mm: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def __post_init__(self) -> None:
        r = np.asarray(self.rotation, dtype=np.float64)
        if (
            r.shape != (3, 3)
            or not np.allclose(r @ r.T, np.eye(3), atol=1e-6)
            or np.linalg.det(r) < 0
        ):
            raise PositrixError("the pose rotation must be a 3 × 3 rotation", field="rotation")

    @classmethod
    def from_angles(
        cls,
        *,
        about_z_deg: float = 0.0,
        tilt_x_deg: float = 0.0,
        flip: bool = False,
        translation_mm: ArrayLike = (0.0, 0.0, 0.0),
    ) -> Pose:
        """A pose from a rotation about the axis, a tilt and an optional end-for-end flip."""
        r = rotation_matrix(about_z_deg=about_z_deg, tilt_x_deg=tilt_x_deg)
        if flip:  # half turn about y: the phantom's +z points to the scanner's −z
            r = r @ np.diag([-1.0, 1.0, -1.0])
        t = np.asarray(translation_mm, dtype=np.float64).reshape(3)
        return cls(
            tuple((float(row[0]), float(row[1]), float(row[2])) for row in r),
            (float(t[0]), float(t[1]), float(t[2])),
        )

    @property
    def matrix(self) -> NDArray[np.float64]:
        """The 3 × 3 rotation."""
        return np.asarray(self.rotation, dtype=np.float64)

    def to_phantom(self, points_mm: NDArray[np.float64]) -> NDArray[np.float64]:
        """Scanner-frame points ``(..., 3)`` in the phantom frame."""
        return (points_mm - np.asarray(self.translation_mm)) @ self.matrix

    def to_scanner(self, points_mm: NDArray[np.float64]) -> NDArray[np.float64]:
        """Phantom-frame points ``(..., 3)`` in the scanner frame."""
        return points_mm @ self.matrix.T + np.asarray(self.translation_mm)


@dataclass(frozen=True)
class Cylinder:
    """A circular cylinder parallel to the phantom's z axis.

    Attributes
    ----------
    radius_mm
        Radius (mm).
    z_range_mm
        Axial extent ``(z_min, z_max)`` (mm).
    centre_xy_mm
        Axis position in the transaxial plane (mm).
    """

    radius_mm: float
    z_range_mm: tuple[float, float]
    centre_xy_mm: tuple[float, float] = (0.0, 0.0)

    def __post_init__(self) -> None:
        if not self.radius_mm > 0 or not self.z_range_mm[1] > self.z_range_mm[0]:
            raise PositrixError(
                f"a cylinder needs a radius > 0 and z_max > z_min, got r={self.radius_mm}, "
                f"z={self.z_range_mm}",
                field="cylinder",
            )

    def inside(self, points_mm: NDArray[np.float64]) -> NDArray[np.bool_]:
        """Which points ``(..., 3)`` lie inside."""
        dx = points_mm[..., 0] - self.centre_xy_mm[0]
        dy = points_mm[..., 1] - self.centre_xy_mm[1]
        z = points_mm[..., 2]
        return (
            (dx * dx + dy * dy <= self.radius_mm**2)
            & (z >= self.z_range_mm[0])
            & (z <= self.z_range_mm[1])
        )

    def bounds(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Lower and upper corners of the bounding box (mm)."""
        cx, cy = self.centre_xy_mm
        r = self.radius_mm
        return (
            np.array([cx - r, cy - r, self.z_range_mm[0]]),
            np.array([cx + r, cy + r, self.z_range_mm[1]]),
        )

    def volume_ml(self) -> float:
        """Volume (mL)."""
        return float(np.pi * self.radius_mm**2 * np.diff(self.z_range_mm)[0] / 1000.0)


@dataclass(frozen=True)
class Ellipsoid:
    """An ellipsoid with axes along the phantom's x, y and z.

    Attributes
    ----------
    centre_mm
        Centre (mm).
    semi_axes_mm
        Semi-axes along x, y and z (mm).
    """

    centre_mm: tuple[float, float, float]
    semi_axes_mm: tuple[float, float, float]

    def __post_init__(self) -> None:
        if min(self.semi_axes_mm) <= 0:
            raise PositrixError(
                f"ellipsoid semi-axes must be > 0, got {self.semi_axes_mm}", field="semi_axes_mm"
            )

    def inside(self, points_mm: NDArray[np.float64]) -> NDArray[np.bool_]:
        """Which points ``(..., 3)`` lie inside."""
        scaled = (points_mm - np.asarray(self.centre_mm)) / np.asarray(self.semi_axes_mm)
        return np.einsum("...i,...i->...", scaled, scaled) <= 1.0

    def bounds(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Lower and upper corners of the bounding box (mm)."""
        c, a = np.asarray(self.centre_mm), np.asarray(self.semi_axes_mm)
        return c - a, c + a

    def volume_ml(self) -> float:
        """Volume (mL)."""
        return float(4.0 / 3.0 * np.pi * np.prod(self.semi_axes_mm) / 1000.0)


@dataclass(frozen=True)
class Clipped:
    """Part of an ellipsoid: ``z`` in ``z_range_mm`` and, about the ellipsoid's centre, an
    azimuth (``atan2(y, x)``, degrees) in ``azimuth_deg`` (may wrap through ±180°).

    Used for the heart: the left ventricle cut at its base, and infarct sectors.
    """

    ellipsoid: Ellipsoid
    z_range_mm: tuple[float, float] = (-np.inf, np.inf)
    azimuth_deg: tuple[float, float] = (-180.0, 180.0)

    def inside(self, points_mm: NDArray[np.float64]) -> NDArray[np.bool_]:
        """Which points ``(..., 3)`` lie inside."""
        z = points_mm[..., 2]
        keep = self.ellipsoid.inside(points_mm) & (z >= self.z_range_mm[0])
        keep &= z <= self.z_range_mm[1]
        low, high = self.azimuth_deg
        if high - low >= 360.0:
            return keep
        c = np.asarray(self.ellipsoid.centre_mm)
        angle = np.degrees(np.arctan2(points_mm[..., 1] - c[1], points_mm[..., 0] - c[0]))
        return keep & (np.mod(angle - low, 360.0) <= np.mod(high - low, 360.0))

    def bounds(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Lower and upper corners of the bounding box (mm)."""
        low, high = self.ellipsoid.bounds()
        low[2] = max(low[2], self.z_range_mm[0])
        high[2] = min(high[2], self.z_range_mm[1])
        return low, high

    def volume_ml(self) -> float:
        """Volume (mL), by sampling the bounding box at the centres of 64³ cells."""
        low, high = self.bounds()
        axes = [a + (np.arange(64) + 0.5) * (b - a) / 64 for a, b in zip(low, high, strict=True)]
        points = np.stack(np.meshgrid(*axes, indexing="ij"), -1)
        return float(self.inside(points).mean() * np.prod(high - low) / 1000.0)


@dataclass(frozen=True)
class Oriented:
    """Another shape turned and moved: its own frame → the phantom frame by ``pose``."""

    shape: Cylinder | Ellipsoid | Clipped
    pose: Pose

    def inside(self, points_mm: NDArray[np.float64]) -> NDArray[np.bool_]:
        """Which points ``(..., 3)`` (phantom frame) lie inside."""
        return self.shape.inside(self.pose.to_phantom(points_mm))

    def bounds(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Box around the turned box of the shape (mm)."""
        low, high = self.shape.bounds()
        corners = np.array(
            [
                [x, y, z]
                for x in (low[0], high[0])
                for y in (low[1], high[1])
                for z in (low[2], high[2])
            ]
        )
        moved = self.pose.to_scanner(corners)
        return moved.min(axis=0), moved.max(axis=0)

    def volume_ml(self) -> float:
        """Volume (mL), unchanged by a rigid move."""
        return self.shape.volume_ml()


Shape = Cylinder | Ellipsoid | Clipped | Oriented
