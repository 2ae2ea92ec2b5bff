"""``positrix stats``, ``tac`` and ``lesion``: thin calls into :mod:`positrix.quant`."""

from __future__ import annotations

import argparse
from typing import Any

from positrix.cli.output import print_json
from positrix.cli.subject_options import add_subject_options, apply_subject_options

__all__ = ["add_parsers"]

_UNITS = "Bq/mL, kBq/mL, %%ID/g, %%ID/mL, SUVbw, SUL, SUL-James, SUVbsa"  # argparse %-escaped


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--unit", help=f"report values in this unit ({_UNITS})")
    add_subject_options(parser)
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def add_parsers(subparsers: Any) -> None:
    """Register ``positrix stats``, ``tac`` and ``lesion``."""
    stats = subparsers.add_parser("stats", help="region statistics per VOI and frame")
    stats.add_argument("image", help="PET image: DICOM folder, NIfTI, Interfile, Inveon")
    stats.add_argument(
        "--voi",
        action="append",
        required=True,
        help="label image or shape, e.g. sphere:x,y,z,r (mm); repeatable",
    )
    stats.add_argument(
        "--peak-ml", type=float, help="SUVpeak sphere volume in mL (default 1; mouse 0.02; rat 0.1)"
    )
    stats.add_argument(
        "--mode",
        default="all",
        choices=["all", "fraction_of_max", "top_fraction", "above"],
        help="voxels of each VOI to use: all, those ≥ a fraction of its max, the hottest "
        "fraction, or those above a value (see --level)",
    )
    stats.add_argument("--level", type=float, help="level of --mode (fraction or value)")
    _common(stats)
    stats.set_defaults(run=run_stats)

    tac = subparsers.add_parser("tac", help="time-activity curves per VOI")
    tac.add_argument("image", help="dynamic PET image")
    tac.add_argument("--voi", action="append", required=True, help="as for stats; repeatable")
    tac.add_argument("-o", "--output", required=True, help="table: .csv or .tsv")
    tac.add_argument("--plot", help="also plot the curves (.png, .pdf, .svg)")
    tac.add_argument(
        "--statistics",
        action="store_true",
        help="add sd/median/min/max columns (and ± SD error bars to the plot)",
    )
    tac.add_argument("--log", action="store_true", help="logarithmic value axis in the plot")
    tac.add_argument("--force", action="store_true", help="replace existing outputs")
    _common(tac)
    tac.set_defaults(run=run_tac)

    lesion = subparsers.add_parser("lesion", help="SUVmax, SUVpeak, SUVmean, MTV, TLG")
    lesion.add_argument("image", help="PET image (static, or a frame of a dynamic one)")
    lesion.add_argument(
        "--seed",
        required=True,
        nargs="+",
        help="x,y,z or x y z in mm (world LPS); negative first value: "
        "--seed=-15,-13,-41 or --seed -15 -13 -41",
    )
    lesion.add_argument(
        "--threshold",
        default="40%",
        help="MTV threshold: '40%%' of SUVmax or an absolute SUV such as 2.5",
    )
    lesion.add_argument("--peak-ml", type=float, help="SUVpeak sphere volume (mL)")
    lesion.add_argument(
        "--frame", type=int, default=-1, help="frame of a dynamic image (default: the last)"
    )
    add_subject_options(lesion)
    lesion.add_argument("--unit", default="SUVbw", help="SUVbw (default), SUL, %%ID/g, …")
    lesion.add_argument("--json", action="store_true", help="machine-readable output")
    lesion.set_defaults(run=run_lesion)


def _image(args: argparse.Namespace) -> Any:
    from positrix.io import load
    from positrix.quant.units import convert_units

    image = apply_subject_options(load(args.image), args)
    if getattr(args, "unit", None) and args.unit != image.unit and args.command != "lesion":
        image = convert_units(image, args.unit)
    return image


def _vois(args: argparse.Namespace, image: Any) -> list[Any]:
    from positrix.quant.spec import parse_voi

    return [voi for spec in args.voi for voi in parse_voi(spec, image.grid)]


def _check_peak_ml(args: argparse.Namespace) -> None:
    import math

    from positrix.errors import PositrixError

    value = args.peak_ml
    if value is not None and not (math.isfinite(value) and 0 < value <= 100):
        raise PositrixError(
            f"--peak-ml is {value}; the SUVpeak sphere must be > 0 and ≤ 100 mL",
            field="--peak-ml",
            fix="give e.g. 0.02 (mouse), 0.1 (rat) or 1 (human)",
        )


def run_stats(args: argparse.Namespace) -> int:
    """Region statistics per VOI and frame (text table or JSON)."""
    from positrix.quant.stats import region_stats

    _check_peak_ml(args)
    image = _image(args)
    rows = region_stats(
        image, _vois(args, image), mode=args.mode, level=args.level, peak_ml=args.peak_ml
    )
    if args.json:
        print_json([r.to_dict() for r in rows])
        return 0
    print(format_stats(rows))
    return 0


