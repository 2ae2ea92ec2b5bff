"""Attenuation: CT numbers → µ at 511 keV (bilinear), and attenuation factors of a sinogram.

Bilinear conversion (Carney, Townsend, Rappoport & Bendriem, Med Phys 33:976, 2006):
``µ = 9.6·10⁻⁵ · (HU + 1000)`` cm⁻¹ up to a break point, then ``a · (HU + 1000) + b``, with
``a, b`` and the break point per tube voltage (table 1 of the paper, 80–140 kVp).  For other
voltages (micro-CT often runs at 50–80 kVp) give ``slope`` and ``intercept`` measured with a
bone-equivalent insert.  Attenuation factors are ``exp(−∫µ dl)`` along each bin's LOR.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from positrix.errors import PositrixError
from positrix.geometry.sinogram import SinogramLayout
from positrix.recon.sinogram_projector import SinogramProjector

__all__ = ["CARNEY_2006", "MU_WATER_511_PER_MM", "attenuation_factors", "hu_to_mu"]

#: µ of water at 511 keV (1/mm), the slope of the soft-tissue branch (Carney et al. 2006).
MU_WATER_511_PER_MM = 0.0096
#: kVp → (a in cm⁻¹ per HU, b in cm⁻¹, break point in HU), Carney et al. 2006, table 1.
CARNEY_2006: dict[int, tuple[float, float, float]] = {
    80: (3.64e-5, 6.26e-2, 50.0),
    100: (4.43e-5, 5.44e-2, 52.0),
    110: (4.92e-5, 4.88e-2, 43.0),
    120: (5.10e-5, 4.71e-2, 47.0),
    130: (5.51e-5, 4.24e-2, 37.0),
    140: (5.64e-5, 4.08e-2, 30.0),
}


def hu_to_mu(
    hu: ArrayLike,
    *,
    kvp: float | None = None,
    slope: float | None = None,
    intercept: float | None = None,
) -> NDArray[np.float32]:
    """µ at 511 keV in 1/mm from CT numbers (HU), bilinear.

    Parameters
    ----------
    hu
        CT numbers (HU).
    kvp
        Tube voltage, one of 80, 100, 110, 120, 130, 140 (Carney et al. 2006).
    slope, intercept
        Bone branch ``µ = slope·(HU + 1000) + intercept`` in cm⁻¹ (instead of ``kvp``); the
        break point is where it meets the water branch.
    """
    values = np.asarray(hu, dtype=np.float64)
    if kvp is not None:
        key = round(float(kvp))
        if key not in CARNEY_2006 or abs(key - float(kvp)) > 0.5:
            raise PositrixError(
                f"no published bilinear coefficients for {kvp} kVp",
                field="kvp",
                fix="use 80, 100, 110, 120, 130 or 140 kVp, or give slope and intercept "
                "measured with a bone-equivalent insert",
            )
        a, b, _ = CARNEY_2006[key]
    elif slope is not None and intercept is not None:
        a, b = float(slope), float(intercept)
        if not (0 < a < 9.6e-5 and b > 0):
            raise PositrixError(
                f"bone branch slope {a:g} / intercept {b:g} cm⁻¹: the slope must lie between 0 "
                "and water's 9.6e-5 per HU and the intercept be > 0 (it meets water above 0 HU)",
                field="slope",
                fix="fit µ = slope·(HU + 1000) + intercept to a bone-equivalent insert",
            )
    else:
        raise PositrixError(
            "give the CT tube voltage or the bone branch",
            field="kvp",
            fix="pass kvp=… or slope=… and intercept=…",
        )
    shifted = np.clip(values + 1000.0, 0.0, None)
    water = 9.6e-5 * shifted
    bone = a * shifted + b
    # the branches meet where 9.6e-5·x = a·x + b; above it bone is the smaller (a < 9.6e-5)
    mu_per_cm = np.minimum(water, bone)
    return (mu_per_cm / 10.0).astype(np.float32)


def attenuation_factors(
    layout: SinogramLayout,
    mu_per_mm: ArrayLike,
    voxel_size_mm: ArrayLike,
    *,
    image_shape: tuple[int, int, int] | None = None,
) -> NDArray[np.float32]:
    """``exp(−∫µ dl)`` for every bin (µ-map on the reconstruction grid, 1/mm).

    ``image_shape`` (the reconstruction grid) is checked against the µ-map.
    """
    mu = np.asarray(mu_per_mm, dtype=np.float32)
    if image_shape is not None and tuple(mu.shape) != tuple(image_shape):
        raise PositrixError(
            f"µ-map grid {mu.shape} differs from the reconstruction grid {tuple(image_shape)}",
            field="mu-map",
            fix="resample the µ-map onto the reconstruction grid (positrix.image.resample)",
        )
    if np.any(mu < 0) or not np.all(np.isfinite(mu)):
        raise PositrixError("µ-map values must be finite and ≥ 0", field="mu-map")
    if mu.max(initial=0.0) > 0.1:
        raise PositrixError(
            f"µ-map maximum {mu.max():.3g}/mm is far above bone at 511 keV (≈ 0.017/mm)",
            field="mu-map",
            fix="give µ in 1/mm (divide 1/cm values by 10) or convert HU with hu_to_mu",
        )
    projector = SinogramProjector(layout, mu.shape, voxel_size_mm)
    return np.exp(-projector.apply(mu)).astype(np.float32)
