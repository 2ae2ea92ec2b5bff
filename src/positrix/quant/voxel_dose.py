"""Voxel dosimetry: PET images at one or more times → time-integrated activity map →
absorbed-dose image by dose-kernel convolution (:mod:`positrix.physics.dose_kernel`).

Each frame is placed at its mid-time after injection; decay-corrected images are
un-corrected to the activity physically present (``decay_reference``).  The map is
integrated voxel by voxel by trapezoids from injection (0 at t = 0) with the physical
tail after the last frame (:func:`positrix.physics.tia.tia_trapezoid`): with a single
time point that is "physical decay only after the scan", an upper bound for tissue that
clears.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from positrix.errors import PositrixError
from positrix.image.image import Image
from positrix.physics.decay import half_life_s as dataset_half_life
from positrix.physics.dose_kernel import dose_map_gy
from positrix.physics.tia import tia_trapezoid
from positrix.physics.units import concentration_factor

__all__ = ["VoxelDose", "tia_map", "voxel_dose"]


@dataclass(frozen=True)
class VoxelDose:
    """A dose image and how it was made.

    Attributes
    ----------
    dose
        Absorbed dose image, unit ``Gy``.
    tia_bq_s
        Decays per voxel, shape of the image.
    times_s
        Frame mid-times after injection used, s.
    nuclide
        The nuclide.
    """

    dose: Image
    tia_bq_s: NDArray[np.float64]
    times_s: tuple[float, ...]
    nuclide: str


def _nuclide(images: list[Image]) -> str:
    names = {
        img.injection.nuclide.name
        for img in images
        if img.injection is not None and img.injection.nuclide is not None
    }
    if len(names) != 1:
        raise PositrixError(
            f"the images name {'no nuclide' if not names else sorted(names)}",
            field="nuclide",
            fix="set it with positrix edit --nuclide, or give --nuclide",
        )
    return names.pop()


def _frames(image: Image, nuclide: str) -> list[tuple[float, NDArray[np.float64]]]:
    """(seconds after injection, Bq per voxel physically present) per frame."""
    injection = image.injection.injection_time if image.injection else None
    if injection is None or image.frames is None or image.frames.acquisition_start is None:
        raise PositrixError(
            "the image lacks the injection time or the scan start",
            field="injection_time",
            fix="set them with positrix edit --injection-time (and a scan start in the file)",
        )
    lam = math.log(2.0) / dataset_half_life(nuclide)
    to_bq_ml = concentration_factor(image.unit, field="unit")
    offset = (image.frames.acquisition_start - injection).total_seconds()
    out = []
    for index, mid in enumerate(image.frames.mid_s):
        t = offset + float(mid)
        values = np.asarray(image.frame_data(index), dtype=np.float64) * to_bq_ml
        if image.decay_reference is not None:
            since_reference = t - (image.decay_reference - injection).total_seconds()
            values = values * math.exp(-lam * since_reference)
        out.append((t, values * image.voxel_volume_ml))
    return out


def tia_map(
    images: list[Image], *, nuclide: str | None = None
) -> tuple[NDArray[np.float64], tuple[float, ...]]:
    """Decays per voxel (Bq·s) and the frame times (s after injection) used.

    Raises
    ------
    PositrixError
        When the images are on different grids, share a time, or lack timing.
    """
    name = nuclide or _nuclide(images)
    grid = images[0].grid
    if any(img.grid != grid for img in images[1:]):
        raise PositrixError(
            "the images are on different voxel grids",
            field="image",
            fix="resample them onto one grid first (positrix resample)",
        )
    frames = sorted((f for img in images for f in _frames(img, name)), key=lambda f: f[0])
    times = np.array([t for t, _ in frames])
    if np.any(times < 0) or np.any(np.diff(times) <= 0):
        raise PositrixError(
            f"frame times after injection {times.tolist()} s are not distinct and ≥ 0",
            field="injection_time",
            fix="check the injection and scan times of the images",
        )
    stack = np.stack([values for _, values in frames])
    tia = tia_trapezoid(times, stack, half_life_s=dataset_half_life(name))
    return tia, tuple(times.tolist())


def voxel_dose(
    images: list[Image],
    *,
    nuclide: str | None = None,
    density_g_ml: NDArray[np.floating] | float = 1.0,
) -> VoxelDose:
    """Absorbed dose image (Gy) from PET images of one animal at one or more times."""
    name = nuclide or _nuclide(images)
    tia, times = tia_map(images, nuclide=name)
    dose = dose_map_gy(tia, name, voxel_mm=images[0].voxel_size_mm, density_g_ml=density_g_ml)
    first = images[0]
    image = Image(
        dose.astype(np.float32),
        first.affine,
        unit="Gy",
        modality="OT",
        subject=first.subject,
        injection=first.injection,
        description=f"absorbed dose ({name}, kernel convolution)",
    )
    return VoxelDose(dose=image, tia_bq_s=tia, times_s=times, nuclide=name)
