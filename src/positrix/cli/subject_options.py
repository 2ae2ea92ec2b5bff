"""``--dose-unit``, ``--weight``, ``--height`` and ``--sex``: what a file lacks for SUV and SUL,
given on the command line (shared by stats, tac, lesion and snapshot)."""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

__all__ = ["add_subject_options", "apply_subject_options", "subject_changes"]


def add_subject_options(parser: argparse.ArgumentParser) -> None:
    """Add the four options to ``parser``."""
    parser.add_argument("--dose-unit", help="the file's dose is in this unit (e.g. MBq)")
    parser.add_argument("--weight", help="body weight with unit (e.g. 25g), replaces the file's")
    parser.add_argument("--height", help="body length with unit (e.g. 9.5cm), for SUL/SUVbsa")
    parser.add_argument("--sex", choices=["M", "F"], help="sex, for SUL (lean body mass)")


def subject_changes(args: argparse.Namespace) -> dict[str, Any]:
    """``Subject`` fields from --weight (g), --height (cm) and --sex, where given."""
    from positrix.physics.units import parse_length, parse_mass

    changes: dict[str, Any] = {}
    if args.weight:
        changes["weight_g"] = parse_mass(args.weight, field="--weight")
    if args.height:
        changes["height_cm"] = parse_length(args.height, field="--height") / 10.0
    if args.sex:
        changes["sex"] = args.sex
    return changes


def apply_subject_options(image: Any, args: argparse.Namespace) -> Any:
    """The image with the options applied (the dose re-read in --dose-unit; weight, height
    and sex set on its subject); the input image is not changed."""
    from positrix.image.requirements import with_dose_unit
    from positrix.image.subject import Subject

    if args.dose_unit:
        image = with_dose_unit(image, args.dose_unit)
    changes = subject_changes(args)
    if not changes:
        return image
    subject = image.subject or Subject()
    return image.replace(subject=dataclasses.replace(subject, **changes))
