"""Region statistics per VOI and frame, vectorised over all regions at once.

Statistics use the partial-voxel weights ``w`` of each VOI:

- ``mean = Σ w·x / Σ w``; ``sd`` the weighted sample standard deviation
  ``sqrt(Σ w (x − mean)² / (Σ w − Σ w² / Σ w))`` (the usual ``n − 1`` form when all
  ``w = 1``);
- ``median``, ``min`` and ``max`` over the voxels whose centre is inside (``w ≥ 0.5``;
  all touched voxels for a VOI smaller than that);
- ``volume_ml = Σ w · voxel volume``; ``n_voxels`` the voxels with ``w > 0``;
- ``total_activity_bq = mean · volume`` for activity-concentration images;
- ``peak``: the highest mean of the image within a sphere of ``peak_ml`` centred on a voxel
  of the VOI (PERCIST's SUVpeak with a 1 mL sphere in patients; see :func:`default_peak_ml`).

Calculation modes, as in AMIDE: ``"all"`` voxels, ``"fraction_of_max"`` (voxels ≥ a fraction
of the VOI's maximum in that frame), ``"top_fraction"`` (the highest fraction of the voxels),
``"above"`` (voxels ≥ a value).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import fft as sp_fft
from scipy import ndimage

from positrix.errors import PositrixError
from positrix.image.grid import Grid, affine_from_spacing
from positrix.image.image import Image
from positrix.physics.units import concentration_factor, is_concentration_unit
from positrix.quant._region_kernel import MODE_CODES, region_moments
from positrix.quant.voi import VOI, sphere

__all__ = ["MODES", "RegionStats", "default_peak_ml", "peak_image", "region_stats"]

MODES = tuple(MODE_CODES)

#: Default peak-sphere volume per species (mL).  Patients: 1 mL (PERCIST).  Mouse: 0.02 mL,
#: a sphere 3.4 mm across, about twice the FWHM of a micro-PET; rat: 0.1 mL (5.8 mm).
PEAK_ML = {
    "human": 1.0,
    "homo sapiens": 1.0,
    "patient": 1.0,
    "mus musculus": 0.02,
    "mouse": 0.02,
    "rattus norvegicus": 0.1,
    "rat": 0.1,
}


@dataclass(frozen=True)
class RegionStats:
    """Statistics of one region in one frame (values in ``unit``).

    Attributes
    ----------
    region, frame
        Region name and frame index (0-based).
    frame_start_s, frame_duration_s
        The frame's start from the acquisition start and its duration (s); ``None`` for an
        image without frame times.
    mean, sd, median, min, max
        Voxel statistics in ``unit`` (SD with n − 1).
    peak, peak_ml
        Highest mean in a sphere of ``peak_ml`` mL centred on a VOI voxel (``None`` if not
        computed).  The sphere may reach outside the VOI, so ``peak`` can exceed ``max``.
    volume_ml, n_voxels
        VOI volume (mL, partial voxels weighted) and voxel count.
    total_activity_bq
        ``mean × volume`` in Bq for concentration images, else ``None``.
    unit
        Unit of the values.
    """

    region: str
    frame: int
    mean: float
    sd: float
    median: float
    min: float
    max: float
    peak: float | None
    volume_ml: float
    n_voxels: int
    total_activity_bq: float | None
    unit: str
    frame_start_s: float | None = None
    frame_duration_s: float | None = None
    peak_ml: float | None = None

    @property
    def note(self) -> str:
        """Why a number needs a word (SUVpeak above the VOI's max), else ``""``."""
        if self.peak is not None and self.peak > self.max * (1 + 1e-9) + 1e-12:
            return (
                f"peak > max: the {self.peak_ml:g} mL peak sphere reaches beyond the VOI "
                "into hotter tissue"
            )
        return ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (with ``note``)."""
        return {**asdict(self), "note": self.note}


def default_peak_ml(image: Image) -> float:
    """Peak-sphere volume for the image's species (1 mL when unknown or human)."""
    species = image.subject.species if image.subject is not None else None
    return PEAK_ML.get((species or "human").strip().lower(), 1.0)


def _segments(
    vois: Sequence[VOI],
) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.intp]]:
    index = np.concatenate([v.index for v in vois])
    weight = np.concatenate([v.weight for v in vois])
    counts = np.array([v.n_voxels for v in vois])
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.intp)
    return index, weight, starts


