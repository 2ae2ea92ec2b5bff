"""``positrix dose tia|organ|voxel|extrapolate|effective``: internal dosimetry."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from positrix.cli.output import print_json

__all__ = ["add_parser"]

_TABLE = (
    "uptake table (CSV/TSV): organ, time_h (or _s/_min/_d), percent_ia or percent_id_per_g + mass_g"
)


def add_parser(subparsers: Any) -> None:
    """Register ``positrix dose`` and its commands."""
    dose = subparsers.add_parser(
        "dose", help="dosimetry: time-integrated activity, MIRD organ and voxel doses, E"
    )
    commands = dose.add_subparsers(dest="dose_command", required=True, metavar="COMMAND")

    tia = commands.add_parser("tia", help="time-integrated activity coefficients per organ")
    _tia_options(tia)
    tia.set_defaults(run=run_tia)

    organ = commands.add_parser("organ", help="MIRD organ doses: S-value table or sphere model")
    _tia_options(organ)
    organ.add_argument("--s-values", help="S-value CSV: target, source, S_mGy_per_MBq_s …")
    organ.add_argument(
        "--sphere",
        action="store_true",
        help="self-dose sphere model (organ masses from the table's mass_g or --mass)",
    )
    organ.add_argument(
        "--mass",
        action="append",
        default=[],
        metavar="ORGAN=MASS",
        help="organ mass for the sphere model, e.g. kidneys=0.35g (repeatable)",
    )
    organ.set_defaults(run=run_organ)

    voxel = commands.add_parser("voxel", help="voxel dose map by dose-kernel convolution")
    voxel.add_argument("images", nargs="+", help="PET images (Bq/mL) at one or more times")
    voxel.add_argument("-o", "--output", required=True, help="dose image (Gy) to write")
    voxel.add_argument("--nuclide", help="override the images' nuclide")
    voxel.add_argument("--force", action="store_true", help="replace an existing output")
    voxel.add_argument("--json", action="store_true", help="machine-readable output")
    voxel.set_defaults(run=run_voxel)

    human = commands.add_parser("extrapolate", help="animal → human TIA coefficients")
    _tia_options(human)
    human.add_argument("--animal-mass", required=True, help="animal body mass, e.g. 25g")
    human.add_argument(
        "--sex",
        choices=("male", "female"),
        default="male",
        help="ICRP 89 reference adult (default male)",
    )
    human.add_argument(
        "--human-mass",
        action="append",
        default=[],
        metavar="ORGAN=MASS",
        help="human organ mass where ICRP 89 has none, e.g. tumour=30g (repeatable)",
    )
    human.add_argument(
        "--no-time-scaling",
        action="store_true",
        help="mass scaling only (no (m_human/m_animal)^¼ time stretch)",
    )
    human.set_defaults(run=run_extrapolate)

    effective = commands.add_parser("effective", help="effective dose (ICRP 103 weights)")
    effective.add_argument(
        "table", help="CSV: tissue, dose_Gy|dose_mGy (absorbed) or dose_Sv|dose_mSv; radiation"
    )
    effective.add_argument("--json", action="store_true", help="machine-readable output")
    effective.set_defaults(run=run_effective)


def _tia_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("table", help=_TABLE)
    parser.add_argument("--nuclide", required=True, help="e.g. Lu-177")
    parser.add_argument(
        "--decay-corrected",
        required=True,
        choices=("yes", "no"),
        help="are the table's values decay-corrected to injection?",
    )
    parser.add_argument(
        "--method",
        choices=("trapezoid", "exponential"),
        default="trapezoid",
        help="integration (default trapezoid + physical tail)",
    )
    parser.add_argument("--terms", type=int, default=1, help="exponentials to fit (1 or 2)")
    parser.add_argument(
        "--start",
        choices=("zero", "constant"),
        default="zero",
        help="before the first time: rise from 0 (default) or constant",
    )
    parser.add_argument("--injected", help="injected activity, e.g. 10MBq (activity columns)")
    parser.add_argument(
        "--dataset",
        choices=("ENSDF", "ICRP-107"),
        default="ENSDF",
        help="half-life from (default ENSDF)",
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def _curves(args: argparse.Namespace) -> list[Any]:
    """The uptake table's curves, errors naming the table."""
    from positrix.errors import PositrixError
    from positrix.physics.units import parse_activity
    from positrix.quant.dosimetry import read_uptake_table

    injected = parse_activity(args.injected, field="--injected") if args.injected else None
    try:
        return read_uptake_table(
            args.table,
            nuclide=args.nuclide,
            decay_corrected=args.decay_corrected == "yes",
            injected_bq=injected,
            dataset=args.dataset,
        )
    except PositrixError as err:
        raise err.with_source(args.table) from None


