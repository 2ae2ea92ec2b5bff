"""VOIs by thresholding: absolute value, fraction of the maximum, fraction of a local
maximum near a seed, and region growing from a seed (6-connected)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage

from positrix.errors import PositrixError
from positrix.image.image import Image
from positrix.quant.voi import VOI

__all__ = ["grow_region", "local_maximum", "threshold_voi"]


def _volume(image: Image, frame: int) -> NDArray[np.float64]:
    return np.asarray(image.frame_data(frame), dtype=np.float64)


def _seed_index(image: Image, seed_mm: ArrayLike) -> tuple[int, int, int]:
    ijk = np.rint(image.grid.world_to_index(np.asarray(seed_mm, dtype=float))).astype(int)
    if np.any(ijk < 0) or np.any(ijk >= image.spatial_shape):
        raise PositrixError(
            f"the seed {np.round(np.asarray(seed_mm, dtype=float), 2).tolist()} mm is outside "
            "the image",
            field="seed",
            fix="give the seed in world (LPS) millimetres inside the field of view",
        )
    return (int(ijk[0]), int(ijk[1]), int(ijk[2]))


def local_maximum(
    image: Image, seed_mm: ArrayLike, *, radius_mm: float = 5.0, frame: int = 0
) -> tuple[tuple[int, int, int], float]:
    """Hottest voxel within ``radius_mm`` of the seed: its index and value."""
    volume = _volume(image, frame)
    seed = np.asarray(seed_mm, dtype=float)
    _seed_index(image, seed)
    ijk = np.moveaxis(np.indices(image.spatial_shape), 0, -1)
    near = np.sum((image.grid.index_to_world(ijk) - seed) ** 2, axis=-1) <= radius_mm**2
    candidates = np.where(near & np.isfinite(volume), volume, -np.inf)
    best = np.unravel_index(int(np.argmax(candidates)), image.spatial_shape)
    return (int(best[0]), int(best[1]), int(best[2])), float(volume[best])


def grow_region(
    image: Image, seed_mm: ArrayLike, threshold: float, *, frame: int = 0, name: str = "region"
) -> VOI:
    """Voxels ≥ ``threshold`` connected (6-neighbourhood) to the seed voxel."""
    volume = _volume(image, frame)
    seed = _seed_index(image, seed_mm)
    if not np.isfinite(threshold) or not np.isfinite(volume[seed]):
        raise PositrixError(
            "the seed voxel or the threshold is not a number (NaN)",
            field="seed",
            fix="move the seed onto valid image data",
        )
    if volume[seed] < threshold:
        raise PositrixError(
            f"the seed voxel ({volume[seed]:.4g} {image.unit}) is below the threshold "
            f"{threshold:.4g} {image.unit}",
            field="seed",
            fix="move the seed onto the lesion or lower the threshold",
        )
    components, _ = ndimage.label(np.nan_to_num(volume, nan=-np.inf) >= threshold)
    return VOI.from_mask(name, image.grid, components == components[seed])  # seed ≥ threshold


def threshold_voi(
    image: Image,
    *,
    absolute: float | None = None,
    fraction_of_max: float | None = None,
    seed_mm: ArrayLike | None = None,
    search_radius_mm: float = 5.0,
    within: VOI | None = None,
    frame: int = 0,
    name: str = "threshold",
) -> VOI:
    """Isocontour VOI.

    Exactly one of ``absolute`` (a value in the image unit) or ``fraction_of_max`` (0–1)
    is given.  With ``seed_mm`` the maximum is the local maximum within
    ``search_radius_mm`` of the seed and the VOI is the connected region around it
    (region growing); without a seed the maximum is that of ``within`` (or the whole
    image) and every voxel above the threshold there is kept.
    """
    if (absolute is None) == (fraction_of_max is None):
        raise PositrixError(
            "give exactly one of an absolute threshold and a fraction of the maximum",
            field="threshold",
        )
    if fraction_of_max is not None and not 0 < fraction_of_max <= 1:
        raise PositrixError(f"fraction {fraction_of_max} is not in (0, 1]", field="threshold")
    volume = _volume(image, frame)
    region = within.mask() >= 0.5 if within is not None else np.ones(volume.shape, bool)
    if seed_mm is not None:
        peak_index, peak = local_maximum(image, seed_mm, radius_mm=search_radius_mm, frame=frame)
        if absolute is None and not peak > 0:
            raise PositrixError(
                f"the local maximum near the seed is {peak:.4g} {image.unit}: a fraction of it "
                "would select the background",
                field="seed",
                fix="put the seed on the lesion, or use an absolute threshold",
            )
        level = absolute if absolute is not None else float(fraction_of_max or 0) * peak
        seed_world = image.grid.index_to_world(peak_index)
        return grow_region(image, seed_world, float(level), frame=frame, name=name)
    if absolute is not None:
        level = absolute
    else:
        assert fraction_of_max is not None
        level = fraction_of_max * float(volume[region].max())
    return VOI.from_mask(name, image.grid, region & (volume >= level))
