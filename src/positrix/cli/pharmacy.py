"""``positrix pharmacy draw|rcy|molar|generator``: the radiopharmacy's daily arithmetic."""

from __future__ import annotations

import argparse
from typing import Any

from positrix.cli.output import print_json, print_table

__all__ = ["add_parser"]

_AT = "ACTIVITY@DATE-TIME, e.g. 5GBq@2026-12-07T08:00+01:00"


def add_parser(subparsers: Any) -> None:
    """Register ``positrix pharmacy`` and its commands."""
    pharmacy = subparsers.add_parser(
        "pharmacy",
        help="radiopharmacy: doses to draw, radiochemical yield, molar activity, generators",
    )
    commands = pharmacy.add_subparsers(dest="pharmacy_command", required=True, metavar="COMMAND")

    draw = commands.add_parser("draw", help="activity and volume to draw for a dose")
    draw.add_argument("nuclide", help="e.g. F-18")
    draw.add_argument("--stock", required=True, help=f"the vial: {_AT}")
    draw.add_argument("--volume", required=True, help="the vial's volume, e.g. 10mL")
    draw.add_argument("--dose", required=True, help=f"wanted at injection: {_AT}")
    draw.add_argument("--at", required=True, help="when you draw (date-time with offset)")
    _common(draw)
    draw.set_defaults(run=run_draw)

    rcy = commands.add_parser("rcy", help="radiochemical yield, as measured and decay-corrected")
    rcy.add_argument("nuclide", help="e.g. F-18")
    rcy.add_argument("--start", required=True, help=f"activity at the start: {_AT}")
    rcy.add_argument("--product", required=True, help=f"activity of the product: {_AT}")
    _common(rcy)
    rcy.set_defaults(run=run_rcy)

    molar = commands.add_parser("molar", help="molar activity and its carrier-free maximum")
    molar.add_argument("nuclide", help="e.g. F-18")
    molar.add_argument("--activity", required=True, help="activity, e.g. 5GBq")
    molar.add_argument("--amount-nmol", required=True, type=float, help="compound (nmol)")
    _common(molar)
    molar.set_defaults(run=run_molar)

    generator = commands.add_parser("generator", help="generator elution: ingrowth, breakthrough")
    generator.add_argument("--parent", default="Ge-68", help="parent (default Ge-68)")
    generator.add_argument("--daughter", default="Ga-68", help="daughter (default Ga-68)")
    generator.add_argument("--calibration", required=True, help=f"parent activity: {_AT}")
    generator.add_argument("--last-elution", required=True, help="previous complete elution")
    generator.add_argument("--at", required=True, help="this elution (date-time with offset)")
    generator.add_argument(
        "--efficiency", type=float, default=1.0, help="elution efficiency (default 1)"
    )
    generator.add_argument(
        "--parent-in-eluate",
        help="parent activity measured in the eluate (after the daughter decayed), e.g. 5kBq",
    )
    generator.add_argument("--json", action="store_true", help="machine-readable output")
    generator.set_defaults(run=run_generator)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dataset", default="ENSDF", choices=["ENSDF", "ICRP-107"], help="half-life data"
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def _when(text: str, field: str) -> Any:
    from positrix.physics.units import parse_iso_datetime

    return parse_iso_datetime(text, field=field, require_offset=True)


def run_draw(args: argparse.Namespace) -> int:
    """Activity and volume to draw."""
    from positrix.physics.decay import half_life_s
    from positrix.physics.pharmacy import draw_for_dose
    from positrix.physics.units import parse_activity_at, parse_quantity

    stock_bq, stock_time = parse_activity_at(args.stock, field="--stock")
    dose_bq, injection = parse_activity_at(args.dose, field="--dose")
    volume = parse_quantity(args.volume, "volume", field="--volume", positive=True)
    result = draw_for_dose(
        dose_bq,
        injection,
        stock_bq=stock_bq,
        stock_time=stock_time,
        stock_volume_ml=volume,
        draw_time=_when(args.at, "--at"),
        nuclide=args.nuclide,
        dataset=args.dataset,
    )
    out = {
        "nuclide": args.nuclide,
        "dataset": args.dataset,
        "half_life_s": half_life_s(args.nuclide, args.dataset),
        "draw_activity_MBq": result.activity_bq / 1e6,
        "draw_volume_mL": result.volume_ml,
        "stock_activity_at_draw_MBq": result.stock_activity_bq / 1e6,
        "stock_concentration_MBq_per_mL": result.stock_concentration_bq_per_ml / 1e6,
    }
    if args.json:
        print_json(out)
        return 0
    print_table([
        ("draw", f"{out['draw_activity_MBq']:.4g} MBq in {out['draw_volume_mL']:.4g} mL"),
        ("stock at the draw", f"{out['stock_activity_at_draw_MBq']:.4g} MBq, "
                              f"{out['stock_concentration_MBq_per_mL']:.4g} MBq/mL"),
        ("half-life", f"{out['half_life_s']:g} s [{args.dataset}]"),
    ])  # fmt: skip
    return 0


