"""Tumour metrics from a seed: SUVmax, SUVpeak, SUVmean, MTV and TLG."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from numpy.typing import ArrayLike

from positrix.image.image import Image
from positrix.quant.stats import default_peak_ml, region_stats
from positrix.quant.threshold import local_maximum, threshold_voi
from positrix.quant.units import convert_units

__all__ = ["LesionMetrics", "lesion_metrics"]


@dataclass(frozen=True)
class LesionMetrics:
    """Metrics of one lesion (SUV in g/mL of ``unit``, volumes in mL).

    ``tlg = mtv_ml · suv_mean`` (total lesion glycolysis, in g when the unit is SUVbw).
    """

    suv_max: float
    suv_peak: float
    suv_mean: float
    mtv_ml: float
    tlg: float
    threshold: float
    peak_ml: float
    unit: str
    seed_index: tuple[int, int, int]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)


def lesion_metrics(
    image: Image,
    seed_mm: ArrayLike,
    *,
    fraction_of_max: float | None = 0.4,
    absolute: float | None = None,
    unit: str = "SUVbw",
    peak_ml: float | None = None,
    search_radius_mm: float = 5.0,
    frame: int = 0,
) -> LesionMetrics:
    """Delineate the lesion around ``seed_mm`` and measure it.

    Parameters
    ----------
    image
        PET image in an activity-concentration unit (converted to ``unit``) or already in
        ``unit``.
    seed_mm
        A point in or near the lesion (world LPS mm).  The hottest voxel within
        ``search_radius_mm`` of it starts a region growing (6-connected voxels above the
        threshold); SUVmax is the highest voxel of that region.
    fraction_of_max, absolute
        MTV threshold: a fraction of SUVmax (default 40 %), or an absolute value
        (e.g. SUV 2.5; then pass ``fraction_of_max=None``).
    peak_ml
        SUVpeak sphere volume (default by species: 1 mL patients, 0.02 mL mouse).
    frame
        Frame of a dynamic image (default 0; the command line uses the last frame).
    """
    suv = image if image.unit == unit else convert_units(image, unit)
    frame = frame % image.n_frames  # -1: the last frame
    index, local_max = local_maximum(suv, seed_mm, radius_mm=search_radius_mm, frame=frame)
    voi = threshold_voi(
        suv,
        absolute=absolute,
        fraction_of_max=None if absolute is not None else fraction_of_max,
        seed_mm=seed_mm,
        search_radius_mm=search_radius_mm,
        frame=frame,
        name="lesion",
    )
    ml = default_peak_ml(image) if peak_ml is None else peak_ml
    row = region_stats(suv, [voi], peak_ml=ml)[frame]
    level = absolute if absolute is not None else float(fraction_of_max or 0) * local_max
    return LesionMetrics(
        suv_max=row.max,
        suv_peak=float(row.peak or 0.0),
        suv_mean=row.mean,
        mtv_ml=row.volume_ml,
        tlg=row.volume_ml * row.mean,
        threshold=level,
        peak_ml=ml,
        unit=unit,
        seed_index=index,
    )
