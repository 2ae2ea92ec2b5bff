"""``positrix register MOVING FIXED [--rigid|--affine|--bspline] -o OUT``: align an image
to another (PET → CT, CT → CT across days) and resample it on the fixed grid."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from positrix.cli.output import print_json

__all__ = ["add_parser"]


def add_parser(subparsers: Any) -> None:
    """Register ``positrix register``."""
    parser = subparsers.add_parser(
        "register",
        help="register MOVING to FIXED (mutual information) and resample it on FIXED's grid",
        description="Writes OUT (MOVING on FIXED's grid) and the transform beside it "
        "(OUT's name with .tfm, ITK format: fixed → moving world, mm). With --transform an "
        "existing transform is applied instead (e.g. to labels or a µ-map).",
    )
    parser.add_argument("moving", help="the image to move (PET, a later CT, labels, …)")
    parser.add_argument("fixed", help="the reference image (CT)")
    kind = parser.add_mutually_exclusive_group()
    for name in ("rigid", "affine", "bspline"):
        kind.add_argument(
            f"--{name}", dest="kind", action="store_const", const=name, help=f"{name} stages"
        )
    parser.set_defaults(kind="rigid")
    parser.add_argument("--transform", help="apply this .tfm instead of registering")
    parser.add_argument(
        "--initialise",
        choices=["moments", "geometry"],
        default="moments",
        help="start from the centres of mass (default) or of the image boxes",
    )
    parser.add_argument(
        "--interpolation", choices=["linear", "nearest"], help="default: nearest for labels"
    )
    parser.add_argument("-o", "--output", required=True, help="the resampled MOVING image")
    parser.add_argument("--force", action="store_true", help="replace existing outputs")
    parser.add_argument("--json", action="store_true", help="machine-readable summary")
    parser.set_defaults(run=run)


def _transform_path(target: Path) -> Path:
    name = target.name
    for suffix in (".nii.gz", ".nii", ".dcm", ".hdr", ".v"):
        if name.endswith(suffix):
            return target.with_name(name[: -len(suffix)] + ".tfm")
    return target.with_name(name + ".tfm")


def run(args: argparse.Namespace) -> int:
    """Register (or read the transform), resample, write image and transform."""

    from positrix.image.registration import (
        load_transform,
        register,
        resample_with,
        rotation_angle_deg,
    )
    from positrix.io import load, planned_outputs, save
    from positrix.io.safety import check_writable

    target = Path(args.output)
    tfm = _transform_path(target)
    planned = planned_outputs(target) + ([] if args.transform else [tfm])
    check_writable(planned, overwrite=args.force, inputs=[Path(args.moving), Path(args.fixed)])
    moving, fixed = load(args.moving), load(args.fixed)
    summary: dict[str, Any] = {"output": str(target)}
    if args.transform:
        transform = load_transform(args.transform)
        summary["transform"] = args.transform
    else:
        result = register(moving, fixed, kind=args.kind, initialise=args.initialise)
        transform = result.transform
        if args.force and tfm.exists():
            tfm.unlink()
        result.save(tfm)
        summary.update(
            kind=result.kind,
            metric=round(result.metric, 5),
            overlap=round(result.overlap, 4),
            transform=str(tfm),
        )
        if result.kind != "bspline":
            matrix = result.matrix()
            summary["rotation_deg"] = round(rotation_angle_deg(matrix), 3)
            summary["translation_mm"] = [round(float(v), 3) for v in matrix[:3, 3]]
    labels = moving.unit == "label"
    order = 0 if (args.interpolation or ("nearest" if labels else "linear")) == "nearest" else 1
    out = resample_with(moving, transform, fixed, order=order)
    summary["files"] = [str(p) for p in save(out, target, overwrite=args.force)]
    if args.json:
        print_json(summary)
        return 0
    if "kind" in summary:
        where = ""
        if "rotation_deg" in summary:
            shift = ", ".join(f"{v:.2f}" for v in summary["translation_mm"])
            where = f": rotation {summary['rotation_deg']:.2f}°, translation ({shift}) mm"
        print(
            f"{summary['kind']} registration{where}, mutual information "
            f"{-summary['metric']:.4f}, overlap {summary['overlap']:.0%}"
        )
    print(f"wrote {', '.join(summary['files'])}" + ("" if args.transform else f", {tfm}"))
    return 0
