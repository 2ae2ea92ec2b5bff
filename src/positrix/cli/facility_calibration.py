"""``positrix facility calibration scanner|dose-calibrator|list``: calibration records."""

from __future__ import annotations

import argparse
from typing import Any

from positrix.cli.facility_common import actor_option, db_options, when, work
from positrix.cli.output import print_json

__all__ = ["add_parsers"]


def add_parsers(commands: Any) -> None:
    """Register ``positrix facility calibration``."""
    calibration = commands.add_parser(
        "calibration", help="scanner cross-calibration and dose-calibrator records"
    )
    actions = calibration.add_subparsers(
        dest="calibration_command", required=True, metavar="ACTION"
    )
    scanner = actions.add_parser(
        "scanner", help="record a scanner × nuclide cross-calibration from a uniform phantom"
    )
    scanner.add_argument("--instrument", required=True, help="the scanner's instrument name")
    scanner.add_argument("--nuclide", required=True, help="e.g. F-18")
    scanner.add_argument(
        "--activity",
        required=True,
        help="phantom activity in the dose calibrator: ACTIVITY@DATE-TIME",
    )
    scanner.add_argument("--volume", required=True, help="phantom volume, e.g. 20mL")
    scanner.add_argument(
        "--image-mean", required=True, help="mean of the phantom's image, e.g. 950kBq/mL"
    )
    scanner.add_argument(
        "--image-time",
        required=True,
        help="time the image is decay-corrected to (ISO 8601 + offset)",
    )
    actor_option(scanner)
    db_options(scanner)
    scanner.set_defaults(run=run_scanner)

    calibrator = actions.add_parser(
        "dose-calibrator", help="record a dose calibrator's setting and factor for a nuclide"
    )
    calibrator.add_argument("--device", required=True, help="dose calibrator name")
    calibrator.add_argument("--nuclide", required=True, help="e.g. Ga-68")
    calibrator.add_argument("--setting", default="", help="dial setting / calibration number")
    calibrator.add_argument("--reading", required=True, help="its reading: ACTIVITY@DATE-TIME")
    calibrator.add_argument(
        "--reference",
        required=True,
        help="the reference source's certified activity: ACTIVITY@DATE-TIME",
    )
    actor_option(calibrator)
    db_options(calibrator)
    calibrator.set_defaults(run=run_dose_calibrator)

    listing = actions.add_parser("list", help="every calibration record, newest first")
    actor_option(listing)
    db_options(listing)
    listing.set_defaults(run=run_list)


def _report(args: argparse.Namespace, result: dict[str, Any]) -> int:
    if args.json:
        print_json(result)
    else:
        print(
            f"calibration {result['id']}: {result['device']} {result['nuclide']} factor "
            f"{result['factor']:.5g} ({result['kind']}, {result['measured_at']})"
        )
    return 0


def _row(made: Any) -> dict[str, Any]:
    return {
        "id": made.id,
        "kind": made.kind,
        "device": made.device,
        "nuclide": made.nuclide,
        "factor": made.factor,
        "setting": made.setting,
        "measured_at": made.measured_at.isoformat(timespec="minutes"),
    }


def run_scanner(args: argparse.Namespace) -> int:
    """Compute and record a scanner cross-calibration."""
    from positrix.facility.calibrations import record_scanner_calibration
    from positrix.physics.units import parse_activity_at, parse_quantity

    activity, activity_time = parse_activity_at(args.activity, field="--activity")
    volume = parse_quantity(args.volume, "volume", field="--volume")
    mean = parse_quantity(args.image_mean, "concentration", field="--image-mean")
    image_time = when(args.image_time, "--image-time")
    made = work(
        args,
        lambda s, a: _row(
            record_scanner_calibration(
                s,
                a,
                instrument=args.instrument,
                nuclide=args.nuclide,
                activity_bq=activity,
                activity_time=activity_time,
                volume_ml=volume,
                image_mean_bq_ml=mean,
                image_time=image_time,
            )
        ),
    )
    return _report(args, made)


def run_dose_calibrator(args: argparse.Namespace) -> int:
    """Record a dose calibrator's factor against a reference source."""
    from positrix.facility.calibrations import record_dose_calibrator
    from positrix.physics.units import parse_activity_at

    reading, reading_time = parse_activity_at(args.reading, field="--reading")
    reference, reference_time = parse_activity_at(args.reference, field="--reference")
    made = work(
        args,
        lambda s, a: _row(
            record_dose_calibrator(
                s,
                a,
                device=args.device,
                nuclide=args.nuclide,
                setting=args.setting,
                reading_bq=reading,
                reading_time=reading_time,
                reference_bq=reference,
                reference_time=reference_time,
            )
        ),
    )
    return _report(args, made)


def run_list(args: argparse.Namespace) -> int:
    """Print the calibration records."""
    from positrix.facility.calibrations import list_calibrations

    rows = work(args, list_calibrations)
    if args.json:
        print_json(rows)
        return 0
    for row in rows:
        line = (
            f"{row['id']:>4}  {row['measured_at']}  {row['kind']:<16} {row['device']:<20} "
            f"{row['nuclide']:<7} factor {row['factor']:.5g}  {row['setting']}"
        )
        print(line.rstrip())
    return 0
