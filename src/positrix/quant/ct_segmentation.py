"""CT segmentation of a small animal: body outline, lungs and skeleton, with the bed removed.

1. **Body**: voxels above ``body_hu`` (default −400 HU), opened with a ball of
   ``bed_gap_mm`` radius so that thin attachments (the bed, tubing) let go; the largest
   connected part is the animal, closed and dilated back by the same ball (restoring its
   skin); internal air (lungs, gut gas) is filled slice by slice.  Everything else — the bed
   and whatever lies on it — is outside.
2. **Lungs**: inside the body, ``lung_hu`` (default −900…−200 HU), smoothed by a 1-voxel
   opening; connected parts smaller than ``min_lung_ml`` (gut gas, noise) are dropped.
3. **Skeleton**: inside the body, above ``bone_hu`` (default 300 HU).

Labels: 1 soft tissue (body minus lungs and skeleton), 2 lungs, 3 skeleton.  The µ-map for
PET attenuation correction is the bilinear HU → µ(511 keV) conversion inside the body and
0 outside (bed removed).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage

from positrix.errors import PositrixError

__all__ = ["CT_LABELS", "CTSegmentation", "segment_ct"]

#: Label value → name.
CT_LABELS = {1: "soft_tissue", 2: "lungs", 3: "skeleton"}


@dataclass(frozen=True)
class CTSegmentation:
    """The result of :func:`segment_ct`.

    Attributes
    ----------
    labels
        ``(i, j, k)`` int16: 0 outside, 1 soft tissue, 2 lungs, 3 skeleton.
    body
        ``(i, j, k)`` bool: the animal (all three classes).
    volumes_ml
        Volume per class and ``body`` (mL).
    """

    labels: NDArray[np.int16]
    body: NDArray[np.bool_]
    volumes_ml: dict[str, float]


def _ball(radius_mm: float, voxel: NDArray[np.float64]) -> NDArray[np.bool_]:
    half = np.maximum(np.floor(radius_mm / voxel), 1).astype(int)
    axes = [np.arange(-h, h + 1) * v for h, v in zip(half, voxel, strict=True)]
    x, y, z = np.meshgrid(*axes, indexing="ij")
    return np.asarray(x**2 + y**2 + z**2 <= radius_mm**2 + 1e-9)


def _largest(mask: NDArray[np.bool_]) -> NDArray[np.bool_]:
    labels, count = ndimage.label(mask)
    if count == 0:
        return mask
    sizes = np.bincount(labels.ravel())[1:]
    return np.asarray(labels == 1 + int(np.argmax(sizes)))


def _fill_slices(mask: NDArray[np.bool_]) -> NDArray[np.bool_]:
    filled = ndimage.binary_fill_holes(mask)
    for k in range(mask.shape[2]):
        filled[:, :, k] = ndimage.binary_fill_holes(filled[:, :, k])
    return np.asarray(filled)


def segment_ct(
    hu: ArrayLike,
    voxel_size_mm: ArrayLike,
    *,
    body_hu: float = -400.0,
    lung_hu: tuple[float, float] = (-900.0, -200.0),
    bone_hu: float = 300.0,
    bed_gap_mm: float = 1.0,
    min_lung_ml: float = 0.02,
) -> CTSegmentation:
    """Segment a CT in HU, ``(i, j, k)`` with voxel size ``(a, b, c)`` mm (module docstring).

    Raises
    ------
    PositrixError
        For a CT with nothing above ``body_hu`` (not HU, or an empty scan).
    """
    image = np.asarray(hu, dtype=np.float32)
    if image.ndim != 3:
        raise PositrixError("the CT must be 3-D", field="CT")
    voxel = np.broadcast_to(np.asarray(voxel_size_mm, dtype=np.float64), (3,))
    above = image > body_hu
    if not above.any() or above.all():
        raise PositrixError(
            f"no body found: {'no' if not above.any() else 'every'} voxel is above {body_hu} HU",
            field="CT",
            fix="give a CT in Hounsfield units (calibrate it with `positrix ct calibrate`)",
        )
    ball = _ball(bed_gap_mm, voxel)
    # pad by the ball (edge values) so that the morphology does not eat the first and last
    # slices of a field of view that cuts through the animal
    pad = [(h + 1, h + 1) for h in (np.asarray(ball.shape) // 2)]
    crop = tuple(slice(p, p + n) for (p, _), n in zip(pad, image.shape, strict=True))
    padded = np.pad(above, pad, mode="edge")
    opened = ndimage.binary_opening(padded, structure=ball)
    animal = _largest(opened if opened.any() else padded)
    animal = ndimage.binary_dilation(animal, structure=ball) & padded | animal
    body = _fill_slices(ndimage.binary_closing(animal, structure=ball)[crop])
    lungs = body & (image >= lung_hu[0]) & (image <= lung_hu[1])
    lungs = ndimage.binary_opening(lungs)
    parts, count = ndimage.label(lungs)
    voxel_ml = float(np.prod(voxel)) / 1000.0
    if count:
        sizes = np.bincount(parts.ravel())[1:] * voxel_ml
        lungs = np.isin(parts, 1 + np.flatnonzero(sizes >= min_lung_ml))
    skeleton = body & (image > bone_hu)
    labels = np.zeros(image.shape, np.int16)
    labels[body] = 1
    labels[lungs] = 2
    labels[skeleton & ~lungs] = 3
    volumes = {
        name: float(np.count_nonzero(labels == v)) * voxel_ml for v, name in CT_LABELS.items()
    }
    volumes["body"] = float(np.count_nonzero(body)) * voxel_ml
    return CTSegmentation(labels, np.asarray(body), volumes)
