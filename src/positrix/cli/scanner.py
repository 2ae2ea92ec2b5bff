"""``positrix scanner …``: NEMA NU 4 performance of a scanner design by simulation
(docs/simulation.md)."""

from __future__ import annotations

import argparse
from typing import Any

from positrix.cli.output import print_json, print_table

__all__ = ["add_parser"]


def add_parser(subparsers: Any) -> None:
    """Register ``positrix scanner``."""
    scanner = subparsers.add_parser(
        "scanner", help="scanner designs: simulated NEMA NU 4 performance"
    )
    actions = scanner.add_subparsers(dest="scanner_command", required=True, metavar="ACTION")
    perf = actions.add_parser(
        "performance",
        help="sensitivity, resolution at 5 mm, scatter fraction and peak NECR by simulation",
    )
    perf.add_argument("scanner", metavar="SCANNER", help="built-in name or scanner TOML file")
    perf.add_argument(
        "--fast", action="store_true", help="coarser sinograms and sweep: quicker, rougher"
    )
    perf.add_argument("--seed", type=int, default=0, help="seed of the Poisson noise")
    perf.add_argument("--json", action="store_true", help="machine-readable output")
    perf.set_defaults(run=run_performance)
    compare = actions.add_parser(
        "compare",
        help="several designs side by side: sensitivity, resolution, NECR; cached stages",
    )
    compare.add_argument(
        "scanners", nargs="+", metavar="SCANNER", help="built-in names or scanner TOML files"
    )
    compare.add_argument("-o", "--output", required=True, help="folder for the report")
    compare.add_argument(
        "--cache", help="folder of cached stages (default OUTPUT/cache): reruns reuse them"
    )
    compare.add_argument("--fast", action="store_true", help="coarser, quicker estimates")
    compare.add_argument("--seed", type=int, default=0, help="seed of the Poisson noise")
    compare.add_argument("--force", action="store_true", help="replace an existing report")
    compare.add_argument("--json", action="store_true", help="machine-readable output")
    compare.set_defaults(run=run_compare)


def run_performance(args: argparse.Namespace) -> int:
    """Simulate and analyse the NU 4 figures of one scanner."""
    from tqdm import tqdm

    from positrix.geometry.scanner import scanner_by_name_or_file
    from positrix.quant.nema.performance import scanner_performance

    scanner = scanner_by_name_or_file(args.scanner)
    bars: dict[str, Any] = {}

    def progress(stage: str, done: int, total: int) -> None:
        if stage not in bars:
            bars[stage] = tqdm(total=total, desc=stage, unit="step", disable=args.json)
        bars[stage].update(done - bars[stage].n)
        if done == total:
            bars[stage].close()

    try:
        result = scanner_performance(scanner, fast=args.fast, seed=args.seed, progress=progress)
    finally:
        for bar in bars.values():
            bar.close()
    summary = result.to_dict()
    if args.json:
        print_json(summary)
        return 0
    rows = [
        ("scanner", f"{scanner.name}{' (fast)' if args.fast else ''}"),
        ("peak sensitivity", f"{summary['peak_sensitivity_percent']:.2f} %"),
        (
            "resolution at 5 mm (FBP)",
            f"radial {summary['resolution_5mm_radial_mm']:.2f} mm, tangential "
            f"{summary['resolution_5mm_tangential_mm']:.2f} mm, axial "
            f"{summary['resolution_5mm_axial_mm']:.2f} mm",
        ),
    ]
    for phantom in ("mouse", "rat"):
        rows.append(
            (
                f"{phantom} phantom",
                f"scatter fraction {summary[f'scatter_fraction_{phantom}']:.1%}; peak NECR "
                f"{summary[f'peak_necr_{phantom}_kcps']:.1f} kcps at "
                f"{summary[f'peak_necr_{phantom}_activity_MBq']:.1f} MBq",
            )
        )
    print_table(rows)
    return 0


def run_compare(args: argparse.Namespace) -> int:
    """Compare designs; stages already in the cache are not recomputed."""
    from pathlib import Path

    from tqdm import tqdm

    from positrix.errors import PositrixError
    from positrix.geometry.scanner import scanner_by_name_or_file
    from positrix.quant.nema.design_study import STAGES, compare_designs
    from positrix.reports.design import summary_rows, write_design_report

    scanners = [scanner_by_name_or_file(name) for name in args.scanners]
    names = [s.name for s in scanners]
    if len(set(names)) != len(names):
        raise PositrixError(
            "two designs share a name", field="name", fix="give every scanner file its own name"
        )
    output = Path(args.output)
    cache = Path(args.cache) if args.cache else output / "cache"
    with tqdm(total=len(scanners) * len(STAGES), desc="designs", disable=args.json) as bar:

        def progress(design: str, stage: str) -> None:
            bar.set_postfix_str(f"{design}: {stage}")
            bar.update(1)

        results, computed = compare_designs(
            scanners, cache_dir=cache, fast=args.fast, seed=args.seed, progress=progress
        )
    files = write_design_report(results, output, fast=args.fast, overwrite=args.force)
    rows = summary_rows(results)
    if args.json:
        print_json(
            {
                "designs": rows,
                "computed": [f"{d}: {s}" for d, s in computed],
                "files": [str(f) for f in files],
            }
        )
        return 0
    for row in rows:
        iq = (
            f"IQ RC {row['iq_rc_5mm']} (5 mm rod), uniformity {row['iq_uniformity_pct_std']} %STD"
            if row["iq_rc_5mm"]
            else "IQ phantom not in the field of view"
        )
        print(
            f"{row['design']}: sensitivity {row['peak_sensitivity_percent']} % "
            f"(analytic {row['analytic_peak_sensitivity_percent']} %), radial FWHM "
            f"{row['radial_fwhm_centre_mm']} mm at the centre, peak NECR "
            f"{row['peak_necr_mouse_kcps']} kcps (mouse), {iq}"
        )
    reused = len(scanners) * len(STAGES) - len(computed)
    print(f"{len(computed)} stage(s) computed, {reused} from the cache; report in {output}")
    return 0
