"""``positrix convert IN OUT [--force]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from positrix.errors import OverwriteError
from positrix.io import load, planned_outputs, save
from positrix.io.safety import check_writable

__all__ = ["add_parser"]


def add_parser(subparsers: Any) -> None:
    """Register ``positrix convert``."""
    parser = subparsers.add_parser(
        "convert", help="convert between DICOM, NIfTI(+JSON), Interfile and Inveon"
    )
    parser.add_argument("input", help="any readable image")
    parser.add_argument(
        "output", help="output: .nii/.nii.gz, .hv (Interfile), .img (Inveon) or a folder (DICOM)"
    )
    parser.add_argument("--force", action="store_true", help="replace existing output files")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Convert one image file to another format (never over an input or without --force)."""
    source, target = Path(args.input), Path(args.output)
    if source.resolve() == target.resolve():
        raise OverwriteError("the output is the input", source=target, fix="choose another output")

    def log(line: str) -> None:
        print(line, file=sys.stderr)

    check_writable(planned_outputs(target), overwrite=args.force, inputs=[source])
    image = load(source, log=log)
    written = save(image, target, overwrite=args.force, log=log)
    names = ", ".join(str(p) for p in written)
    print(f"wrote {len(written)} file{'s' if len(written) != 1 else ''}: {names}")
    return 0
