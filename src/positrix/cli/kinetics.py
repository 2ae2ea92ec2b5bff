"""``positrix kinetics fit``: regional kinetic modelling from a TAC table."""

from __future__ import annotations

import argparse
from typing import Any

from positrix.cli.output import print_json

__all__ = ["add_parser"]


def add_parser(subparsers: Any) -> None:
    """Register ``positrix kinetics fit|idif|map``."""
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
    fit.add_argument(
        "--region",
        action="append",
        help="region(s) to fit, repeated or comma-separated: tumour,brain (default: all)",
    )
    fit.add_argument("--input", help="input CSV (time_s, plasma[, whole_blood, parent_fraction])")
    fit.add_argument("--ref", help="reference region (reference-tissue models)")
    fit.add_argument("--tstar-min", type=float, help="start of the linear part (min)")
    blood = fit.add_mutually_exclusive_group()
    blood.add_argument("--vb", type=float, default=0.05, help="fixed blood volume (default 0.05)")
    blood.add_argument("--fit-vb", action="store_true", help="fit the blood volume")
    fit.add_argument("--fit-delay", action="store_true", help="fit a blood delay (s)")
    fit.add_argument("--k2-prime", type=float, help="reference efflux k2′ (1/min)")
    fit.add_argument(
        "--weights",
        default="duration",
        choices=["uniform", "duration", "counts", "column"],
        help="frame weights: uniform, frame duration, counts (needs --nuclide) or the "
        "table's weight column",
    )
    fit.add_argument("--nuclide", help="nuclide for counts weighting (decay), e.g. C-11")
    fit.add_argument(
        "--frame-model",
        default="average",
        choices=["average", "midpoint"],
        help="compare the model's frame average (default) or its value at mid-frame",
    )
    fit.add_argument(
        "--plot",
        help="folder for one plot per region: the TAC with the fit and residuals, and for "
        "graphical methods their own plot (Patlak, Logan …) with t* and the fitted line",
    )
    fit.add_argument(
        "--plot-format", default="png", choices=["png", "pdf", "svg"], help="plot file type"
    )
    fit.add_argument("--title", help="plot title prefix (e.g. animal, tracer, injected activity)")
    fit.add_argument("--log", action="store_true", help="logarithmic activity axis")
    fit.add_argument("--force", action="store_true", help="replace existing plots")
    fit.add_argument("--json", action="store_true", help="machine-readable output")
    fit.set_defaults(run=run_fit)

    idif = commands.add_parser(
        "idif",
        help="image-derived input function from a blood-pool VOI (heart, vena cava, aorta)",
        description="The mean of the VOI per frame at frame mid-times, from (0, 0), written "
        "as an input CSV (time_s, plasma, whole_blood) that --input reads. Whole blood is "
        "scaled to plasma by --plasma-to-blood (1 for FDG); no metabolite correction.",
    )
    idif.add_argument("image", help="dynamic PET image from injection")
    idif.add_argument("--voi", required=True, help="blood-pool VOI: label file or shape")
    idif.add_argument("--label", help="which label of a multi-label --voi file, e.g. heart")
    idif.add_argument(
        "--plasma-to-blood",
        type=float,
        default=1.0,
        help="plasma/whole-blood concentration ratio (default 1)",
    )
    idif.add_argument("-o", "--output", required=True, help="input CSV to write")
    idif.add_argument("--plot", help="also plot the curve (.png, .pdf, .svg)")
    idif.add_argument("--force", action="store_true", help="replace existing outputs")
    idif.add_argument("--json", action="store_true", help="machine-readable output")
    idif.set_defaults(run=run_idif)

    maps = commands.add_parser("map", help="voxel-wise parametric maps")
    maps.add_argument("image", help="dynamic image (DICOM, NIfTI + sidecar, …)")
    maps.add_argument(
        "--model",
        required=True,
        help="patlak, logan, ma1, logan-ref, mrtm, mrtm2, ref-patlak, srtm, srtm2, 1tcm, suvr",
    )
    source = maps.add_mutually_exclusive_group(required=True)
    source.add_argument("--input", help="input CSV (plasma-input models)")
    source.add_argument("--ref-voi", help="reference VOI: label file or shape (see stats)")
    maps.add_argument("--ref-label", help="which label of a multi-label --ref-voi file")
    maps.add_argument(
        "--mask",
        help="VOI spec or label file; default: voxels above 1 %% of "
        "the maximum of the summed image",
    )
    maps.add_argument("--tstar-min", type=float, help="start of the linear part (min)")
    maps.add_argument("--k2-prime", type=float, help="reference efflux k2′ (1/min)")
    maps.add_argument("--basis", type=int, default=100, help="number of basis functions")
    maps.add_argument("-o", "--output", required=True, help="output folder (one NIfTI per map)")
    maps.add_argument("--force", action="store_true", help="replace existing maps")
    maps.add_argument("--json", action="store_true", help="machine-readable output")
    maps.set_defaults(run=run_map)


