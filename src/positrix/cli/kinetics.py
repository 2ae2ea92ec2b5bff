"""``positrix kinetics fit``: regional kinetic modelling from a TAC table."""

from __future__ import annotations

import argparse
from typing import Any

from positrix.cli.output import print_json

__all__ = ["add_parser"]


def add_parser(subparsers: Any) -> None:
    kinetics = subparsers.add_parser("kinetics", help="kinetic modelling")
    commands = kinetics.add_subparsers(dest="kinetics_command", required=True, metavar="COMMAND")
    fit = commands.add_parser("fit", help="fit a model to regional TACs")
    fit.add_argument(
        "--model",
        required=True,
        help="1tcm, 2tcm, 2tcm-irr, patlak, logan, ma1, srtm, srtm2, mrtm, mrtm2, "
        "logan-ref, ref-patlak, suvr",
    )
    fit.add_argument("--tac", required=True, help="TAC CSV (frame_start_s, frame_duration_s, …)")
    fit.add_argument("--region", action="append", help="region(s) to fit (default: all)")
    fit.add_argument("--input", help="input CSV (time_s, plasma[, whole_blood, parent_fraction])")
    fit.add_argument("--ref", help="reference region (reference-tissue models)")
    fit.add_argument("--tstar-min", type=float, help="start of the linear part (min)")
    blood = fit.add_mutually_exclusive_group()
    blood.add_argument("--vb", type=float, default=0.05, help="fixed blood volume (default 0.05)")
    blood.add_argument("--fit-vb", action="store_true", help="fit the blood volume")
    fit.add_argument("--fit-delay", action="store_true", help="fit a blood delay (s)")
    fit.add_argument("--k2-prime", type=float, help="reference efflux k2′ (1/min)")
    fit.add_argument(
        "--weights", default="duration", choices=["uniform", "duration", "counts", "column"]
    )
    fit.add_argument("--nuclide", help="nuclide for counts weighting (decay), e.g. C-11")
    fit.add_argument("--frame-model", default="average", choices=["average", "midpoint"])
    fit.add_argument("--plot", help="folder for one plot per region (data, fit, residuals)")
    fit.add_argument("--json", action="store_true")
    fit.set_defaults(run=run_fit)


def run_fit(args: argparse.Namespace) -> int:
    from positrix.kinetics.api import FitOptions, fit_regions
    from positrix.kinetics.data import read_input, read_tacs
    from positrix.physics.nuclides import get_nuclide

    tacs = read_tacs(args.tac, frame_model=args.frame_model)
    inp = read_input(args.input) if args.input else None
    half_life = get_nuclide(args.nuclide).half_life_s / 60 if args.nuclide else None
    options = FitOptions(
        tstar_min=args.tstar_min,
        vb=None if args.fit_vb else args.vb,
        fit_delay=args.fit_delay,
        k2_prime=args.k2_prime,
        weights=args.weights,
        half_life_min=half_life,
    )
    results = fit_regions(
        args.model, tacs, regions=args.region, inp=inp, ref=args.ref, options=options
    )
    if args.plot:
        from positrix.kinetics.plots import plot_fit

        for result in results:
            plot_fit(result, tacs, args.plot)
    if args.json:
        print_json([r.to_dict() for r in results])
        return 0
    for r in results:
        status = "" if r.converged else f"  FAILED: {r.reason}"
        values = ", ".join(
            f"{k} {v:.4g}" + (f" ± {r.se[k]:.2g}" if k in r.se and r.se[k] == r.se[k] else "")
            for k, v in r.parameters.items()
        )
        print(f"{r.region:<10} {r.model:<9} {values}{status}")
    return 0