def _sphere_kernel(grid: Grid, volume_ml: float) -> NDArray[np.float64]:
    """Normalised partial-voxel sphere of ``volume_ml`` in the grid's voxel spacing."""
    radius = (3.0 * volume_ml * 1000.0 / (4.0 * np.pi)) ** (1.0 / 3.0)
    sizes = np.asarray(grid.voxel_size_mm)
    half = np.ceil(radius / sizes).astype(int)
    shape = tuple(2 * half + 1)
    local = Grid(shape, affine_from_spacing(sizes, origin_mm=-half * sizes))
    kernel = sphere(local, (0.0, 0.0, 0.0), radius, samples=7).mask()
    return kernel / kernel.sum()


def peak_image(volume: NDArray[np.floating], grid: Grid, peak_ml: float) -> NDArray[np.float64]:
    """Mean of ``volume`` (3-D, or 4-D with frames last) in a sphere of ``peak_ml`` centred
    on every voxel; voxels outside the image count as 0."""
    data = np.asarray(volume, dtype=np.float64)
    if data.ndim == 3:
        return peak_image(data[..., np.newaxis], grid, peak_ml)[..., 0]
    missing = ~np.isfinite(data)
    if missing.any():  # NaN voxels are left out of each sphere's mean, not spread by the FFT
        total = peak_image(np.where(missing, 0.0, data), grid, peak_ml)
        share = peak_image(missing.astype(np.float64), grid, peak_ml)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(share < 1 - 1e-9, total / (1.0 - share), np.nan)
    kernel = _sphere_kernel(grid, peak_ml)
    if kernel.size <= 27:
        frames = [
            ndimage.correlate(data[..., t], kernel, mode="constant") for t in range(data.shape[3])
        ]
        return np.stack(frames, axis=-1)
    # FFT correlation of all frames at once (the kernel is symmetric: correlation = convolution)
    half = np.array(kernel.shape) // 2
    shape = [
        sp_fft.next_fast_len(int(n + k - 1), real=True)
        for n, k in zip(data.shape[:3], kernel.shape, strict=True)
    ]
    spectrum = sp_fft.rfftn(kernel, shape, axes=(0, 1, 2), workers=-1)
    result = sp_fft.irfftn(
        sp_fft.rfftn(data, shape, axes=(0, 1, 2), workers=-1) * spectrum[..., np.newaxis],
        shape,
        axes=(0, 1, 2),
        workers=-1,
    )
    crop = tuple(slice(h, h + n) for h, n in zip(half, data.shape[:3], strict=True))
    return result[crop]