def run_fit(args: argparse.Namespace) -> int:
    """Fit a model to regional TACs; print each fit with units and flags, plot it."""
    from positrix.kinetics.api import FitOptions, fit_regions
    from positrix.kinetics.data import read_input, read_tacs
    from positrix.physics.nuclides import get_nuclide

    if args.region:
        args.region = [r.strip() for item in args.region for r in item.split(",") if r.strip()]
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
    targets = _plot_targets(args, tacs)
    results = fit_regions(
        args.model, tacs, regions=args.region, inp=inp, ref=args.ref, options=options
    )
    if targets:
        from positrix.kinetics.plots import plot_fit

        for result in results:
            plot_fit(result, tacs, targets[result.region], title=args.title, log_y=args.log)
    if args.json:
        print_json([r.to_dict() for r in results])
        return 0
    for r in results:
        print(format_fit(r))
    return 0


def format_fit(result: Any) -> str:
    """One fit as text: every parameter with its SE and unit, then its flags.

    A failed fit prints its reason; a flagged one prints each flag on its own line after
    ``!``, so a flagged number is never shown as a plain number.
    """
    from positrix.kinetics.fitting import parameter_unit

    head = f"{result.region:<10} {result.model:<9}"
    if not result.converged:
        return f"{head} FAILED: {result.reason}"
    values = []
    for name, value in result.parameters.items():
        se = result.se.get(name, float("nan"))
        unit = parameter_unit(name, result.model)
        text = f"{name} {value:.4g}" + (f" ± {se:.2g}" if se == se else "")
        text += "" if unit in ("1", "coefficient") else f" {unit}"
        values.append(text + (" (!)" if result.flagged(name) else ""))
    status = "  [FLAGGED]" if result.flags else ""
    lines = [f"{head} {', '.join(values)}{status}"]
    lines += [f"{'':<10} ! {flag}" for flag in result.flags]
    return "\n".join(lines)


def _plot_targets(args: argparse.Namespace, tacs: Any) -> dict[str, Any]:
    """Plot file per region, checked before any fitting (folder, suffix, existing files)."""

    from positrix.io.safety import check_folder, check_writable

    if not args.plot:
        return {}
    folder = check_folder(args.plot, field="--plot", holds="one plot per region")
    regions = args.region or [r for r in tacs.regions if r != args.ref]
    targets = {r: folder / f"{r}_{args.model}.{args.plot_format}" for r in regions}
    check_writable(targets.values(), overwrite=args.force)
    return targets


def _one_voi(spec: str, label: str | None, image: Any, option: str) -> Any:
    """The single VOI of ``spec`` (or its ``label``); a clear error otherwise."""
    from positrix.errors import PositrixError
    from positrix.quant.spec import parse_voi

    vois = parse_voi(spec, image.grid)
    names = ", ".join(v.name for v in vois)
    chosen = [v for v in vois if v.name == label] if label else vois
    if len(chosen) != 1:
        problem = (
            f"'{label}' is not a label of {spec}"
            if label
            else (f"'{spec}' holds {len(vois)} regions")
        )
        raise PositrixError(problem, field=option, fix=f"choose one with {option} ({names})")
    return chosen[0]


def run_idif(args: argparse.Namespace) -> int:
    """Check outputs, read the image, average the VOI per frame, write (and plot) the input."""
    from pathlib import Path

    from positrix.errors import PositrixError
    from positrix.io import load
    from positrix.io.safety import PLOT_SUFFIXES, check_suffix, check_writable
    from positrix.kinetics.data import write_input
    from positrix.quant.idif import image_derived_input

    check_suffix(args.output, (".csv", ".tsv"), field="--output")
    targets = [Path(args.output)]
    if args.plot:
        check_suffix(args.plot, PLOT_SUFFIXES, field="--plot")
        targets.append(Path(args.plot))
    check_writable(targets, overwrite=args.force, inputs=[Path(args.image)])
    if not 0 < args.plasma_to_blood <= 10:
        raise PositrixError(
            f"--plasma-to-blood is {args.plasma_to_blood}; it must be in (0, 10]",
            field="--plasma-to-blood",
            fix="e.g. 1 for FDG",
        )
    image = load(args.image)
    voi = _one_voi(args.voi, args.label, image, "--label")
    inp = image_derived_input(image, voi, plasma_to_blood=args.plasma_to_blood)
    written = [write_input(inp, args.output, unit=image.unit, overwrite=args.force)]
    if args.plot:
        written.append(_plot_input(inp, image, Path(args.plot), voi.name))
    peak = float(inp.whole_blood.max()) if inp.whole_blood is not None else float("nan")
    if args.json:
        print_json(
            {
                "voi": voi.name,
                "unit": image.unit,
                "time_s": (inp.time_min * 60).tolist(),
                "plasma": inp.plasma.tolist(),
                "peak_whole_blood": peak,
                "files": [str(p) for p in written],
            }
        )
    else:
        print(
            f"wrote {', '.join(str(p) for p in written)}: {inp.time_min.size} samples from "
            f"'{voi.name}', peak {peak:.4g} {image.unit}"
        )
    return 0


