"""``positrix merge`` and ``positrix split``: per-frame images ↔ one dynamic image."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from positrix.cli.output import print_json

__all__ = ["add_parsers"]


def add_parsers(subparsers: Any) -> None:
    """Register ``positrix merge`` and ``positrix split``."""
    merge = subparsers.add_parser(
        "merge",
        help="merge per-frame images of one scan into one dynamic image",
        description="The frames are ordered by their start; they must share grid, unit, "
        "decay reference and acquisition start, and must not overlap.",
    )
    merge.add_argument("frames", nargs="+", help="images with one or more frames each")
    merge.add_argument("-o", "--output", required=True, help="the dynamic image")
    merge.add_argument("--force", action="store_true", help="replace an existing output")
    merge.add_argument("--json", action="store_true", help="machine-readable summary")
    merge.set_defaults(run=run_merge)

    split = subparsers.add_parser(
        "split",
        help="split a dynamic image into one image per frame",
        description="Writes FOLDER/frame_001.nii.gz … (or --format hv/img), each with its "
        "own frame time, unit, decay reference, subject and injection.",
    )
    split.add_argument("image", help="a dynamic image")
    split.add_argument("-o", "--output", required=True, help="output folder")
    split.add_argument(
        "--format",
        default="nii.gz",
        choices=["nii.gz", "nii", "hv", "img"],
        help="file type of the frames",
    )
    split.add_argument("--force", action="store_true", help="replace existing frames")
    split.add_argument("--json", action="store_true", help="machine-readable summary")
    split.set_defaults(run=run_split)


def _report(args: argparse.Namespace, written: list[Path], what: str) -> None:
    if args.json:
        print_json({"files": [str(p) for p in written]})
    else:
        print(f"wrote {len(written)} files ({what}): {', '.join(str(p) for p in written)}")


def run_merge(args: argparse.Namespace) -> int:
    """Check the output, read every frame image, merge, write."""
    from positrix.errors import PositrixError
    from positrix.image.dynamic import concatenate_frames
    from positrix.io import load, planned_outputs, save
    from positrix.io.safety import check_writable

    target = Path(args.output)
    sources = [Path(p) for p in args.frames]
    check_writable(planned_outputs(target), overwrite=args.force, inputs=sources)
    images = [load(p) for p in sources]
    try:
        merged = concatenate_frames(images)
    except PositrixError as err:
        index = next((i for i, img in enumerate(images) if img.frames is None), None)
        raise err.with_source(sources[index] if index is not None else sources[-1]) from None
    written = save(merged, target, overwrite=args.force)
    _report(args, written, f"{merged.n_frames} frames")
    _note_gaps(merged)
    return 0


def _note_gaps(image: Any) -> None:
    """Say where the merged frames leave time uncovered (legal, but worth knowing)."""
    import sys

    frames = image.frames
    gaps = frames.start_s[1:] - frames.end_s[:-1]
    for index in (i for i, gap in enumerate(gaps) if gap > 1e-6):
        print(
            f"note: {gaps[index]:g} s without data between frames {index + 1} and {index + 2} "
            f"({frames.end_s[index]:g} s to {frames.start_s[index + 1]:g} s)",
            file=sys.stderr,
        )


def run_split(args: argparse.Namespace) -> int:
    """Check every output, read, write one image per frame."""
    from positrix.errors import PositrixError
    from positrix.image.dynamic import frame
    from positrix.io import load, planned_outputs, save
    from positrix.io.safety import check_folder, check_writable

    folder = check_folder(args.output, field="--output", holds="the frames")
    image = load(args.image)
    if image.frames is None:
        raise PositrixError(
            "the image has no frame timing to split by",
            source=args.image,
            field="frames",
            fix="give a dynamic image whose file records frame start and duration",
        )
    names = [folder / f"frame_{n + 1:03d}.{args.format}" for n in range(image.n_frames)]
    planned = [p for name in names for p in planned_outputs(name)]
    check_writable(planned, overwrite=args.force, inputs=[Path(args.image)])
    written = []
    for index, name in enumerate(names):
        written += save(frame(image, index), name, overwrite=args.force)
    _report(args, written, f"{image.n_frames} frames")
    return 0