def format_stats(rows: list[Any]) -> str:
    """The ``stats`` table: frame times in s, every statistic, notes below it."""
    lines = [
        f"{'region':<12} {'frame (s)':>15} {'mean':>11} {'sd':>10} {'median':>11} "
        f"{'min':>11} {'max':>11} {'peak':>11} {'volume':>10} {'voxels':>7}  unit"
    ]
    notes = []
    for r in rows:
        peak = f"{r.peak:11.5g}" if r.peak is not None else f"{'—':>11}"
        if r.frame_start_s is not None:
            when = f"{r.frame_start_s:g}–{r.frame_start_s + r.frame_duration_s:g}"
        else:
            when = f"#{r.frame}"
        if r.note:
            peak += "*"
            notes.append(f"* {r.region}, frame {when} s: {r.note}")
        lines.append(
            f"{r.region:<12} {when:>15} {r.mean:11.5g} {r.sd:10.4g} {r.median:11.5g} "
            f"{r.min:11.5g} {r.max:11.5g} {peak} {r.volume_ml:7.4g} mL {r.n_voxels:>7}  {r.unit}"
        )
    return "\n".join(lines + notes)


def _check_tac_outputs(args: argparse.Namespace) -> None:
    """Every output of ``tac`` is checked before any work: format, existence, distinct."""
    from pathlib import Path

    from positrix.errors import PositrixError
    from positrix.io.safety import PLOT_SUFFIXES, check_suffix, check_writable

    check_suffix(args.output, (".csv", ".tsv"), field="--output")
    targets = [Path(args.output)]
    if args.plot:
        check_suffix(args.plot, PLOT_SUFFIXES, field="--plot")
        if Path(args.plot).resolve() == Path(args.output).resolve():
            raise PositrixError(
                "--plot and --output name the same file", field="--plot", fix="name them apart"
            )
        targets.append(Path(args.plot))
    check_writable(targets, overwrite=args.force, inputs=[Path(args.image)])


def run_tac(args: argparse.Namespace) -> int:
    """Write TACs per VOI (CSV/TSV) and optionally their plot; outputs checked first."""
    from positrix.quant.tac import extract_tacs, plot_tacs, plot_title, write_tacs

    _check_tac_outputs(args)
    image = _image(args)
    tacs = extract_tacs(image, _vois(args, image), peak_ml=None if args.statistics else 0.0)
    written = [write_tacs(tacs, args.output, statistics=args.statistics, overwrite=args.force)]
    if args.plot:
        written.append(
            plot_tacs(
                tacs, args.plot, overwrite=args.force, title=plot_title(image), log_y=args.log
            )
        )
    if args.json:
        print_json(
            {
                "regions": list(tacs.regions),
                "unit": tacs.unit,
                "frames": tacs.frames.to_records(),
                "values": tacs.values.tolist(),
                "files": [str(p) for p in written],
            }
        )
    else:
        size = f"{len(tacs.regions)} regions × {tacs.frames.n_frames} frames, {tacs.unit}"
        print(f"wrote {', '.join(str(p) for p in written)} ({size})")
    return 0


def _threshold(text: str) -> tuple[float | None, float | None]:
    import math

    from positrix.errors import PositrixError

    try:
        if text.strip().endswith("%"):
            fraction = float(text.strip()[:-1]) / 100.0
            if not 0 < fraction <= 1:
                raise ValueError
            return fraction, None
        value = float(text)
        if not (math.isfinite(value) and value > 0):
            raise ValueError
        return None, value
    except ValueError:
        raise PositrixError(
            f"cannot use threshold '{text}': a percentage of SUVmax in (0, 100] % or a value > 0",
            field="--threshold",
            fix="write e.g. 40% or 2.5",
        ) from None


def run_lesion(args: argparse.Namespace) -> int:
    """Delineate a lesion from a seed and print SUVmax, SUVpeak, SUVmean, MTV, TLG."""
    from positrix.errors import PositrixError
    from positrix.image.dynamic import checked_frame
    from positrix.quant.lesion import lesion_metrics

    _check_peak_ml(args)
    fraction, absolute = _threshold(args.threshold)
    image = _image(args)
    text = " ".join(args.seed).replace(",", " ")
    try:
        seed = [float(v) for v in text.split()]
        assert len(seed) == 3
    except (ValueError, AssertionError):
        raise PositrixError(
            f"cannot read seed '{text}'",
            field="--seed",
            fix="give x,y,z in mm, e.g. --seed 9,-4,-14",
        ) from None
    checked_frame(image, args.frame)
    metrics = lesion_metrics(
        image,
        seed,
        fraction_of_max=fraction,
        absolute=absolute,
        unit=args.unit,
        peak_ml=args.peak_ml,
        frame=args.frame,
    )
    if args.json:
        print_json(metrics.to_dict())
        return 0
    u = metrics.unit
    print(
        f"SUVmax   {metrics.suv_max:.4g} {u}\nSUVpeak  {metrics.suv_peak:.4g} {u} "
        f"({metrics.peak_ml:g} mL sphere)\nSUVmean  {metrics.suv_mean:.4g} {u}\n"
        f"MTV      {metrics.mtv_ml:.4g} mL (≥ {metrics.threshold:.4g} {u})\n"
        f"TLG      {metrics.tlg:.4g} mL·{u}"
    )
    return 0


