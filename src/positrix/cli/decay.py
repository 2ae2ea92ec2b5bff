"""``positrix decay NUCLIDE --activity 370MBq --from T --to T [--dataset D] [--chain] [--json]``."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any

from positrix.cli.output import print_json, print_table
from positrix.errors import UnitError
from positrix.physics.chains import CHAIN_DATASET, chain_activities
from positrix.physics.decay import DATASETS, half_life_s
from positrix.physics.nuclides import get_nuclide
from positrix.physics.units import format_activity, parse_activity, parse_time_point

__all__ = ["add_parser"]


def add_parser(subparsers: Any) -> None:
    """Register ``positrix decay``."""
    parser = subparsers.add_parser("decay", help="decay an activity from one time to another")
    parser.add_argument("nuclide", help="e.g. F-18")
    parser.add_argument("--activity", required=True, help="activity with unit, e.g. 370MBq, 10mCi")
    parser.add_argument(
        "--from",
        dest="start",
        default="0",
        help="time of the measurement: ISO date-time or minutes (default 0)",
    )
    parser.add_argument(
        "--to", dest="end", required=True, help="time to decay to: ISO date-time or minutes"
    )
    parser.add_argument(
        "--dataset", choices=DATASETS, default="ENSDF", help="half-life from (default ENSDF)"
    )
    parser.add_argument(
        "--chain",
        action="store_true",
        help=f"also the activity of every daughter grown in (Bateman, {CHAIN_DATASET})",
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(run=run)


def _elapsed_s(start: datetime | float, end: datetime | float) -> float:
    if isinstance(start, datetime) and isinstance(end, datetime):
        if (start.tzinfo is None) != (end.tzinfo is None):
            raise UnitError(
                "one of --from and --to has a UTC offset and the other has none",
                field="--from/--to",
                fix="give both with their offset (e.g. +01:00), or both without",
            )
        return (end - start).total_seconds()
    if isinstance(start, float) and isinstance(end, float):
        return end - start
    raise UnitError(
        "--from and --to mix a date-time and a number of minutes",
        field="--from/--to",
        fix="give both as ISO date-times or both as minutes",
    )


def _moment(key: str, value: datetime | float) -> dict[str, str | float]:
    """``{"from": ISO text}`` for a date-time, ``{"from_min": minutes}`` for minutes."""
    if isinstance(value, datetime):
        return {key: value.isoformat()}
    return {f"{key}_min": value / 60.0}


def run(args: argparse.Namespace) -> int:
    """Decay an activity between two times and print it (text or JSON, with units)."""
    nuclide = get_nuclide(args.nuclide)
    activity = parse_activity(args.activity, field="--activity")
    start = parse_time_point(args.start, field="--from")
    end = parse_time_point(args.end, field="--to")
    elapsed = _elapsed_s(start, end)
    half_life = half_life_s(nuclide.name, args.dataset)
    factor = 2.0 ** (-elapsed / half_life)
    result: dict[str, Any] = {
        "nuclide": nuclide.name,
        "dataset": args.dataset,
        "half_life_s": half_life,
        "activity_bq": activity,
        **_moment("from", start),
        **_moment("to", end),
        "elapsed_s": elapsed,
        "decay_factor": factor,
        "decayed_activity_bq": activity * factor,
    }
    if args.chain:
        if elapsed < 0:
            raise UnitError(
                "--chain decays forward only: --to is before --from",
                field="--to",
                fix="give a --to after --from",
            )
        chain = chain_activities(nuclide.name, activity, elapsed)
        result["chain_dataset"] = CHAIN_DATASET
        result["chain_activities_bq"] = chain
    if args.json:
        print_json(result)
        return 0
    print_table(
        [
            ("nuclide", f"{nuclide.name} (half-life {half_life:g} s, {args.dataset})"),
            ("activity", format_activity(activity)),
            ("elapsed", f"{elapsed:g} s ({elapsed / 60:.4g} min)"),
            ("decay factor", f"{factor:.6g}"),
            ("decayed activity", format_activity(activity * factor)),
        ]
    )
    if args.chain:
        print(f"\nchain after {elapsed:g} s ({CHAIN_DATASET}):")
        print_table(
            [
                (name, format_activity(value))
                for name, value in result["chain_activities_bq"].items()
            ]
        )
    return 0
