"""Label images (one integer per voxel, a name per integer) and moving VOIs between grids.

On disk a label image is any image file Positrix reads (NIfTI usually) with whole-number
values, plus a label table next to it: ``name.tsv`` with the columns ``index`` and
``name`` (the BIDS ``dseg.tsv`` layout).  Without a table, labels are named ``label_N``.
DICOM SEG objects are read and written through highdicom (:mod:`positrix.quant.seg`).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from positrix.errors import FileFormatError
from positrix.image.grid import Grid
from positrix.image.image import Image
from positrix.quant.label_image import LabelImage
from positrix.quant.voi import VOI, _lattice

__all__ = ["LabelImage", "label_table_path", "load_labels", "save_labels", "transfer_voi"]


def label_table_path(path: Path) -> Path:
    """``name.tsv`` next to ``name.nii[.gz]`` (or any image file)."""
    name = path.name
    stem = name[:-7] if name.endswith(".nii.gz") else name.rsplit(".", 1)[0]
    return path.with_name(stem + ".tsv")


def _read_table(path: Path) -> dict[int, str]:
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    if rows and not {"index", "name"} <= set(rows[0]):
        raise FileFormatError(
            "a label table needs the columns 'index' and 'name'",
            source=path,
            field="header",
            fix="write a tab-separated table with a header line: index<TAB>name",
        )
    try:
        return {int(row["index"]): row["name"] for row in rows}
    except ValueError:
        raise FileFormatError(
            "an index is not a whole number", source=path, field="index"
        ) from None


def load_labels(path: str | Path) -> LabelImage:
    """Read a label image (NIfTI, DICOM SEG, …) and its label table, if any."""
    from positrix.io import load
    from positrix.quant.seg import is_seg, read_seg

    path = Path(path)
    if is_seg(path):
        return read_seg(path)
    image = load(path)
    data = np.asarray(image.data)
    if image.is_dynamic:
        raise FileFormatError("a label image must be 3-D", source=path, field="shape")
    if not np.allclose(data, np.round(data)) or data.min() < 0:
        raise FileFormatError(
            "a label image holds whole numbers ≥ 0; this one does not",
            source=path,
            field="voxel values",
            fix="give a label (segmentation) image, not an intensity image",
        )
    table = label_table_path(path)
    names = _read_table(table) if table.exists() else {}
    return LabelImage(np.round(data).astype(np.int32), image.grid, names)


def save_labels(
    labels: LabelImage, path: str | Path, *, overwrite: bool = False, like: Image | None = None
) -> list[Path]:
    """Write a label image (format from the name, e.g. ``.nii.gz``) and its ``.tsv`` table.

    ``like``: the image the labels were drawn on; its subject, injection and description
    go with the labels, so that they stay attached to their animal and study.
    """
    from positrix.io import planned_outputs, save
    from positrix.io.safety import check_writable

    path = Path(path)
    table = label_table_path(path)
    check_writable([*planned_outputs(path), table], overwrite=overwrite)
    image = Image(
        labels.labels.astype(np.float32),
        labels.grid.affine,
        unit="label",
        modality="OT",
        subject=like.subject if like is not None else None,
        injection=like.injection if like is not None else None,
        description=f"labels of {like.description}" if like and like.description else None,
    )
    written = save(image, path, overwrite=overwrite)
    lines = ["index\tname"] + [f"{k}\t{v}" for k, v in sorted(labels.names.items())]
    table.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [*written, table]


def transfer_voi(voi: VOI, target: Grid, *, samples: int = 4) -> VOI:
    """The VOI on another grid, with partial-voxel weights.

    Each target voxel near the VOI is sampled on a ``samples³`` lattice; its weight is the
    mean source weight at those points (nearest source voxel), so a VOI drawn on a CT
    keeps its volume and position on a PET grid.
    """
    source = voi.grid
    dense = voi.mask()
    if voi.n_voxels == 0:
        return VOI(voi.name, target, np.zeros(0, np.int64), np.zeros(0))
    ijk = np.array(np.unravel_index(voi.index, source.shape)).T
    lo, hi = ijk.min(axis=0) - 0.5, ijk.max(axis=0) + 0.5  # the VOI's box, source index
    box = np.array(
        [[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])]
    )
    low_high = target.world_to_index(source.index_to_world(box))
    start = np.maximum(np.floor(low_high.min(axis=0)) - 1, 0).astype(int)
    stop = np.minimum(np.ceil(low_high.max(axis=0)) + 2, target.shape).astype(int)
    if np.any(stop <= start):
        return VOI(voi.name, target, np.zeros(0, np.int64), np.zeros(0))
    axes = [np.arange(a, b) for a, b in zip(start, stop, strict=True)]
    centres = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, 3).astype(float)
    # sub-samples shifted by an irrational fraction so that none sits exactly on a face of
    # the source grid (where rounding would decide by floating-point noise)
    offsets = _lattice(samples) + np.array([1.0, np.sqrt(2.0), np.sqrt(3.0)]) * 1e-6
    weight = np.empty(len(centres))
    chunk = max(1, 2_000_000 // len(offsets))
    for first in range(0, len(centres), chunk):
        block = centres[first : first + chunk]
        points = (block[:, None, :] + offsets[None, :, :]).reshape(-1, 3)
        src = np.rint(source.world_to_index(target.index_to_world(points))).astype(int)
        inside = np.all((src >= 0) & (src < source.shape), axis=1)
        values = np.zeros(len(points))
        values[inside] = dense[tuple(src[inside].T)]
        weight[first : first + chunk] = values.reshape(len(block), -1).mean(axis=1)
    flat = np.ravel_multi_index(centres.astype(int).T, target.shape)
    return VOI(voi.name, target, flat, weight)
