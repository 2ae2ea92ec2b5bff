"""Parallax (depth-of-interaction) blur of a ring scanner, and what DOI layers win back.

A photon from a point ``r`` mm off the axis reaches the ring (radius ``R`` at the crystal
faces) at an angle whose sine is at most ``r/√(r² + R²)`` for the radial direction
(Derenzo's approximation); not knowing where along the crystal depth ``d`` it interacted
smears the LOR radially over ``d·r/√(r² + R²)``.  With ``L`` equal DOI layers the unknown
depth is ``d/L``.  The smear is a box; its variance ``w²/12`` is added to the Gaussian
resolution at the centre, so the radial FWHM is

``FWHM(r) = √(FWHM₀² + 8 ln 2 · w²/12)``,  ``w = (d/L)·r/√(r² + R²)``.

It is a design estimate (the simulator and the NEMA analysis measure the real figure).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from positrix.errors import PositrixError

__all__ = ["parallax_width_mm", "radial_fwhm_mm"]


def parallax_width_mm(
    radius_mm: ArrayLike, *, ring_radius_mm: float, depth_mm: float, layers: int = 1
) -> NDArray[np.float64]:
    """Radial smear ``w`` (mm) of LORs from points ``radius_mm`` off the axis.

    Examples
    --------
    >>> round(float(parallax_width_mm(25.0, ring_radius_mm=80.0, depth_mm=20.0)), 3)
    5.965
    """
    if not (ring_radius_mm > 0 and depth_mm > 0) or layers < 1:
        raise PositrixError(
            "ring radius and crystal depth must be > 0 mm and layers ≥ 1", field="depth_mm"
        )
    r = np.abs(np.asarray(radius_mm, dtype=np.float64))
    return np.asarray(depth_mm / layers * r / np.sqrt(r * r + ring_radius_mm**2), dtype=np.float64)


def radial_fwhm_mm(
    radius_mm: ArrayLike,
    *,
    centre_fwhm_mm: float,
    ring_radius_mm: float,
    depth_mm: float,
    layers: int = 1,
) -> NDArray[np.float64]:
    """Radial FWHM (mm) at ``radius_mm`` (module docstring)."""
    if not centre_fwhm_mm > 0:
        raise PositrixError("the centre FWHM must be > 0 mm", field="centre_fwhm_mm")
    w = parallax_width_mm(
        radius_mm, ring_radius_mm=ring_radius_mm, depth_mm=depth_mm, layers=layers
    )
    return np.asarray(
        np.sqrt(centre_fwhm_mm**2 + 8.0 * np.log(2.0) * w * w / 12.0), dtype=np.float64
    )