def _plot_input(inp: Any, image: Any, path: Any, name: str) -> Any:
    from positrix.figures import pyplot

    plt = pyplot()

    from positrix.physics.units import readable_concentration
    from positrix.quant.tac import plot_title

    factor, unit = readable_concentration(image.unit, float(inp.plasma.max()))
    figure, axes = plt.subplots(figsize=(6.5, 4))
    axes.plot(inp.time_min, inp.plasma * factor, "o-", markersize=3, label=f"plasma ({name})")
    axes.set_xlabel("time after scan start (min, frame mid-time)")
    axes.set_ylabel(f"activity ({unit})")
    axes.set_title(plot_title(image) or "image-derived input", fontsize="small")
    axes.legend(fontsize="small")
    axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def _reference_curve(args: argparse.Namespace, image: Any) -> Any:
    """The reference region's mean per frame (one region of --ref-voi, or its --ref-label)."""
    import numpy as np

    from positrix.quant.stats import region_stats

    voi = _one_voi(args.ref_voi, args.ref_label, image, "--ref-label")
    return np.array([r.mean for r in region_stats(image, [voi], peak_ml=0)])


def _mask(args: argparse.Namespace, image: Any) -> Any:
    import numpy as np

    from positrix.quant.spec import parse_voi

    if args.mask:
        dense = np.zeros(image.spatial_shape, bool)
        for voi in parse_voi(args.mask, image.grid):
            dense |= voi.mask() >= 0.5
        return dense
    data = np.asarray(image.data)
    finite = np.all(np.isfinite(data), axis=-1)
    total = np.where(finite[..., None], data, 0.0).sum(axis=-1)
    return finite & (total > 0.01 * total.max())


def _check_map_options(args: argparse.Namespace, folder: Any) -> None:
    """Refuse a bad --basis and an output that is a file or holds this model's maps."""
    from positrix.errors import PositrixError
    from positrix.io.safety import check_folder

    if args.basis < 1:
        raise PositrixError(
            f"--basis is {args.basis}; it must be ≥ 1", field="--basis", fix="e.g. --basis 100"
        )
    check_folder(folder, field="--output", holds="the maps")
    existing = sorted(folder.glob(f"{args.model}_*.nii.gz")) if folder.is_dir() else []
    if existing and not args.force:
        raise PositrixError(
            f"the folder already holds {args.model} maps ({existing[0].name} …)",
            source=folder,
            field="--output",
            fix="choose another folder, or pass --force to replace them",
        )


def run_map(args: argparse.Namespace) -> int:
    """Compute voxel-wise parametric maps and write one NIfTI per map."""
    import sys
    from pathlib import Path

    from positrix.io import load, save
    from positrix.io.safety import check_writable
    from positrix.kinetics.data import in_unit_of, read_input
    from positrix.kinetics.maps import MapOptions, parametric_maps

    folder = Path(args.output)
    _check_map_options(args, folder)
    image = load(args.image)
    inp = in_unit_of(read_input(args.input), image.unit) if args.input else None
    reference = _reference_curve(args, image) if args.ref_voi else None
    options = MapOptions(tstar_min=args.tstar_min, k2_prime=args.k2_prime, n_basis=args.basis)
    maps = parametric_maps(
        image,
        args.model,
        mask=_mask(args, image),
        inp=inp,
        reference=reference,
        options=options,
        log=lambda line: print(line, file=sys.stderr),
    )
    targets = {name: folder / f"{args.model}_{name}.nii.gz" for name in maps}
    check_writable(targets.values(), overwrite=args.force)
    written = []
    for name, result in maps.items():
        written += save(result, targets[name], overwrite=args.force)
    if args.json:
        print_json(
            {
                "model": args.model,
                "maps": {n: str(p) for n, p in targets.items()},
                "units": {n: maps[n].unit for n in targets},
            }
        )
    else:
        for name, path in targets.items():
            print(f"{name:<10} {maps[name].unit:<10} {path}")
    return 0