def _tia(args: argparse.Namespace) -> list[Any]:
    from positrix.errors import PositrixError
    from positrix.quant.dosimetry import time_integrated

    curves = _curves(args)
    try:
        return time_integrated(
            curves,
            nuclide=args.nuclide,
            method=args.method,
            start=args.start,
            terms=args.terms,
            dataset=args.dataset,
        )
    except PositrixError as err:
        raise err.with_source(args.table) from None


def run_tia(args: argparse.Namespace) -> int:
    """Print the TIA coefficient (h) of each organ."""
    results = _tia(args)
    rows = [
        {"organ": r.region, "tiac_h": r.tiac_h, "method": r.method, **r.details} for r in results
    ]
    if args.json:
        print_json({"nuclide": args.nuclide, "dataset": args.dataset, "regions": rows})
        return 0
    print(
        f"time-integrated activity coefficients ({args.nuclide}, {args.method}; "
        "MBq·h per MBq injected)"
    )
    for r in results:
        tail = r.details.get("tail_fraction")
        extra = f"  (physical tail {100 * tail:.1f} % of it)" if tail is not None else ""
        print(f"{r.region:<20} {r.tiac_h:.5g} h{extra}")
    return 0


def _masses(pairs: list[str], field: str) -> dict[str, float]:
    from positrix.errors import PositrixError
    from positrix.physics.units import parse_mass

    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise PositrixError(f"'{pair}' is not ORGAN=MASS", field=field, fix="e.g. liver=1.2g")
        out[name.strip()] = parse_mass(value, field=field)
    return out


def run_organ(args: argparse.Namespace) -> int:
    """MIRD organ doses from the table's TIA coefficients."""
    from positrix.errors import PositrixError
    from positrix.physics.mird import absorbed_doses, read_s_values, sphere_s_value
    from positrix.physics.units import parse_activity

    if bool(args.s_values) == bool(args.sphere):
        raise PositrixError(
            "give either --s-values or --sphere",
            field="--s-values/--sphere",
            fix="an S-value table of your phantom, or the shipped sphere model",
        )
    results = _tia(args)
    injected = parse_activity(args.injected, field="--injected") if args.injected else 1e6
    per_mbq = args.injected is None
    tia_bq_s = {r.region: r.tiac_h * 3600.0 * injected for r in results}
    if args.s_values:
        doses = absorbed_doses(tia_bq_s, read_s_values(Path(args.s_values)))
        model = f"S-values from {args.s_values}"
    else:
        masses = {r.region: r.mass_g for r in results if r.mass_g} | _masses(args.mass, "--mass")
        lacking = [r.region for r in results if r.region not in masses]
        if lacking:
            raise PositrixError(
                f"no mass for {', '.join(lacking)}",
                field="--mass",
                fix="add a mass_g column to the table or --mass ORGAN=MASS",
            )
        doses = {}
        for region, tia in tia_bq_s.items():
            s = sphere_s_value(args.nuclide, masses[region])
            doses[region] = {
                "alpha": tia * s["alpha"],
                "other": tia * s["electrons"],
                "total": tia * (s["alpha"] + s["electrons"]),
            }
        model = "self-dose sphere model (α + electrons; photons not counted)"
    unit = "mGy_per_MBq" if per_mbq else "Gy"
    scale = 1000.0 if per_mbq else 1.0
    rows = [
        {"target": t, f"dose_{unit}": d["total"] * scale, f"alpha_{unit}": d["alpha"] * scale}
        for t, d in doses.items()
    ]
    if args.json:
        print_json(
            {
                "nuclide": args.nuclide,
                "model": model,
                "unit": unit,
                "targets": rows,
                "tiac_h": {r.region: r.tiac_h for r in results},
            }
        )
        return 0
    print(f"absorbed dose ({args.nuclide}; {model})")
    label = "mGy per MBq injected" if per_mbq else f"Gy for {args.injected} injected"
    for row in rows:
        alpha = f"  (α {row[f'alpha_{unit}']:.4g})" if row[f"alpha_{unit}"] else ""
        print(f"{row['target']:<20} {row[f'dose_{unit}']:.4g} {label}{alpha}")
    return 0


