"""``positrix demo [--out DIR] [--force]``: the main job on the built-in demo study."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from positrix.cli.info import format_summary
from positrix.cli.output import print_json, print_table

__all__ = ["add_parser", "print_report"]


def add_parser(subparsers: Any) -> None:
    """Register ``positrix demo``."""
    parser = subparsers.add_parser("demo", help="run the main job on the built-in demo study")
    parser.add_argument("--out", default="demo-output", help="output folder (default demo-output)")
    parser.add_argument("--force", action="store_true", help="replace earlier demo output")
    parser.add_argument("--json", action="store_true", help="machine-readable summary")
    parser.set_defaults(run=run)


def _print_kinetics(kinetic: dict[str, Any], out: str) -> None:
    print(f"\n== Patlak Ki from an image-derived input (heart), t* 5 min ({out}/kinetics) ==")
    for organ, ki in kinetic["patlak_ki_per_min"].items():
        flags = kinetic["flags"][organ]
        print(f"{organ:<10} Ki {ki:.4f} mL/cm³/min" + ("  [FLAGGED]" if flags else ""))
        for flag in flags:
            print(f"{'':<10} ! {flag}")
    if any(kinetic["flags"].values()):
        print(
            "Patlak holds only where the tracer is trapped (tumour, brain: FDG-6-phosphate). "
            "The demo's liver and kidneys wash out after their early peak (dephosphorylation, "
            "excretion), so their Patlak slope is negative: fit a reversible model there."
        )


def _print_recon(recon: dict[str, Any], suv: dict[str, float]) -> None:
    print("\n== reconstruction of the last frame (5 min, demo ring, every correction) ==")
    print(
        f"{recon['prompts']:.3g} prompts ({recon['scatter_per_trues']:.1%} scatter/trues, "
        f"{recon['randoms_fraction']:.1%} randoms)"
    )
    print(f"{'organ':<10} {'3 it':>6} {'6 it':>6}   recovered / true mean")
    for organ, ratio in recon["organ_recovery"].items():
        print(f"{organ:<10} {ratio:6.2f} {recon['organ_recovery_6_iterations'][organ]:6.2f}")
    print(
        f"The lungs (SUVbw {suv['lungs']:.2f}) lie around the heart "
        f"({suv['heart'] / suv['lungs']:.0f} × hotter): a cold region beside a hot one "
        "converges slowly in OSEM, so its mean starts high and falls with iterations (a "
        "convergence bias, not a correction error; the saved image has 3 iterations). "
        "Quantify cold organs with more iterations or from a VOI away from the heart."
    )


def _print_nema(nema: dict[str, Any]) -> None:
    print("\n== NEMA NU 4 image quality on the demo ring (3.18 mm crystals) ==")
    print(
        f"{nema['prompts']:.3g} prompts; uniform mean {nema['uniform_ratio']:.3f} × truth, "
        f"%STD {nema['uniformity']['pct_std']:.1f}; RC 5 mm {nema['rc']['5']:.2f}, "
        f"SOR water {nema['sor']['water']:.2f}"
    )


def _print_facility(facility: dict[str, Any]) -> None:
    counts = facility["counts"]
    print(
        f"\n== the demo facility's service hours in {facility['year']} "
        f"({facility['database']}: {counts['projects']} projects, {counts['pis']} PIs, "
        f"{counts['bookings']} bookings since {facility['year'] - 2}) =="
    )
    print(f"{'instrument':<15} {'bookings':>8} {'used h':>8} {'billable h':>10} {'amount':>11}")
    for row in facility["instruments"]:
        print(
            f"{row['key']:<15} {row['bookings']:>8} {row['used_h']:>8.1f} "
            f"{row['billable_h']:>10.1f} {row['amount']:>11.2f}"
        )
    print(
        f"{facility['projects_served']} projects served, {facility['billable_h']:.1f} billable "
        f"hours, {facility['amount']:.2f} billable amount; top projects: "
        + ", ".join(f"{r['key']} ({r['billable_h']:.1f} h)" for r in facility["top_projects"])
    )
    print(f"{facility['publications']} publications in {facility['year']} credit the facility")


def print_report(result: dict[str, Any], out: str) -> None:
    """The demo's findings as text: every number with its unit and, where needed, why."""
    print("\n== activity in the field of view vs injected activity (decayed) ==")
    for row in result["activity_check"]:
        print(
            f"frame {row['frame']:2d}: {row['activity_in_fov_bq'] / 1e6:8.4f} MBq in FOV, "
            f"{row['expected_bq'] / 1e6:8.4f} MBq expected, ratio {row['ratio']:.5f}"
        )
    quant = result["quant"]
    print(f"\n== uptake in the last frame ({out}/quant: labels, tacs.csv, tacs.png) ==")
    print(f"{'organ':<10} {'SUVbw':>8} {'%ID/g':>8}")
    for row in quant["organs"]:
        print(f"{row['organ']:<10} {row['suv_bw']:8.3f} {row['percent_id_per_g']:8.3f}")
    print(f"activity in the field of view: {quant['percent_id_in_fov']:.2f} %ID")
    t = quant["tumour"]
    print(
        f"tumour: SUVmax {t['suv_max']:.3f}, SUVpeak {t['suv_peak']:.3f} ({t['peak_ml']:g} mL), "
        f"SUVmean {t['suv_mean']:.3f}, MTV {t['mtv_ml']:.4f} mL, TLG {t['tlg']:.4f} mL·SUVbw"
    )
    print(f"({out}/quant/uptake.csv and tumour.csv hold these tables)")
    _print_kinetics(result["kinetics"], out)
    suv = {row["organ"]: row["suv_bw"] for row in quant["organs"]}
    _print_recon(result["recon"], suv)
    _print_nema(result["nema"])
    _print_facility(result["facility"])
    report = result["report"]
    print(f"\n== the study report (positrix process, demo protocol, {report['seconds']} s) ==")
    print(f"{report['html']}\n{report['pdf']}")
    for name in ("pet", "ct"):
        print(f"\n== {name.upper()} ({out}/dicom/{name}) ==")
        print_table(format_summary(result[name]))


def run(args: argparse.Namespace) -> int:
    """Run the demo study and print what it found, with the reasons a number needs."""
    from positrix.pipeline.demo import run_demo

    log = (lambda line: print(line, file=sys.stderr)) if args.json else print
    result = run_demo(args.out, force=args.force, log=log)
    if args.json:
        print_json(result)
        return 0
    print_report(result, args.out)
    return 0
