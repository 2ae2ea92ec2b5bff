"""CT phantoms in Hounsfield units on an isocentre-centred isotropic grid: the 3-D
Shepp–Logan head, a water calibration cylinder, and the digital mouse."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from positrix.errors import PositrixError

__all__ = ["CT_PHANTOMS", "ct_phantom", "digital_mouse_hu", "shepp_logan_3d", "water_cylinder"]

#: 3-D Shepp–Logan (Kak & Slaney 1988, section 3.5, extended to 3-D; the contrasts of
#: Toft's "modified" version):
#: value, semi-axes (a, b, c), centre (x, y, z), rotation about z (degrees), in units of the
#: half field of view.
_SHEPP_LOGAN = (
    (1.0, (0.69, 0.92, 0.81), (0.0, 0.0, 0.0), 0.0),
    (-0.8, (0.6624, 0.874, 0.78), (0.0, -0.0184, 0.0), 0.0),
    (-0.2, (0.11, 0.31, 0.22), (0.22, 0.0, 0.0), -18.0),
    (-0.2, (0.16, 0.41, 0.28), (-0.22, 0.0, 0.0), 18.0),
    (0.1, (0.21, 0.25, 0.41), (0.0, 0.35, -0.15), 0.0),
    (0.1, (0.046, 0.046, 0.05), (0.0, 0.1, 0.25), 0.0),
    (0.1, (0.046, 0.046, 0.05), (0.0, -0.1, 0.25), 0.0),
    (0.1, (0.046, 0.023, 0.05), (-0.08, -0.605, 0.0), 0.0),
    (0.1, (0.023, 0.023, 0.02), (0.0, -0.606, 0.0), 0.0),
    (0.1, (0.023, 0.046, 0.02), (0.06, -0.605, 0.0), 0.0),
)


def _coordinates(shape: tuple[int, int, int], voxel_mm: float) -> list[NDArray[np.float64]]:
    axes = [(np.arange(n) - (n - 1) / 2.0) * voxel_mm for n in shape]
    return list(np.meshgrid(*axes, indexing="ij", sparse=True))


def shepp_logan_3d(shape: tuple[int, int, int]) -> NDArray[np.float32]:
    """The modified 3-D Shepp–Logan head filling ``shape`` (values 0…1, head interior 0.2).

    Examples
    --------
    >>> head = shepp_logan_3d((64, 64, 64))
    >>> float(head[32, 32, 32]), float(head.max())
    (0.2, 1.0)
    """
    x, y, z = _coordinates(shape, 1.0)
    half = (np.asarray(shape, dtype=np.float64) - 1) / 2.0
    x, y, z = x / half[0], y / half[1], z / half[2]
    out = np.zeros(shape, np.float64)
    for value, (a, b, c), (x0, y0, z0), phi in _SHEPP_LOGAN:
        cos, sin = np.cos(np.radians(phi)), np.sin(np.radians(phi))
        u = (x - x0) * cos + (y - y0) * sin
        v = -(x - x0) * sin + (y - y0) * cos
        out += value * ((u / a) ** 2 + (v / b) ** 2 + ((z - z0) / c) ** 2 <= 1.0)
    return out.astype(np.float32)


def water_cylinder(
    shape: tuple[int, int, int], voxel_mm: float, *, radius_mm: float, length_mm: float
) -> NDArray[np.float32]:
    """A water cylinder (0 HU) along z in air (−1000 HU), centred."""
    x, y, z = _coordinates(shape, voxel_mm)
    inside = (x**2 + y**2 <= radius_mm**2) & (np.abs(z) <= length_mm / 2.0)
    return np.where(inside, 0.0, -1000.0).astype(np.float32)


def digital_mouse_hu(shape: tuple[int, int, int], voxel_mm: float) -> NDArray[np.float32]:
    """The digital mouse's CT numbers (partial volumes sampled 2 × 2 × 2 per voxel)."""
    from positrix.image.grid import affine_from_spacing
    from positrix.simulation.digital_mouse import digital_mouse

    origin = -(np.asarray(shape) - 1) / 2.0 * voxel_mm
    affine = affine_from_spacing([voxel_mm] * 3, origin_mm=origin)
    return digital_mouse().voxelise(shape, affine, supersample=2).hu.astype(np.float32)


#: Phantom names of ``positrix ct simulate``.
CT_PHANTOMS = ("water", "mouse", "shepp-logan")


def ct_phantom(name: str, shape: tuple[int, int, int], voxel_mm: float) -> NDArray[np.float32]:
    """A named phantom in HU: ``water`` (a Ø 25 mm × 40 mm cylinder, the mouse-sized
    calibration phantom), ``mouse``, or ``shepp-logan`` (values × 1000 HU − 1000, so the
    skull is 0 HU and the brain −800 HU)."""
    if name == "water":
        return water_cylinder(shape, voxel_mm, radius_mm=12.5, length_mm=40.0)
    if name == "mouse":
        return digital_mouse_hu(shape, voxel_mm)
    if name == "shepp-logan":
        return (shepp_logan_3d(shape) * 1000.0 - 1000.0).astype(np.float32)
    raise PositrixError(
        f"unknown CT phantom '{name}'", field="PHANTOM", fix="use " + ", ".join(CT_PHANTOMS)
    )
