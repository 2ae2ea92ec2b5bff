"""``positrix hotel``: a hotel scan split into one study per animal (thin: the work is in
positrix.pipeline.hotel)."""

from __future__ import annotations

import argparse
from typing import Any

from positrix.cli.output import print_json

__all__ = ["add_parser"]

_COLUMNS = ("position", "animal", "weight_g", "tracer", "nuclide", "injected", "injection_time")


def add_parser(subparsers: Any) -> None:
    """Register ``positrix hotel``."""
    hotel = subparsers.add_parser(
        "hotel",
        help="split a hotel scan (several animals in one field of view) per animal",
        description="Finds the animals on the CT (> -500 HU, one body each), orders them "
        "along --axis and matches them to the hotel positions of --animals (a CSV with "
        + ", ".join(_COLUMNS)
        + "); writes OUT/position-N/pet.nii.gz and ct.nii.gz, each "
        "PET with its animal's weight and injection.",
    )
    hotel.add_argument("pet", help="the hotel PET")
    hotel.add_argument("--ct", required=True, help="the hotel CT")
    hotel.add_argument("--animals", required=True, help="CSV: one row per hotel position")
    hotel.add_argument("--out", required=True, help="output folder")
    hotel.add_argument("--axis", choices=["x", "y"], default="x", help="the hotel's axis")
    hotel.add_argument("--json", action="store_true", help="machine-readable output")
    hotel.set_defaults(run=run)


def _animals(path: str) -> list[Any]:
    import csv

    from positrix.errors import FileFormatError
    from positrix.image.subject import Subject
    from positrix.physics.injection import Injection
    from positrix.physics.nuclides import get_nuclide
    from positrix.physics.units import parse_activity, parse_iso_datetime
    from positrix.pipeline.hotel import HotelAnimal

    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as err:
        raise FileFormatError(f"cannot read ({err.strerror})", source=path) from None
    animals = []
    for line, row in enumerate(rows, start=2):
        missing = [c for c in _COLUMNS if not (row.get(c) or "").strip()]
        if missing:
            raise FileFormatError(
                f"line {line}: no {missing[0]}",
                source=path,
                field=missing[0],
                fix="columns: " + ", ".join(_COLUMNS),
            )
        try:
            position, weight = int(row["position"]), float(row["weight_g"])
        except ValueError:
            raise FileFormatError(
                f"line {line}: position or weight_g is not a number",
                source=path,
                field="position/weight_g",
                fix="a whole position and a weight in g",
            ) from None
        when = parse_iso_datetime(
            row["injection_time"], field="injection_time", require_offset=True
        )
        animals.append(
            HotelAnimal(
                position,
                Subject(id=row["animal"].strip(), weight_g=weight),
                Injection(
                    nuclide=get_nuclide(row["nuclide"].strip()),
                    tracer=row["tracer"].strip(),
                    injection_time=when,
                    activity_before_bq=parse_activity(row["injected"]),
                    activity_before_time=when,
                ),
            )
        )
    return animals


def run(args: argparse.Namespace) -> int:
    """Split and name the folders."""
    from positrix.io import load
    from positrix.pipeline.hotel import split_hotel

    animals = _animals(args.animals)
    folders = split_hotel(
        load(args.pet), load(args.ct), animals, args.out, axis=0 if args.axis == "x" else 1
    )
    if args.json:
        print_json([str(f) for f in folders])
    else:
        for folder in folders:
            print(folder)
    return 0
