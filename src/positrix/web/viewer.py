"""What the PET/CT viewer asks the server for: volumes as gzip NIfTI (in the unit asked,
converted by :func:`positrix.quant.units.convert_units`, cached by content and unit) and the
statistics and TAC of a VOI placed on the image (the same computation as ``positrix stats``).

The viewer (NiiVue) works in RAS millimetres; Positrix in LPS: x and y change sign here.
"""

from __future__ import annotations

import os
import re
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Header, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from positrix.errors import PositrixError
from positrix.facility.queries import visible_series
from positrix.web.deps import DB, ApiUser, check_csrf

__all__ = ["UNITS", "router", "voi_statistics", "volume_path"]

router = APIRouter(prefix="/api/series", tags=["viewer"])

#: The units the viewer offers for PET.
UNITS = ("Bq/mL", "kBq/mL", "SUVbw", "%ID/g")
_LOCK = threading.Lock()


@lru_cache(maxsize=4)
def _image(path: str, sha256: str) -> Any:
    """The image of a series (a few kept in memory; the checksum keys the content)."""
    from positrix.io import load

    return load(path)


def _in_unit(image: Any, unit: str) -> Any:
    from positrix.quant.units import convert_units

    if image.modality != "PT" or unit in ("", image.unit):
        return image
    if unit not in UNITS:
        raise PositrixError(f"unknown unit '{unit}'", field="unit", fix=", ".join(UNITS))
    return convert_units(image, unit)


def cached(cache: Path, sha256: str, unit: str, suffix: str) -> Path:
    """Where a rendering of a series' content (its SHA-256) in ``unit`` is cached."""
    slug = unit.replace("/", "_per_").replace("%", "pct_") or "native"
    return cache / f"{sha256}-{slug}{suffix}"


def volume_path(cache: Path, path: str, sha256: str, unit: str) -> Path:
    """The series as gzip NIfTI in ``unit`` (written once into ``cache``, atomically)."""
    from positrix.io import save

    target = cached(cache, sha256, unit, ".nii.gz")
    if target.exists():
        return target
    image = _in_unit(_image(path, sha256), unit)
    cache.mkdir(parents=True, exist_ok=True)
    with _LOCK:
        if not target.exists():
            partial = cache / f".{target.name}.{os.getpid()}.nii.gz"
            written = save(image, partial, overwrite=True)
            os.replace(partial, target)
            for extra in written:
                if extra != partial and extra.exists():
                    extra.unlink()
    return target


@router.get("/{series_id}/volume.nii.gz")
def volume(series_id: int, request: Request, session: DB, user: ApiUser,
           unit: str = "") -> FileResponse:  # fmt: skip
    """The series as gzip NIfTI (PET in ``unit``: Bq/mL, kBq/mL, SUVbw or %ID/g)."""
    series = visible_series(session, user, series_id)
    cache = request.app.state.settings.data_folder / "cache"
    path = volume_path(cache, series.path, series.sha256, unit)
    return FileResponse(
        path, media_type="application/gzip", headers={"Cache-Control": "private, max-age=3600"}
    )


def rotating_mip(image: Any, target: Path, *, angles: int = 24) -> Path:
    """A rotating maximum-intensity projection of the image's last frame as an animated GIF
    (rotation about the scanner axis; projection along y, head up)."""
    import numpy as np
    from matplotlib import colormaps
    from PIL import Image as Picture
    from scipy import ndimage

    volume = np.asarray(image.data if image.data.ndim == 3 else image.data[..., -1], np.float32)
    top = float(np.percentile(volume, 99.9)) or 1.0
    pictures = []
    for k in range(angles):
        turned = ndimage.rotate(volume, 360.0 * k / angles, axes=(0, 1), reshape=False, order=1)
        mip = np.clip(turned.max(axis=1).T[::-1] / top, 0, 1)  # (z, x), superior at the top
        rgb = (colormaps["hot"](mip)[..., :3] * 255).astype(np.uint8)
        pictures.append(Picture.fromarray(rgb).resize((rgb.shape[1] * 2, rgb.shape[0] * 2)))
    partial = target.with_name(f".{target.name}.{os.getpid()}")
    pictures[0].save(
        partial, format="GIF", save_all=True, append_images=pictures[1:], duration=120, loop=0
    )
    os.replace(partial, target)
    return target


