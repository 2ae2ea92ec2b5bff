"""``positrix demo [--out DIR] [--force]``: the main job on the built-in demo study."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from positrix.cli.info import format_summary
from positrix.cli.output import print_json, print_table

__all__ = ["add_parser"]


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser("demo", help="run the main job on the built-in demo study")
    parser.add_argument("--out", default="demo-output", help="output folder (default demo-output)")
    parser.add_argument("--force", action="store_true", help="replace earlier demo output")
    parser.add_argument("--json", action="store_true", help="machine-readable summary")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from positrix.pipeline.demo import run_demo

    log = (lambda line: print(line, file=sys.stderr)) if args.json else print
    result = run_demo(args.out, force=args.force, log=log)
    if args.json:
        print_json(result)
        return 0
    print("\n== activity in the field of view vs injected activity (decayed) ==")
    for row in result["activity_check"]:
        print(
            f"frame {row['frame']:2d}: {row['activity_in_fov_bq'] / 1e6:8.4f} MBq in FOV, "
            f"{row['expected_bq'] / 1e6:8.4f} MBq expected, ratio {row['ratio']:.5f}"
        )
    quant = result["quant"]
    print(f"\n== uptake in the last frame ({args.out}/quant: labels, tacs.csv, tacs.png) ==")
    print(f"{'organ':<10} {'SUVbw':>8} {'%ID/g':>8}")
    for row in quant["organs"]:
        print(f"{row['organ']:<10} {row['suv_bw']:8.3f} {row['percent_id_per_g']:8.3f}")
    print(f"activity in the field of view: {quant['percent_id_in_fov']:.2f} %ID")
    t = quant["tumour"]
    print(
        f"tumour: SUVmax {t['suv_max']:.3f}, SUVpeak {t['suv_peak']:.3f} ({t['peak_ml']:g} mL), "
        f"SUVmean {t['suv_mean']:.3f}, MTV {t['mtv_ml']:.4f} mL, TLG {t['tlg']:.4f}"
    )
    kinetic = result["kinetics"]["patlak_ki_per_min"]
    print(f"\n== Patlak Ki from an image-derived input (heart), t* 5 min ({args.out}/kinetics) ==")
    for organ, ki in kinetic.items():
        print(f"{organ:<10} Ki {ki:.4f} /min")
    for name in ("pet", "ct"):
        print(f"\n== {name.upper()} ({args.out}/dicom/{name}) ==")
        print_table(format_summary(result[name]))
    return 0
