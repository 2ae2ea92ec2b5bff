"""``positrix edit IMAGE -o OUT``: set the subject and injection an image records."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import Any

from positrix.cli.info import format_summary
from positrix.cli.output import print_json, print_table
from positrix.errors import PositrixError

__all__ = ["add_parser", "edited"]


def add_parser(subparsers: Any) -> None:
    """Register ``positrix edit``."""
    parser = subparsers.add_parser(
        "edit",
        help="set subject and injection metadata (weight, height, dose, nuclide…) on a copy",
        description="Writes a copy of IMAGE with the given subject and injection values; the "
        "input is never changed. Activities are ACTIVITY@DATE-TIME with a UTC offset.",
    )
    parser.add_argument("image", help="any readable image")
    parser.add_argument("-o", "--output", required=True, help="the edited copy (any format)")
    parser.add_argument("--subject-id", help="animal or phantom identifier")
    parser.add_argument("--species", help="e.g. 'Mus musculus'")
    parser.add_argument("--strain", help="e.g. C57BL/6J")
    parser.add_argument("--sex", choices=["M", "F", "O"], help="sex (O: other or unknown)")
    parser.add_argument("--weight", help="body weight with unit, e.g. 25g")
    parser.add_argument("--height", help="body length with unit, e.g. 9.5cm")
    parser.add_argument("--nuclide", help="e.g. F-18")
    parser.add_argument("--tracer", help="e.g. FDG")
    parser.add_argument(
        "--injected", help="syringe activity before injection and when: 7.5MBq@2026-…T09:20+01:00"
    )
    parser.add_argument("--residual", help="activity left in the syringe and when: 0.2MBq@…")
    parser.add_argument("--injection-time", help="time of injection, ISO 8601 with offset")
    parser.add_argument(
        "--file-utc-offset",
        help="UTC offset of the scanner's clock for a file that records none, e.g. +01:00",
    )
    parser.add_argument("--force", action="store_true", help="replace an existing output")
    parser.add_argument("--json", action="store_true", help="machine-readable summary")
    parser.set_defaults(run=run)


def _subject(image: Any, args: argparse.Namespace) -> Any:
    from positrix.cli.subject_options import subject_changes
    from positrix.image.subject import Subject

    changes = subject_changes(args)
    for key in ("species", "strain"):
        if getattr(args, key):
            changes[key] = getattr(args, key)
    if args.subject_id:
        changes["id"] = args.subject_id
    return dataclasses.replace(image.subject or Subject(), **changes) if changes else image.subject


def _injection(image: Any, args: argparse.Namespace) -> Any:
    from positrix.physics.injection import Injection
    from positrix.physics.nuclides import get_nuclide
    from positrix.physics.units import parse_activity_at, parse_iso_datetime

    changes: dict[str, Any] = {}
    if args.nuclide:
        changes["nuclide"] = get_nuclide(args.nuclide)
    if args.tracer:
        changes["tracer"] = args.tracer
    if args.injected:
        changes["activity_before_bq"], changes["activity_before_time"] = parse_activity_at(
            args.injected, field="--injected"
        )
    if args.residual:
        changes["residual_bq"], changes["residual_time"] = parse_activity_at(
            args.residual, field="--residual"
        )
    if args.injection_time:
        changes["injection_time"] = parse_iso_datetime(
            args.injection_time, field="--injection-time", require_offset=True
        )
    if not changes:
        return image.injection
    return dataclasses.replace(image.injection or Injection(), **changes)


def _zone(text: str) -> Any:
    from datetime import datetime

    try:
        zone = datetime.fromisoformat(f"2000-01-01T00:00:00{text.strip()}").tzinfo
    except ValueError:
        zone = None
    if zone is None:
        raise PositrixError(
            f"cannot read '{text}' as a UTC offset",
            field="--file-utc-offset",
            fix="write it as +01:00, -05:00 or Z",
        )
    return zone


def _times_given(args: argparse.Namespace) -> list[str]:
    return [t for t in (args.injected, args.residual, args.injection_time) if t]


def _check_clock(image: Any, args: argparse.Namespace) -> Any:
    """Date-times the user gives must mean the same clock as the file's."""
    if args.file_utc_offset:
        if "times" not in image.metadata:
            raise PositrixError(
                "the file records its time zone, so there is nothing to set",
                source=args.image,
                field="--file-utc-offset",
                fix="leave --file-utc-offset out",
            )
        from positrix.image.timezone import with_clock_zone

        return with_clock_zone(image, _zone(args.file_utc_offset))
    if not _times_given(args):
        return image
    if image.metadata.get("date_unknown"):
        raise PositrixError(
            "the file keeps clock times without a date (PET-BIDS), so a dated time cannot be "
            "placed on its time line",
            source=args.image,
            field="--injected/--residual/--injection-time",
            fix="edit the DICOM series (or a NIfTI written by positrix) instead",
        )
    if "times" in image.metadata:
        raise PositrixError(
            "the file's clock times carry no time zone (they were taken as UTC), so a time "
            "with a UTC offset cannot be compared with them",
            source=args.image,
            field="--file-utc-offset",
            fix="give the scanner clock's offset, e.g. --file-utc-offset +01:00",
        )
    return image


def edited(image: Any, args: argparse.Namespace) -> Any:
    """``image`` with the subject and injection options of ``args`` applied."""
    image = _check_clock(image, args)
    return image.replace(subject=_subject(image, args), injection=_injection(image, args))


def _check_dose(image: Any) -> None:
    """A dose the user touched must add up: nuclide, times and activities all known."""
    from positrix.errors import MissingFieldError

    injection = image.injection
    if injection is None or injection.activity_before_bq is None:
        return
    try:
        injection.net_activity_bq  # noqa: B018 - raises what is missing or inconsistent
    except MissingFieldError as err:
        option = {"nuclide": "--nuclide", "injection_time": "--injection-time"}.get(
            str(err.field), "--injected"
        )
        raise PositrixError(
            f"the dose needs the {str(err.field).replace('_', ' ')}, which is not recorded",
            field=option,
            fix=f"add {option}",
        ) from None


def _check_injection_time(image: Any) -> None:
    """An injection after the first frame has ended is a typo, not an experiment."""
    frames, injection = image.frames, image.injection
    if frames is None or frames.acquisition_start is None or injection is None:
        return
    if injection.injection_time is None:
        return
    first_end = frames.acquisition_start.timestamp() + float(frames.end_s[0])
    if injection.injection_time.timestamp() > first_end + 1e-6:
        raise PositrixError(
            f"the injection at {injection.injection_time.isoformat()} comes after the first "
            f"frame ends ({float(frames.end_s[0]):g} s after the scan start "
            f"{frames.acquisition_start.isoformat()})",
            field="--injection-time",
            fix="check the date, time and UTC offset of the injection",
        )


def run(args: argparse.Namespace) -> int:
    """Read, edit, check the injection adds up, write the copy."""
    from positrix.io import load, planned_outputs, save
    from positrix.io.safety import check_writable

    source, target = Path(args.image), Path(args.output)
    check_writable(planned_outputs(target), overwrite=args.force, inputs=[source])
    image = edited(load(source), args)
    if _times_given(args) or args.nuclide:
        _check_dose(image)
    _check_injection_time(image)
    written = save(image, target, overwrite=args.force)
    from positrix.image.summary import summarize

    summary = summarize(image)
    if args.json:
        print_json({**summary, "files": [str(p) for p in written]})
    else:
        print_table(format_summary(summary))
        print(f"wrote {', '.join(str(p) for p in written)}")
    return 0
