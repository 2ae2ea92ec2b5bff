"""``positrix info FILE_OR_DIR [--json]``."""

from __future__ import annotations

import argparse
from typing import Any

from positrix.cli.output import print_json, print_table
from positrix.image.summary import summarize
from positrix.io import load
from positrix.physics.units import format_activity

__all__ = ["add_parser", "format_summary"]


def add_parser(subparsers: Any) -> None:
    """Register ``positrix info``."""
    parser = subparsers.add_parser("info", help="summarise an image file or DICOM folder")
    parser.add_argument("path", help="DICOM file or folder, NIfTI, Interfile .hv, Inveon .img")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(run=run)


def format_summary(summary: dict[str, Any]) -> list[tuple[str, str]]:
    """Text rows of an image summary, every number with its unit."""
    frames = summary["frames"]
    if len(frames) == 1 and frames[0]["duration_s"] == 0:
        frame_text = "1 (duration not recorded)"
    elif frames:
        total = frames[-1]["start_s"] + frames[-1]["duration_s"] - frames[0]["start_s"]
        frame_text = f"{len(frames)} ({frames[0]['start_s']:g} s to {total:g} s)"
        if len(frames) <= 12:
            frame_text += ": " + ", ".join(f"{f['duration_s']:g} s" for f in frames)
    else:
        frame_text = "none"
    activity = summary["injected_activity_bq"]
    weight = summary["weight_g"]
    return [
        ("subject", summary.get("subject_id") or "unknown"),
        ("study", summary.get("description") or "unknown"),
        ("modality", summary["modality"]),
        ("shape", " × ".join(str(n) for n in summary["shape"])),
        ("voxel size", " × ".join(f"{v:.4g}" for v in summary["voxel_size_mm"]) + " mm"),
        ("unit", summary["unit"]),
        ("frames", frame_text),
        ("acquisition start", summary["acquisition_start"] or "unknown"),
        ("tracer", summary["tracer"] or "unknown"),
        ("nuclide", summary["nuclide"] or "unknown"),
        ("net injected activity", format_activity(activity) if activity is not None else "unknown"),
        ("injection time", summary["injection_time"] or "unknown"),
        ("weight", f"{weight:g} g" if weight is not None else "unknown"),
        ("decay corrected to", summary["decay_reference"] or "not decay corrected"),
        *([("time zone", summary["time_zone_note"])] if summary.get("time_zone_note") else []),
    ]


def run(args: argparse.Namespace) -> int:
    """Print the summary of an image (text or JSON)."""
    summary = summarize(load(args.path))
    if args.json:
        print_json(summary)
    else:
        print_table(format_summary(summary))
    return 0