def add_study_parsers(subparsers: Any) -> None:
    """``positrix response`` and ``positrix biodist``."""
    response = subparsers.add_parser("response", help="PERCIST 1.0 or EORTC response")
    response.add_argument("baseline", help="JSON of 'positrix lesion --json' at baseline")
    response.add_argument(
        "followup", help="JSON at follow-up (may add new_lesions, reference_mean, cycles)"
    )
    response.add_argument(
        "--criteria", default="percist", choices=["percist", "eortc"], help="response criteria"
    )
    response.add_argument("--json", action="store_true", help="machine-readable output")
    response.set_defaults(run=run_response)

    biodist = subparsers.add_parser("biodist", help="biodistribution tables (%%ID/g) and charts")
    biodist.add_argument("table", help="gamma-counter CSV/TSV, or a table with a value column")
    biodist.add_argument(
        "--by",
        default="group,timepoint,organ",
        help="columns to group by (default group,timepoint,organ)",
    )
    biodist.add_argument(
        "--value", default="percent_id_per_g", help="column to summarise (default percent_id_per_g)"
    )
    biodist.add_argument("--nuclide", help="nuclide of a gamma-counter table, e.g. F-18")
    biodist.add_argument("--plot", help="grouped bar chart (.png, .pdf, .svg)")
    biodist.add_argument("--log", action="store_true", help="logarithmic value axis in the plot")
    biodist.add_argument("--force", action="store_true", help="replace an existing plot")
    biodist.add_argument("--json", action="store_true", help="machine-readable output")
    biodist.set_defaults(run=run_biodist)


def run_response(args: argparse.Namespace) -> int:
    """Classify the response between two lesion measurements (PERCIST or EORTC)."""
    from positrix.quant.response import classify_response, load_measurement

    result = classify_response(
        load_measurement(args.baseline), load_measurement(args.followup), criteria=args.criteria
    )
    if args.json:
        print_json(result.to_dict())
    else:
        print(
            f"{result.criteria.upper()}: {result.category} — {result.reason} "
            f"({result.metric} {result.baseline:.4g} → {result.followup:.4g})"
        )
    return 0


def _biodist_summary(
    args: argparse.Namespace,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    from positrix.errors import PositrixError
    from positrix.quant.biodist import gamma_counter_uptake, read_table, summarise

    rows: list[dict[str, Any]] = list(read_table(args.table))
    if "counts" in rows[0] and args.value not in rows[0]:
        if not args.nuclide:
            raise PositrixError(
                "a gamma-counter table needs the nuclide for decay correction",
                field="--nuclide",
                fix="add e.g. --nuclide F-18",
            )
        rows = gamma_counter_uptake(rows, args.nuclide)
    by = [c.strip() for c in args.by.split(",") if c.strip()]
    summary = summarise(rows, value=args.value, by=by)
    return rows, summary


def run_biodist(args: argparse.Namespace) -> int:
    """Summarise a biodistribution table (%ID/g per group) and plot it."""
    from positrix.errors import PositrixError
    from positrix.quant.biodist import plot_groups

    by = [c.strip() for c in args.by.split(",") if c.strip()]
    if args.plot:
        from pathlib import Path

        from positrix.io.safety import PLOT_SUFFIXES, check_suffix, check_writable

        check_suffix(args.plot, PLOT_SUFFIXES, field="--plot")
        check_writable([Path(args.plot)], overwrite=args.force, inputs=[Path(args.table)])
    try:
        rows, summary = _biodist_summary(args)
    except PositrixError as err:
        raise err.with_source(args.table) from None
    if args.plot:
        category = "organ" if "organ" in by else by[-1]
        series = [c for c in by if c != category] or [category]
        label = "%ID/g" if args.value == "percent_id_per_g" else args.value
        plot_groups(
            summary,
            args.plot,
            category=category,
            series=series,
            ylabel=label,
            overwrite=args.force,
            rows=rows,
            value=args.value,
            log_y=args.log,
        )
    if args.json:
        print_json(summary)
        return 0
    print("\t".join([*by, "mean", "sd", "n"]) + f"\t({args.value})")
    for row in summary:
        print(
            "\t".join(
                [
                    *(str(row[c]) for c in by),
                    f"{row['mean']:.4g}",
                    f"{row['sd']:.3g}",
                    str(row["n"]),
                ]
            )
        )
    return 0
