"""``positrix group TABLE --value COLUMN``: group statistics and a test between groups."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from positrix.cli.output import print_json

__all__ = ["OUTCOME_UNITS", "add_parser"]

#: ``--outcome`` given as a unit: the column the pipeline's and biodistribution tables use.
OUTCOME_UNITS = {"%ID/g": "percent_id_per_g", "%ID": "percent_id", "SUVbw": "suv_bw"}


def _strata(option: str | None, columns: list[str]) -> list[str]:
    """The --per columns: as given, or organ/region when the table has one."""
    if option is None:
        return next(([c] for c in ("organ", "region") if c in columns), [])
    if option.strip().lower() == "none":
        return []
    return [c.strip() for c in option.split(",") if c.strip()]


def add_parser(subparsers: Any) -> None:
    """Register ``positrix group``."""
    parser = subparsers.add_parser(
        "group",
        help="group statistics (mean, SD, SEM, n) and a test between groups",
        description="Reads a CSV/TSV with one row per animal (e.g. the tumour SUVmean of "
        "each mouse with its group); per organ (or per stratum of --per), summarises the "
        "outcome per group of --by and tests the groups: Welch's t (two groups) or one-way "
        "ANOVA, or with --test rank Mann-Whitney U or Kruskal-Wallis H; Hedges' g for two "
        "groups.",
    )
    parser.add_argument("table", help="CSV or TSV, one row per animal or measurement")
    parser.add_argument(
        "--outcome",
        "--value",
        dest="value",
        required=True,
        help="numeric column to compare, or a unit naming the pipeline's column: "
        + ", ".join(
            f"{unit.replace('%', '%%')} ({column})" for unit, column in OUTCOME_UNITS.items()
        ),
    )
    parser.add_argument(
        "--by",
        "--group",
        dest="group",
        default="group",
        help="the column that names each animal's group (default: group)",
    )
    parser.add_argument(
        "--per",
        default=None,
        help="columns that split the table, comma-separated (default: organ, or region, when "
        "the table has that column; 'none' for no split)",
    )
    parser.add_argument(
        "--test", default="parametric", choices=["parametric", "rank"], help="test family"
    )
    parser.add_argument(
        "--correction",
        default="holm",
        choices=["holm", "bh", "none"],
        help="p adjustment over the strata: Holm, Benjamini-Hochberg or none (default holm)",
    )
    parser.add_argument(
        "--paired",
        action="store_true",
        help="baseline vs follow-up per animal: --by names the time-point column",
    )
    parser.add_argument("--subject", default="animal", help="animal column for --paired")
    parser.add_argument("--baseline", help="the baseline time point for --paired")
    parser.add_argument("--unit", default="", help="unit of the value, for the text and plot")
    parser.add_argument("--plot", help="dot plot with mean ± SD per group (.png, .pdf, .svg)")
    parser.add_argument(
        "--report",
        metavar="FOLDER",
        help="write the cohort report (cohort.html, cohort.pdf: bar chart by organ × group and "
        "the table) into FOLDER",
    )
    parser.add_argument("--log", action="store_true", help="logarithmic value axis in the plot")
    parser.add_argument("--force", action="store_true", help="replace an existing plot")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Check the plot target, read, compare, print (and plot)."""
    from positrix.errors import PositrixError
    from positrix.io.safety import PLOT_SUFFIXES, check_suffix, check_writable
    from positrix.quant.biodist import read_table
    from positrix.quant.groups import compare_groups, compare_paired

    if args.plot:
        check_suffix(args.plot, PLOT_SUFFIXES, field="--plot")
        check_writable([Path(args.plot)], overwrite=args.force, inputs=[Path(args.table)])
    value = OUTCOME_UNITS.get(args.value, args.value)
    unit = args.unit or (args.value if args.value in OUTCOME_UNITS else "")
    try:
        rows = read_table(args.table)
        by = _strata(args.per, list(rows[0]) if rows else [])
        if args.paired:
            if not args.baseline:
                raise PositrixError(
                    "--paired needs --baseline",
                    field="--baseline",
                    fix="name the baseline time point, e.g. --baseline day0",
                )
            results = compare_paired(
                rows,
                value=value,
                subject=args.subject,
                time=args.group,
                baseline=args.baseline,
                by=by,
                test=args.test,
                correction=args.correction,
            )
        else:
            results = compare_groups(
                rows,
                value=value,
                group=args.group,
                by=by,
                test=args.test,
                correction=args.correction,
            )
    except PositrixError as err:
        raise err.with_source(args.table) from None
    if args.plot:
        _plot(results, Path(args.plot), value, unit, log_y=args.log)
    if args.report:
        from positrix.reports.cohort import write_cohort_report

        if len(by) != 1:
            raise PositrixError(
                "the cohort report needs one --per column (the organ)",
                field="--per",
                fix="e.g. --per organ",
            )
        write_cohort_report(
            results,
            args.report,
            organ=by[0],
            value=value,
            unit=unit,
            title=f"Cohort report: {Path(args.table).name}",
            overwrite=args.force,
        )
    if args.json:
        print_json([{**r.to_dict(), "value": value, "unit": unit} for r in results])
        return 0
    unit = f" {unit}" if unit else ""
    for result in results:
        head = ", ".join(f"{k} {v}" for k, v in result.stratum.items())
        print(f"== {value}{unit}" + (f" ({head})" if head else ""))
        for g in result.groups:
            print(f"{g.group:<14} n {g.n:>3}  mean {g.mean:.4g} ± {g.sd:.3g} (SD), SEM {g.sem:.3g}")
        if result.test:
            effect = (
                f", Hedges' g {result.effect_size:.3g}"
                if result.effect_size == result.effect_size
                else ""
            )
            print(f"{result.test} {result.statistic:.4g}, p = {result.p_value:.3g}{effect}")
            extra = result.extra
            if "difference" in extra:
                label = "change" if args.paired else "difference"
                print(
                    f"{label} {extra['difference']:.4g}{unit} (95 % CI {extra['ci95_low']:.4g} "
                    f"to {extra['ci95_high']:.4g})"
                )
            if "p_adjusted" in extra and len(results) > 1:
                print(
                    f"p adjusted over {len(results)} strata ({extra['correction']}) = "
                    f"{extra['p_adjusted']:.3g}"
                )
        else:
            print(f"no test: {result.note}")
    return 0


def _plot(results: list[Any], path: Path, value: str, unit: str, *, log_y: bool) -> None:
    from positrix.figures import pyplot

    plt = pyplot()
    import numpy as np

    figure, axes = plt.subplots(1, len(results), figsize=(3.2 * len(results) + 1, 4), squeeze=False)
    rng = np.random.default_rng(0)
    for ax, result in zip(axes[0], results, strict=True):
        for x, g in enumerate(result.groups):
            jitter = rng.uniform(-0.12, 0.12, g.n)
            ax.plot(x + jitter, g.values, "o", color="black", markersize=4)
            ax.errorbar(x + 0.3, g.mean, yerr=g.sd, fmt="s", color="C0", capsize=4)
            ax.annotate(
                f"n={g.n}",
                (x, 0.0),
                xycoords=("data", "axes fraction"),
                ha="center",
                va="bottom",
                fontsize="x-small",
            )
        ax.set_xticks(range(len(result.groups)), [g.group for g in result.groups])
        title = ", ".join(f"{v}" for v in result.stratum.values())
        if result.test:
            title += f"\n{result.test}: p = {result.p_value:.3g}"
        ax.set_title(title, fontsize="small")
        ax.set_ylabel(f"{value} ({unit})" if unit else value)
        if log_y:
            ax.set_yscale("log")
        ax.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