def run_voxel(args: argparse.Namespace) -> int:
    """Dose image from PET images by kernel convolution."""
    import numpy as np

    from positrix.io import load, save
    from positrix.io.safety import check_writable
    from positrix.quant.voxel_dose import voxel_dose

    check_writable([Path(args.output)], overwrite=args.force, inputs=[Path(p) for p in args.images])
    result = voxel_dose([load(p) for p in args.images], nuclide=args.nuclide)
    save(result.dose, args.output, overwrite=args.force)
    data = np.asarray(result.dose.data)
    summary = {
        "nuclide": result.nuclide,
        "output": args.output,
        "unit": "Gy",
        "times_after_injection_min": [t / 60.0 for t in result.times_s],
        "max_Gy": float(data.max()),
        "total_decays": float(result.tia_bq_s.sum()),
        "single_time_point": len(result.times_s) == 1,
    }
    if args.json:
        print_json(summary)
        return 0
    print(
        f"{args.output}: absorbed dose ({result.nuclide}), max {summary['max_Gy']:.4g} Gy, "
        f"{summary['total_decays']:.4g} decays from {len(result.times_s)} time point(s)"
    )
    if summary["single_time_point"]:
        print("one time point: physical decay only after the scan (an upper bound if it clears)")
    return 0


def run_extrapolate(args: argparse.Namespace) -> int:
    """Human TIA coefficients by relative mass (and time) scaling."""
    from positrix.errors import PositrixError
    from positrix.physics.extrapolation import reference_organ_mass_g
    from positrix.physics.units import parse_mass
    from positrix.quant.dosimetry import human_time_integrated

    animal = parse_mass(args.animal_mass, field="--animal-mass")
    human_body = reference_organ_mass_g("total body", sex=args.sex)
    try:
        rows = human_time_integrated(
            _curves(args),
            nuclide=args.nuclide,
            animal_mass_g=animal,
            sex=args.sex,
            human_masses_g=_masses(args.human_mass, "--human-mass"),
            time_scaling=not args.no_time_scaling,
            start=args.start,
            dataset=args.dataset,
        )
    except PositrixError as err:
        raise err.with_source(args.table) from None
    if args.json:
        print_json(
            {
                "nuclide": args.nuclide,
                "sex": args.sex,
                "human_body_mass_g": human_body,
                "time_scaling": not args.no_time_scaling,
                "regions": rows,
            }
        )
        return 0
    print(
        f"human TIA coefficients ({args.nuclide}, ICRP 89 reference {args.sex}, "
        f"{'mass and time' if not args.no_time_scaling else 'mass'} scaling)"
    )
    for row in rows:
        print(f"{row['organ']:<20} {row['tiac_h']:.5g} h   (organ {row['human_mass_g']:g} g)")
    return 0


def run_effective(args: argparse.Namespace) -> int:
    """Effective dose from a table of tissue doses."""
    from positrix.physics.effective_dose import effective_dose
    from positrix.quant.dosimetry import read_tissue_doses

    doses = read_tissue_doses(Path(args.table))
    result = effective_dose(doses)
    payload = {
        "effective_dose_Sv": result.effective_sv,
        "complete": result.complete,
        "contributions_Sv": result.contributions_sv,
        "remainder_tissues": list(result.remainder_tissues),
        "missing_tissues": result.missing,
        "ignored": list(result.ignored),
    }
    if args.json:
        print_json(payload)
        return 0
    bound = "" if result.complete else " (lower bound: tissues missing)"
    print(f"effective dose {result.effective_sv * 1000:.4g} mSv{bound}  [ICRP 103]")
    for tissue, value in sorted(result.contributions_sv.items(), key=lambda kv: -kv[1]):
        print(f"  {tissue:<18} {value * 1000:.4g} mSv")
    if result.missing:
        print("missing: " + ", ".join(f"{k} (w_T {v})" for k, v in result.missing.items()))
    if result.ignored:
        print("not ICRP 103 tissues, left out: " + ", ".join(result.ignored))
    return 0