def run_rcy(args: argparse.Namespace) -> int:
    """Radiochemical yield both ways."""
    from positrix.physics.pharmacy import radiochemical_yield
    from positrix.physics.units import parse_activity_at

    start_bq, start = parse_activity_at(args.start, field="--start")
    product_bq, end = parse_activity_at(args.product, field="--product")
    measured, corrected = radiochemical_yield(
        start_bq, start, product_bq, end, args.nuclide, dataset=args.dataset
    )
    out = {
        "nuclide": args.nuclide,
        "dataset": args.dataset,
        "rcy_percent": 100 * measured,
        "rcy_decay_corrected_percent": 100 * corrected,
        "synthesis_time_min": (end - start).total_seconds() / 60,
    }
    if args.json:
        print_json(out)
        return 0
    print_table([
        ("RCY (not decay-corrected)", f"{out['rcy_percent']:.3g} %"),
        ("RCY (decay-corrected to the start)", f"{out['rcy_decay_corrected_percent']:.3g} %"),
        ("synthesis time", f"{out['synthesis_time_min']:.4g} min [{args.dataset}]"),
    ])  # fmt: skip
    return 0


def run_molar(args: argparse.Namespace) -> int:
    """Molar activity and its carrier-free maximum."""
    from positrix.errors import PositrixError
    from positrix.physics.pharmacy import carrier_free_molar_activity
    from positrix.physics.units import parse_activity

    if not args.amount_nmol > 0:
        raise PositrixError("the amount must be > 0", field="--amount-nmol", fix="nmol")
    activity = parse_activity(args.activity, field="--activity")
    molar = activity / (args.amount_nmol * 1e-9) / 1e9 / 1e6  # GBq/µmol
    maximum = carrier_free_molar_activity(args.nuclide, dataset=args.dataset) / 1e9 / 1e6
    out = {
        "nuclide": args.nuclide,
        "dataset": args.dataset,
        "molar_activity_GBq_per_umol": molar,
        "carrier_free_GBq_per_umol": maximum,
        "fraction_of_carrier_free": molar / maximum,
    }
    if molar > maximum * (1 + 1e-9):
        raise PositrixError(
            f"{molar:.4g} GBq/µmol is above the carrier-free maximum {maximum:.4g}",
            field="--amount-nmol",
            fix="check the activity and the amount",
        )
    if args.json:
        print_json(out)
        return 0
    print_table([
        ("molar activity", f"{molar:.4g} GBq/µmol"),
        ("carrier-free maximum", f"{maximum:.4g} GBq/µmol [{args.dataset}]"),
        ("fraction of it", f"{100 * out['fraction_of_carrier_free']:.3g} %"),
    ])  # fmt: skip
    return 0


def run_generator(args: argparse.Namespace) -> int:
    """Daughter available and the parent's breakthrough."""
    from positrix.physics.pharmacy import elution
    from positrix.physics.units import parse_activity, parse_activity_at

    parent_bq, calibrated = parse_activity_at(args.calibration, field="--calibration")
    found = elution(
        parent_bq,
        calibrated,
        _when(args.last_elution, "--last-elution"),
        _when(args.at, "--at"),
        parent=args.parent,
        daughter=args.daughter,
        efficiency=args.efficiency,
        parent_in_eluate_bq=(
            parse_activity(args.parent_in_eluate, field="--parent-in-eluate")
            if args.parent_in_eluate
            else None
        ),
    )
    out = {
        "parent": args.parent,
        "daughter": args.daughter,
        "dataset": "ICRP-107",
        "parent_activity_MBq": found.parent_bq / 1e6,
        "daughter_eluted_MBq": found.daughter_bq / 1e6,
        "daughter_fraction_of_parent": found.fraction_of_parent,
        "breakthrough_percent": (
            None if found.breakthrough_fraction is None else 100 * found.breakthrough_fraction
        ),
        "breakthrough_limit_percent": (
            None if found.breakthrough_limit is None else 100 * found.breakthrough_limit
        ),
        "breakthrough_ok": found.breakthrough_ok,
    }
    if args.json:
        print_json(out)
        return 0
    rows = [
        ("parent now", f"{out['parent_activity_MBq']:.4g} MBq {args.parent}"),
        ("eluted", f"{out['daughter_eluted_MBq']:.4g} MBq {args.daughter} "
                   f"({100 * found.fraction_of_parent:.3g} % of the parent) [ICRP-107]"),
    ]  # fmt: skip
    if out["breakthrough_percent"] is not None:
        verdict = {True: "within", False: "ABOVE", None: "no limit for"}[found.breakthrough_ok]
        limit = out["breakthrough_limit_percent"]
        rows.append(
            ("breakthrough", f"{out['breakthrough_percent']:.3g} % ({verdict} the "
                             + (f"{limit:g} % limit)" if limit is not None else "parent)"))
        )  # fmt: skip
    print_table(rows)
    return 0
