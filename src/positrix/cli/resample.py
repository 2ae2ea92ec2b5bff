"""``positrix resample IMAGE --like REF -o OUT``: an image on another image's grid."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from positrix.cli.output import print_json

__all__ = ["add_parser"]

_ORDERS = {"nearest": 0, "linear": 1, "cubic": 3}


def add_parser(subparsers: Any) -> None:
    """Register ``positrix resample``."""
    parser = subparsers.add_parser(
        "resample",
        help="resample an image onto another image's grid (µ-maps, labels, CT)",
        description="World coordinates are kept: each output voxel takes the value at its "
        "position. Values are not rescaled, so a concentration stays a concentration.",
    )
    parser.add_argument("image", help="the image to resample")
    parser.add_argument("--like", required=True, help="image whose grid the output takes")
    parser.add_argument("-o", "--output", required=True, help="output image")
    parser.add_argument(
        "--interpolation",
        choices=list(_ORDERS),
        help="nearest, linear or cubic (default: nearest for label images, else linear)",
    )
    parser.add_argument(
        "--fill",
        type=float,
        help="value outside the input's field of view (default: -1000 for HU, else 0)",
    )
    parser.add_argument("--force", action="store_true", help="replace an existing output")
    parser.add_argument("--json", action="store_true", help="machine-readable summary")
    parser.set_defaults(run=run)


def _is_label_image(image: Any, has_table: bool) -> bool:
    """Labels: unit ``label``, a label table beside the file, or (no unit recorded) whole
    numbers only, as segmentations from other tools are stored."""
    import numpy as np

    if image.unit == "label" or has_table:
        return True
    if image.unit not in ("unknown", "") or image.is_dynamic:
        return False
    data = np.asarray(image.data)
    return bool(np.all(np.isfinite(data)) and np.all(data == np.round(data)) and data.min() >= 0)


def _copy_label_table(source: Path, target: Path, *, overwrite: bool) -> list[Path]:
    """The label names (``name.tsv``) follow the resampled labels."""
    import shutil

    from positrix.io.safety import check_writable
    from positrix.quant.labels import label_table_path

    table = label_table_path(source)
    if not table.exists():
        return []
    copy = label_table_path(target)
    check_writable([copy], overwrite=overwrite)
    shutil.copyfile(table, copy)
    return [copy]


def run(args: argparse.Namespace) -> int:
    """Check the output, read both images, resample, write."""
    from positrix.errors import PositrixError
    from positrix.image.resample import resample_to
    from positrix.io import load, planned_outputs, save
    from positrix.io.safety import check_writable
    from positrix.quant.labels import label_table_path

    target = Path(args.output)
    inputs = [Path(args.image), Path(args.like)]
    table = label_table_path(Path(args.image))
    planned = planned_outputs(target) + ([label_table_path(target)] if table.exists() else [])
    check_writable(planned, overwrite=args.force, inputs=inputs)
    image, like = load(args.image), load(args.like)
    labels = _is_label_image(image, table.exists())
    interpolation = args.interpolation or ("nearest" if labels else "linear")
    if labels and interpolation != "nearest":
        raise PositrixError(
            f"{interpolation} interpolation would mix label numbers into fractions",
            source=args.image,
            field="--interpolation",
            fix="leave --interpolation out (labels use nearest)",
        )
    fill = args.fill if args.fill is not None else (-1000.0 if image.unit == "HU" else 0.0)
    out = resample_to(image, like, order=_ORDERS[interpolation], fill_value=fill)
    written = save(out, target, overwrite=args.force)
    if labels:
        written += _copy_label_table(Path(args.image), target, overwrite=args.force)
    summary = {
        "output": str(target),
        "shape": list(out.data.shape),
        "voxel_size_mm": [round(v, 6) for v in out.voxel_size_mm],
        "unit": out.unit,
        "files": [str(p) for p in written],
    }
    if args.json:
        print_json(summary)
    else:
        shape = " × ".join(str(n) for n in out.data.shape)
        voxels = " × ".join(f"{v:.4g}" for v in out.voxel_size_mm)
        print(f"wrote {', '.join(summary['files'])}: {shape} voxels of {voxels} mm, {out.unit}")
    return 0
