"""A picture of an image: orthogonal slices and a MIP, PET fused on CT, with a colour bar.

The slices pass through a chosen point (default: the hottest voxel of the PET, smoothed a
little so that one noisy voxel does not decide); the MIP is a coronal maximum-intensity
projection.  PET is shown in a hot colour map over the CT in grey when a CT is given
(the CT is resampled onto the PET grid), its colour bar in the image's unit.  Slices are
drawn in world millimetres with equal aspect, anterior up in sagittal views and head up in
coronal views (DICOM LPS: +x left, +y posterior, +z head).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from positrix.errors import PositrixError
from positrix.image.dynamic import frame
from positrix.image.image import Image
from positrix.image.orient import reorient
from positrix.image.resample import resample_to
from positrix.io.safety import PLOT_SUFFIXES, check_suffix, check_writable
from positrix.physics.units import readable_concentration

__all__ = ["hottest_point_mm", "snapshot"]


def _ascending(image: Image) -> Image:
    """The same image with its axes along +x, +y, +z (permuted and flipped, no
    interpolation; RAS NIfTI has negative steps), so that every picture has one orientation;
    an oblique image is refused (resample it first)."""
    try:
        return reorient(image, np.eye(3))
    except PositrixError as err:
        source = image.metadata.get("source_path")
        raise (err.with_source(source) if source else err) from None


def hottest_point_mm(image: Image) -> NDArray[np.float64]:
    """World position (mm) of the maximum of the lightly smoothed image (σ = 1 voxel)."""
    smooth = ndimage.gaussian_filter(np.nan_to_num(np.asarray(image.data, np.float64)), 1.0)
    index = np.unravel_index(int(np.argmax(smooth)), smooth.shape)
    return np.asarray(image.affine[:3, :3] @ np.asarray(index, float) + image.affine[:3, 3])


def _slice(volume: NDArray[Any], axis: int, index: int) -> NDArray[Any]:
    return np.take(volume, index, axis=axis)


def _extent(image: Image, axes: tuple[int, int]) -> tuple[float, float, float, float]:
    """(left, right, bottom, top) in mm of the voxel edges along two array axes."""
    origin, step = image.affine[:3, 3], np.diag(image.affine[:3, :3])
    n = image.spatial_shape
    lo = [origin[a] - step[a] / 2 for a in axes]
    hi = [origin[a] + step[a] * (n[a] - 0.5) for a in axes]
    return (lo[0], hi[0], lo[1], hi[1])


#: View name → (array axis sliced, (horizontal axis, vertical axis), axis labels).
_VIEWS = {
    "axial": (2, (0, 1), ("x (mm, +left)", "y (mm, +posterior)")),
    "coronal": (1, (0, 2), ("x (mm, +left)", "z (mm, +head)")),
    "sagittal": (0, (1, 2), ("y (mm, +posterior)", "z (mm, +head)")),
}


def _panel(axes: Any, pet: NDArray[Any], ct: NDArray[Any] | None, image: Image, view: str,
           vmax: float, title: str) -> Any:  # fmt: skip
    _, (h, v), (h_label, v_label) = _VIEWS[view]
    extent = _extent(image, (h, v))
    if ct is not None:
        axes.imshow(ct.T, origin="lower", cmap="gray", extent=extent, vmin=-1000, vmax=1000)
    shown = np.ma.masked_less_equal(pet.T, 0.02 * vmax) if ct is not None else pet.T
    picture = axes.imshow(
        shown,
        origin="lower",
        cmap="hot",
        extent=extent,
        vmin=0.0,
        vmax=vmax,
        alpha=0.75 if ct is not None else 1.0,
        interpolation="nearest",
    )
    if view == "axial":
        axes.invert_yaxis()  # anterior up
    axes.set_xlabel(h_label, fontsize="x-small")
    axes.set_ylabel(v_label, fontsize="x-small")
    axes.set_title(title, fontsize="small")
    axes.tick_params(labelsize="x-small")
    return picture


def snapshot(
    image: Image,
    path: str | Path,
    *,
    ct: Image | None = None,
    point_mm: NDArray[np.float64] | None = None,
    mip: bool = True,
    frame_index: int = -1,
    title: str = "",
    overwrite: bool = False,
) -> Path:
    """Write a PNG/PDF/SVG with axial, coronal and sagittal slices (and a MIP).

    Parameters
    ----------
    image
        PET (or any) image; a dynamic one shows ``frame_index``.
    path
        Output picture.
    ct
        CT in HU to fuse under the PET (resampled onto the PET grid), or ``None``.
    point_mm
        World point (mm) the slices pass through; default: the hottest point.
    mip
        Add a coronal maximum-intensity projection.
    frame_index
        Frame of a dynamic image (default: the last).
    title
        Figure title.
    overwrite
        Replace an existing picture.

    Returns
    -------
    Path
        ``path``.
    """
    from positrix.figures import pyplot

    plt = pyplot()

    path = Path(path)
    check_suffix(path, PLOT_SUFFIXES, field="-o")
    check_writable([path], overwrite=overwrite)
    if image.is_dynamic:
        image = frame(image, frame_index)
    image = _ascending(image)
    if min(image.spatial_shape) < 2:
        raise PositrixError(
            f"a snapshot needs a volume; the image is {image.spatial_shape} voxels",
            source=image.metadata.get("source_path"),
            field="shape",
            fix="give a 3-D image",
        )
    if ct is not None and ct.unit != "HU":
        raise PositrixError(
            f"the CT is in '{ct.unit}', not HU",
            source=ct.metadata.get("source_path"),
            field="--ct",
            fix="give the CT image (in HU) to fuse under the PET",
        )
    pet = np.nan_to_num(np.asarray(image.data, np.float64))
    ct_data = None
    if ct is not None:
        if ct.is_dynamic:
            ct = frame(ct, 0)
        ct_data = np.asarray(resample_to(ct, image, fill_value=-1000.0).data, np.float64)
    point = hottest_point_mm(image) if point_mm is None else np.asarray(point_mm, float)
    index = np.round(np.linalg.solve(image.affine[:3, :3], point - image.affine[:3, 3]))
    if np.any(index < 0) or np.any(index >= np.asarray(image.spatial_shape)):
        raise PositrixError(
            f"the point {point.tolist()} mm lies outside the image",
            source=image.metadata.get("source_path"),
            field="--point",
            fix="give x,y,z in world (LPS) millimetres inside the field of view",
        )
    index = index.astype(int)
    factor, unit = readable_concentration(image.unit, float(pet.max(initial=0.0)))
    pet = pet * factor
    vmax = float(np.percentile(pet[pet > 0], 99.9)) if np.any(pet > 0) else 1.0
    panels = ["axial", "coronal", "sagittal"] + (["mip"] if mip else [])
    figure, axes = plt.subplots(1, len(panels), figsize=(3.6 * len(panels), 4.2))
    picture: Any = None
    for ax, view in zip(axes, panels, strict=True):
        if view == "mip":
            projected = pet.max(axis=1)
            ct_mip = ct_data.mean(axis=1) if ct_data is not None else None
            picture = _panel(ax, projected, ct_mip, image, "coronal", vmax, "coronal MIP")
            continue
        axis = _VIEWS[view][0]
        where = float(point[axis])
        picture = _panel(
            ax,
            _slice(pet, axis, int(index[axis])),
            _slice(ct_data, axis, int(index[axis])) if ct_data is not None else None,
            image,
            view,
            vmax,
            f"{view} ({'xyz'[axis]} = {where:.1f} mm)",
        )
    bar = figure.colorbar(picture, ax=list(axes), shrink=0.8, pad=0.02)
    bar.set_label(unit)
    if title:
        figure.suptitle(title, fontsize="small")
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