def _peaks(image: Image, vois: Sequence[VOI], peak_ml: float) -> NDArray[np.float64]:
    """Peak per VOI and frame, shape ``(n_vois, n_frames)``; only the VOIs' box is filtered."""
    centres = [v.index[v.weight >= 0.5] if np.any(v.weight >= 0.5) else v.index for v in vois]
    every = np.concatenate(centres)
    ijk = np.array(np.unravel_index(every, image.spatial_shape))
    kernel_half = np.ceil(
        (3 * peak_ml * 1000 / (4 * np.pi)) ** (1 / 3) / np.asarray(image.voxel_size_mm)
    ).astype(int)
    low = np.maximum(ijk.min(axis=1) - kernel_half, 0)
    high = np.minimum(ijk.max(axis=1) + kernel_half + 1, image.spatial_shape)
    box = tuple(slice(a, b) for a, b in zip(low, high, strict=True))
    out = np.zeros((len(vois), image.n_frames))
    step = max(1, 2**25 // max(1, int(np.prod(high - low))))  # frames per FFT batch
    for t0 in range(0, image.n_frames, step):
        frames = np.asarray(image.data)[box] if image.is_dynamic else image.data[box][..., None]
        chunk = peak_image(frames[..., t0 : t0 + step], image.grid, peak_ml)
        filtered = np.zeros((*image.spatial_shape, chunk.shape[3]))
        filtered[box] = chunk
        flat = filtered.reshape(-1, chunk.shape[3])
        for r, centre in enumerate(centres):
            out[r, t0 : t0 + chunk.shape[3]] = np.nanmax(flat[centre], axis=0)
    return out


def region_stats(
    image: Image,
    vois: Sequence[VOI],
    *,
    mode: str = "all",
    level: float | None = None,
    peak_ml: float | None = None,
) -> list[RegionStats]:
    """Statistics of every VOI in every frame.

    Parameters
    ----------
    image
        3-D or 4-D image; the VOIs must be on its grid.
    vois
        Regions (see :mod:`positrix.quant.voi`).
    mode, level
        Calculation mode and its level (a fraction for ``fraction_of_max`` and
        ``top_fraction``, a value in the image unit for ``above``).
    peak_ml
        Peak-sphere volume in mL; ``None``: :func:`default_peak_ml`; ``0``: no peak.

    Returns
    -------
    list of RegionStats
        Region-major: all frames of the first VOI, then the next VOI.
    """
    if not vois:
        return []
    for voi in vois:
        if voi.grid != image.grid:
            raise PositrixError(
                f"VOI '{voi.name}' is on another grid than the image",
                field="voi",
                fix="transfer it first (positrix.quant.labels.transfer_voi)",
            )
        if voi.n_voxels == 0:
            raise PositrixError(f"VOI '{voi.name}' holds no voxel of the image", field="voi")
    index, weight, starts = _segments(vois)
    counts = np.array([v.n_voxels for v in vois], dtype=np.intp)
    if mode not in MODE_CODES:
        raise PositrixError(f"unknown mode '{mode}'", field="mode", fix="use " + ", ".join(MODES))
    if mode != "all" and level is None:
        raise PositrixError(f"mode '{mode}' needs a level", field="mode level")
    if mode in ("fraction_of_max", "top_fraction") and not 0 < float(level or 0) <= 1:
        raise PositrixError(
            f"mode '{mode}' needs a level in (0, 1], got {level}", field="mode level"
        )
    flat = np.asarray(image.data).reshape(-1, image.n_frames)
    moments = region_moments(
        flat, index, weight, starts, counts, MODE_CODES[mode], float(level or 0.0)
    )
    mean, sd, median, lo, hi, wsum, n_voxels = moments
    volume = wsum * image.voxel_volume_ml
    ml = default_peak_ml(image) if peak_ml is None else peak_ml
    peaks = _peaks(image, vois, ml) if ml > 0 else None
    factor = concentration_factor(image.unit) if is_concentration_unit(image.unit) else None
    starts_s = image.frames.start_s if image.frames is not None else None
    durations_s = image.frames.duration_s if image.frames is not None else None
    rows = []
    for r, voi in enumerate(vois):
        for t in range(image.n_frames):
            rows.append(
                RegionStats(
                    region=voi.name,
                    frame=t,
                    mean=float(mean[r, t]),
                    sd=float(sd[r, t]),
                    median=float(median[r, t]),
                    min=float(lo[r, t]),
                    max=float(hi[r, t]),
                    peak=float(peaks[r, t]) if peaks is not None else None,
                    volume_ml=float(volume[r, t]),
                    n_voxels=int(n_voxels[r, t]),
                    total_activity_bq=float(mean[r, t] * volume[r, t] * factor)
                    if factor is not None
                    else None,
                    unit=image.unit,
                    frame_start_s=float(starts_s[t]) if starts_s is not None else None,
                    frame_duration_s=float(durations_s[t]) if durations_s is not None else None,
                    peak_ml=ml if peaks is not None else None,
                )
            )
    return rows
