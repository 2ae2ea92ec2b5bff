"""``positrix snapshot IMAGE [--ct CT] [--mip] -o PNG``: a picture of an image."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from positrix.cli.subject_options import add_subject_options, apply_subject_options

__all__ = ["add_parser"]


def add_parser(subparsers: Any) -> None:
    """Register ``positrix snapshot``."""
    parser = subparsers.add_parser(
        "snapshot",
        help="picture of an image: orthogonal slices and a MIP, PET fused on CT, colour bar",
        description="Slices through the hottest point (or --point), PET in a hot colour map "
        "over the CT in grey, a colour bar in the image's unit (kBq/mL or MBq/mL as needed).",
    )
    parser.add_argument("image", help="PET or any image (a dynamic one: --frame)")
    parser.add_argument("-o", "--output", required=True, help="picture: .png, .pdf or .svg")
    parser.add_argument("--ct", help="CT to fuse under the image (resampled onto its grid)")
    parser.add_argument("--mip", action="store_true", help="add a coronal MIP panel")
    parser.add_argument("--point", help="x,y,z in mm (world LPS) the slices pass through")
    parser.add_argument(
        "--frame", type=int, default=-1, help="frame of a dynamic image (default: the last)"
    )
    parser.add_argument("--unit", help="show in this unit, e.g. SUVbw or %%ID/g")
    add_subject_options(parser)
    parser.add_argument("--force", action="store_true", help="replace an existing picture")
    parser.set_defaults(run=run)


def _point(text: str | None) -> Any:
    from positrix.errors import PositrixError

    if not text:
        return None
    try:
        values = [float(v) for v in text.replace(",", " ").split()]
        if len(values) != 3:
            raise ValueError
    except ValueError:
        raise PositrixError(
            f"cannot read the point '{text}'", field="--point", fix="give x,y,z in mm"
        ) from None
    return values


def run(args: argparse.Namespace) -> int:
    """Check the output, read, convert units, draw."""
    from positrix.image.dynamic import checked_frame
    from positrix.io import load
    from positrix.io.safety import PLOT_SUFFIXES, check_suffix, check_writable
    from positrix.quant.tac import plot_title
    from positrix.quant.units import convert_units
    from positrix.reports.snapshot import snapshot

    target = Path(args.output)
    check_suffix(target, PLOT_SUFFIXES, field="-o")
    check_writable([target], overwrite=args.force, inputs=[Path(args.image)])
    point = _point(args.point)
    image = load(args.image)
    checked_frame(image, args.frame)
    image = apply_subject_options(image, args)
    if args.unit and args.unit != image.unit:
        image = convert_units(image, args.unit)
    ct = load(args.ct) if args.ct else None
    snapshot(
        image,
        target,
        ct=ct,
        point_mm=point,
        mip=args.mip,
        frame_index=args.frame,
        title=plot_title(image),
        overwrite=args.force,
    )
    print(f"wrote {target}")
    return 0
