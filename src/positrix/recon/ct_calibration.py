"""Hounsfield calibration of reconstructed attenuation from a water/air phantom scan.

``HU = 1000 · (µ − µ_water) / (µ_water − µ_air)``, with ``µ_water`` and ``µ_air`` the means
of a water cylinder and of the air around it in a scan made with the same tube voltage,
filtration and reconstruction.  The phantom is found without user input: the largest
connected region above half the water level is the cylinder; its voxels at least
``margin_mm`` inside its surface, in the middle 60 % of its length, are water (the
cone-beam ends are left out), and the voxels ``margin_mm`` or more outside it, inside the
reconstructed field of view and over the same slices, are air.

The calibration is saved as TOML (``positrix ct calibrate -o FILE``) and, where a facility
database exists, as a ``ct_hu`` calibration record of the CT instrument.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage

from positrix.errors import FileFormatError, PositrixError

__all__ = ["HUCalibration", "calibrate_water_air", "load_calibration", "save_calibration"]


@dataclass(frozen=True)
class HUCalibration:
    """µ of water and air (1/mm) measured on a phantom, and how they were measured.

    Attributes
    ----------
    mu_water_per_mm, mu_air_per_mm
        Mean reconstructed attenuation in water and in air (1/mm).
    water_sd_hu
        Voxel standard deviation in water after calibration (HU): the scan's noise.
    water_voxels, air_voxels
        Voxels averaged.
    setting
        Tube voltage and filtration, e.g. ``"50 kV, 0.5 mm Al"``.
    """

    mu_water_per_mm: float
    mu_air_per_mm: float
    water_sd_hu: float = 0.0
    water_voxels: int = 0
    air_voxels: int = 0
    setting: str = ""

    def __post_init__(self) -> None:
        w, a = self.mu_water_per_mm, self.mu_air_per_mm
        if not (math.isfinite(w) and math.isfinite(a) and w > 0 and w > a):
            raise PositrixError(
                f"µ_water = {w:g} /mm, µ_air = {a:g} /mm",
                field="mu_water_per_mm",
                fix="water must attenuate more than air (is the phantom in the scan?)",
            )

    def to_hu(self, mu_per_mm: ArrayLike) -> NDArray[np.float32]:
        """CT numbers (HU) of attenuation values (1/mm).

        Examples
        --------
        >>> cal = HUCalibration(0.05, 0.0005)
        >>> cal.to_hu([0.05, 0.0005, 0.1]).round(1).tolist()
        [0.0, -1000.0, 1010.1]
        """
        mu = np.asarray(mu_per_mm, dtype=np.float64)
        hu = 1000.0 * (mu - self.mu_water_per_mm) / (self.mu_water_per_mm - self.mu_air_per_mm)
        return hu.astype(np.float32)


def _phantom_mask(mu: NDArray[np.float64]) -> NDArray[np.bool_]:
    level = float(np.percentile(mu, 99.0))
    if not level > 0:
        raise PositrixError(
            "the reconstruction holds no attenuating object",
            field="PHANTOM",
            fix="scan a water-filled cylinder (in air) at the protocol's tube settings",
        )
    labels, count = ndimage.label(mu > 0.5 * level)
    sizes = ndimage.sum_labels(np.ones_like(mu), labels, index=np.arange(1, count + 1))
    return np.asarray(labels == 1 + int(np.argmax(sizes)))


def calibrate_water_air(
    mu_per_mm: ArrayLike,
    voxel_size_mm: float,
    *,
    margin_mm: float = 1.0,
    fov_radius_mm: float | None = None,
    setting: str = "",
) -> HUCalibration:
    """Measure µ of water and air on a reconstructed phantom, ``(nx, ny, nz)`` in 1/mm
    (module docstring).

    Raises
    ------
    PositrixError
        When no cylinder is found, or the water or air region is empty (a phantom too
        small for the margin, or filling the whole field of view).
    """
    mu = np.asarray(mu_per_mm, dtype=np.float64)
    if mu.ndim != 3:
        raise PositrixError("the phantom reconstruction must be 3-D", field="PHANTOM")
    phantom = _phantom_mask(mu)
    inside = ndimage.distance_transform_edt(phantom, sampling=voxel_size_mm) >= margin_mm
    outside = ndimage.distance_transform_edt(~phantom, sampling=voxel_size_mm) >= margin_mm
    slices = np.flatnonzero(phantom.any(axis=(0, 1)))
    z0, z1 = slices[0], slices[-1]
    keep = np.zeros(mu.shape[2], bool)
    keep[z0 + int(0.2 * (z1 - z0)) : z1 - int(0.2 * (z1 - z0)) + 1] = True
    nx, ny = mu.shape[:2]
    x = (np.arange(nx) - (nx - 1) / 2.0)[:, None] * voxel_size_mm
    y = (np.arange(ny) - (ny - 1) / 2.0)[None, :] * voxel_size_mm
    radius = fov_radius_mm or 0.5 * min(nx, ny) * voxel_size_mm
    in_fov = (x**2 + y**2 <= (0.95 * radius) ** 2)[:, :, None]
    water = inside & keep[None, None, :]
    air = outside & in_fov & keep[None, None, :]
    if not water.any() or not air.any():
        raise PositrixError(
            f"found {int(water.sum())} water and {int(air.sum())} air voxels",
            field="PHANTOM",
            fix="scan a water cylinder that leaves air around it inside the field of view",
        )
    mu_w, mu_a = float(mu[water].mean()), float(mu[air].mean())
    sd_hu = 1000.0 * float(mu[water].std()) / (mu_w - mu_a)  # HU is linear in µ
    return HUCalibration(mu_w, mu_a, sd_hu, int(water.sum()), int(air.sum()), setting)


def save_calibration(calibration: HUCalibration, path: str | Path) -> Path:
    """Write ``calibration`` as TOML (refuses to overwrite an existing file)."""
    target = Path(path)
    if target.exists():
        raise PositrixError(
            f"{target} exists", field="-o", fix="choose a new file name (nothing is overwritten)"
        )
    lines = [
        f"{key} = {value!r}" if isinstance(value, int | float) else f'{key} = "{value}"'
        for key, value in asdict(calibration).items()
    ]
    target.write_text("# Positrix CT Hounsfield calibration\n" + "\n".join(lines) + "\n")
    return target


def load_calibration(path: str | Path) -> HUCalibration:
    """Read a calibration TOML written by :func:`save_calibration`."""
    source = Path(path)
    try:
        table = tomllib.loads(source.read_text("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise FileFormatError(f"not TOML ({err})", source=source) from err
    for key in ("mu_water_per_mm", "mu_air_per_mm"):
        if not isinstance(table.get(key), int | float):
            raise FileFormatError(
                f"{key} missing or not a number",
                source=source,
                field=key,
                fix="write it with `positrix ct calibrate`",
            )
    known = set(HUCalibration.__dataclass_fields__)
    return HUCalibration(**{k: v for k, v in table.items() if k in known})