@router.get("/{series_id}/mip.gif")
def mip(series_id: int, request: Request, session: DB, user: ApiUser,
        unit: str = "") -> FileResponse:  # fmt: skip
    """A rotating MIP of the series (GIF, cached by content and unit)."""
    series = visible_series(session, user, series_id)
    target = cached(
        request.app.state.settings.data_folder / "cache", series.sha256, unit, "-mip.gif"
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        rotating_mip(_in_unit(_image(series.path, series.sha256), unit), target)
    return FileResponse(
        target, media_type="image/gif", headers={"Cache-Control": "private, max-age=3600"}
    )


class VoiRequest(BaseModel):
    """A VOI placed in the viewer: a sphere or box around a point (RAS mm, as NiiVue
    reports it), optionally thresholded at a fraction of its maximum."""

    shape: Literal["sphere", "box", "threshold"] = "sphere"
    center_ras_mm: tuple[float, float, float]
    radius_mm: float = Field(default=3.0, gt=0, le=100)
    size_mm: tuple[float, float, float] | None = None
    fraction: float = Field(default=0.5, gt=0, lt=1)
    unit: str = ""


def shape_spec(body: VoiRequest) -> str:
    """The ``positrix stats --voi`` text of the shape (centre converted RAS → LPS)."""
    x, y, z = (
        round(v, 3) + 0.0
        for v in (-body.center_ras_mm[0], -body.center_ras_mm[1], body.center_ras_mm[2])
    )
    if body.shape == "box":
        sx, sy, sz = body.size_mm or (2 * body.radius_mm,) * 3
        return f"box:{x},{y},{z},{sx},{sy},{sz}"
    return f"sphere:{x},{y},{z},{body.radius_mm}"


def voi_statistics(image: Any, body: VoiRequest, *, labels: str | None = None) -> dict[str, Any]:
    """Statistics and TAC of the VOI on ``image`` (values in ``image.unit``); with ``labels``
    (a stored label image) those regions instead of the shape."""
    from positrix.quant.spec import parse_voi
    from positrix.quant.stats import region_stats

    spec = labels or shape_spec(body)
    vois = parse_voi(spec, image.grid)
    threshold = body.shape == "threshold" and labels is None
    mode, level = ("fraction_of_max", body.fraction) if threshold else ("all", None)
    rows = region_stats(image, vois, mode=mode, level=level)
    frames = [r.to_dict() for r in rows]
    x, y, z = (float(v) for v in spec.split(":")[1].split(",")[:3]) if labels is None else (0, 0, 0)
    tac = [
        {"mid_min": (r.frame_start_s + r.frame_duration_s / 2) / 60.0, "mean": r.mean}
        for r in rows
        if r.frame_start_s is not None and r.frame_duration_s is not None
    ]
    return {
        "voi": spec if labels is None else "stored labels",
        "lps_center_mm": [x, y, z],
        "unit": image.unit,
        "frames": frames,
        "tac": tac,
    }


@router.post("/{series_id}/voi")
def voi(series_id: int, body: VoiRequest, request: Request, session: DB, user: ApiUser,
        x_csrf_token: str | None = Header(default=None),
        labels: int | None = None) -> dict[str, Any]:  # fmt: skip
    """Statistics (every frame) and TAC of a VOI placed on a series, in ``unit``; with
    ``labels`` (the id of a stored label image of the same project) its regions instead."""
    check_csrf(request, x_csrf_token)
    series = visible_series(session, user, series_id)
    image = _in_unit(_image(series.path, series.sha256), body.unit)
    stored = None
    if labels is not None:
        label_series = visible_series(session, user, labels)
        nifti = sorted(Path(label_series.path).glob("*.nii.gz")) or [Path(label_series.path)]
        stored = str(nifti[0])
    return voi_statistics(image, body, labels=stored)


_NAME = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


def save_voi(image: Any, body: VoiRequest, folder: Path, name: str, source: Path) -> Path:
    """Write the VOI as a label image (NIfTI + ``.tsv``) and, for a DICOM source, a DICOM SEG
    into a new ``folder``; voxels of the shape at least half inside (and, for a threshold, at
    or above its fraction of the maximum in the last frame) are labelled 1."""
    import numpy as np

    from positrix.quant.label_image import LabelImage
    from positrix.quant.labels import save_labels
    from positrix.quant.seg import write_seg
    from positrix.quant.spec import parse_voi

    (shape,) = parse_voi(shape_spec(body), image.grid)
    keep = shape.index[shape.weight >= 0.5]
    if body.shape == "threshold":
        last = np.asarray(image.data if image.data.ndim == 3 else image.data[..., -1]).ravel()
        keep = keep[last[keep] >= body.fraction * last[keep].max()]
    if keep.size == 0:
        raise PositrixError("the VOI holds no voxel", field="radius_mm", fix="make it larger")
    labels = np.zeros(image.grid.shape, np.int32)
    labels.ravel()[keep] = 1
    made = LabelImage(labels, image.grid, {1: name})
    folder.mkdir(parents=True)
    save_labels(made, folder / f"{name}.nii.gz", like=image)
    if source.is_dir():
        write_seg(made, source, folder / f"{name}-seg.dcm")
    return folder


class SavedVoi(VoiRequest):
    """``POST /api/series/{id}/vois``: a VOI to keep, with its name."""

    name: str


@router.post("/{series_id}/vois", status_code=201)
def keep_voi(series_id: int, body: SavedVoi, request: Request, session: DB, user: ApiUser,
             x_csrf_token: str | None = Header(default=None)) -> dict[str, Any]:  # fmt: skip
    """Save a VOI to the study as NIfTI labels and DICOM SEG, registered by checksum."""
    from positrix.facility.access import require_project
    from positrix.facility.models import Project
    from positrix.facility.series import register_series
    from positrix.web.deps import write

    check_csrf(request, x_csrf_token)
    series = visible_series(session, user, series_id)
    project = session.get(Project, series.project_id)
    assert project is not None
    require_project(session, user, project.code, write=True)  # viewers look only
    if not _NAME.match(body.name):
        raise PositrixError(
            f"'{body.name}' is not a VOI name",
            field="name",
            fix="letters, digits, - and _, at most 40",
        )
    folder = (
        request.app.state.settings.data_folder
        / "vois"
        / series.sha256[:16]
        / f"{body.name}-{os.urandom(4).hex()}"
    )
    image = _image(series.path, series.sha256)
    save_voi(image, body, folder, body.name, Path(series.path))
    made = write(
        session,
        lambda: register_series(
            session,
            user,
            folder,
            project=project.code,
            imaging_session=series.imaging_session_id,
            modality="SEG",
        ),
    )
    return {
        "id": made.series.id,
        "name": body.name,
        "files": sorted(p.name for p in folder.iterdir()),
    }


@router.get("/{series_id}/vois")
def list_vois(series_id: int, session: DB, user: ApiUser) -> list[dict[str, Any]]:
    """The VOIs saved on the series' imaging session."""
    from sqlalchemy import select

    from positrix.facility.models import Series

    series = visible_series(session, user, series_id)
    if series.imaging_session_id is None:
        return []
    saved = session.scalars(
        select(Series).where(
            Series.imaging_session_id == series.imaging_session_id, Series.modality == "SEG"
        )
    )
    return [{"id": s.id, "name": Path(s.path).name.rsplit("-", 1)[0]} for s in saved]
