"""``positrix neuro …``: brain atlases, spatial normalisation, SUVR, BPND maps and
voxel-wise group comparison (docs/neuro.md)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from positrix.cli.output import print_json
from positrix.errors import PositrixError

__all__ = ["add_parser"]


def _atlas_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--atlas",
        default="digital-mouse-brain",
        help="built-in atlas (digital-mouse-brain, digital-rat-brain) or an atlas folder "
        "(default digital-mouse-brain)",
    )
    parser.add_argument(
        "--kind",
        choices=["rigid", "affine", "bspline"],
        default="rigid",
        help="normalisation stages (default rigid: PET alone does not constrain scaling)",
    )


def add_parser(subparsers: Any) -> None:
    """Register ``positrix neuro``."""
    neuro = subparsers.add_parser(
        "neuro", help="brain atlases, normalisation, SUVR, BPND, group t-maps"
    )
    actions = neuro.add_subparsers(dest="neuro_command", required=True, metavar="ACTION")

    atlas = actions.add_parser("atlas", help="list or export brain atlases")
    atlas_actions = atlas.add_subparsers(dest="atlas_command", required=True, metavar="ACTION")
    export = atlas_actions.add_parser(
        "export",
        help="write an atlas as template.nii.gz, labels.nii.gz, labels.tsv (+ mask, atlas.toml)",
    )
    export.add_argument("name", help="built-in atlas name or atlas folder")
    export.add_argument("-o", "--output", required=True, help="folder to write")
    export.add_argument("--force", action="store_true", help="replace existing files")
    export.add_argument("--json", action="store_true", help="machine-readable summary")
    export.set_defaults(run=run_export)
    listing = atlas_actions.add_parser("list", help="the built-in atlases and their regions")
    listing.add_argument("--json", action="store_true", help="machine-readable list")
    listing.set_defaults(run=run_list)

    simulate = actions.add_parser(
        "simulate", help="a digital mouse/rat brain study with known truth (no scanner)"
    )
    simulate.add_argument("-o", "--output", required=True, help="image to write (.nii.gz, …)")
    simulate.add_argument(
        "--species", choices=["mouse", "rat"], default="mouse", help="digital brain (default mouse)"
    )
    simulate.add_argument(
        "--tracer",
        choices=["raclopride", "fdg"],
        default="raclopride",
        help="raclopride: dynamic C-11 (BPND); fdg: static uptake",
    )
    simulate.add_argument("--bp-left", type=float, default=1.2, help="BPND, left striatum")
    simulate.add_argument("--bp-right", type=float, default=2.4, help="BPND, right striatum")
    simulate.add_argument(
        "--cortex-increase",
        type=float,
        default=0.0,
        help="fdg: relative increase of cortex and hippocampus (0.15 = 15 %%)",
    )
    simulate.add_argument("--fwhm-mm", type=float, default=1.5, help="resolution (mm)")
    simulate.add_argument("--noise-percent", type=float, default=2.0, help="noise (%% of brain)")
    simulate.add_argument("--seed", type=int, default=0, help="noise and pose seed")
    simulate.add_argument("--force", action="store_true", help="replace an existing file")
    simulate.set_defaults(run=run_simulate)

    normalise = actions.add_parser(
        "normalise",
        help="map a brain image to an atlas: labels in subject space, image in template space",
    )
    normalise.add_argument("image", help="PET (static or dynamic; frames are summed)")
    _atlas_option(normalise)
    normalise.add_argument("-o", "--output", required=True, help="folder for the results")
    normalise.add_argument("--force", action="store_true", help="replace existing files")
    normalise.add_argument("--json", action="store_true", help="machine-readable summary")
    normalise.set_defaults(run=run_normalise)

    suvr = actions.add_parser("suvr", help="regional SUVR and the SUVR map")
    suvr.add_argument("image", help="PET image (dynamic: the chosen frames are summed)")
    _atlas_option(suvr)
    suvr.add_argument("--ref", default="cerebellum", help="reference region (default cerebellum)")
    suvr.add_argument("--frames", help="frames to sum, e.g. 10-15 (default all)")
    suvr.add_argument("-o", "--output", help="write the SUVR map here (.nii.gz)")
    suvr.add_argument("--force", action="store_true", help="replace an existing map")
    suvr.add_argument("--json", action="store_true", help="machine-readable results")
    suvr.set_defaults(run=run_suvr)

    bp = actions.add_parser(
        "bp-map", help="BPND per atlas region (and voxel-wise) with SRTM, MRTM2 or Logan-ref"
    )
    bp.add_argument("dynamic", help="dynamic PET with frame times")
    _atlas_option(bp)
    bp.add_argument(
        "--model",
        choices=["srtm", "mrtm2", "logan-ref"],
        default="srtm",
        help="reference-tissue model (default srtm)",
    )
    bp.add_argument("--ref", default="cerebellum", help="reference region (default cerebellum)")
    bp.add_argument(
        "--pvc-fwhm-mm",
        type=float,
        help="partial-volume correction (GTM) at this image resolution (mm)",
    )
    bp.add_argument(
        "--fractions",
        action="store_true",
        help="partial-volume label fractions instead of whole voxels",
    )
    bp.add_argument("--k2-prime", type=float, help="MRTM2/Logan-ref k2′ (1/min)")
    bp.add_argument("--tstar-min", type=float, help="Logan-ref t* (min; default 40 %% of scan)")
    bp.add_argument("-o", "--output", help="folder for the BPND map, labels and QC figure")
    bp.add_argument("--force", action="store_true", help="replace existing files")
    bp.add_argument("--json", action="store_true", help="machine-readable results")
    bp.set_defaults(run=run_bp_map)

    group = actions.add_parser(
        "group-compare", help="voxel-wise two-sample t-map in template space (FDR, clusters)"
    )
    group.add_argument("--a", nargs="+", required=True, help="images of group A (e.g. transgenic)")
    group.add_argument("--b", nargs="+", required=True, help="images of group B (e.g. wild type)")
    _atlas_option(group)
    group.add_argument("--ref", default="cerebellum", help="SUVR reference region")
    group.add_argument("--q", type=float, default=0.05, help="FDR level (default 0.05)")
    group.add_argument(
        "--min-cluster-mm3", type=float, default=1.0, help="smallest cluster kept (mm³, default 1)"
    )
    group.add_argument(
        "--smooth-fwhm-mm",
        type=float,
        default=0.6,
        help="smoothing in template space (mm, default 0.6)",
    )
    group.add_argument("-o", "--output", required=True, help="folder for t-map, p-map, PNG")
    group.add_argument("--force", action="store_true", help="replace existing files")
    group.add_argument("--json", action="store_true", help="machine-readable results")
    group.set_defaults(run=run_group)


def run_simulate(args: argparse.Namespace) -> int:
    """Write a simulated brain study."""
    import numpy as np

    from positrix.io import planned_outputs, save
    from positrix.io.safety import check_writable
    from positrix.simulation.digital_brain import (
        FDG_BRAIN_UPTAKE,
        ReferenceTissueKinetics,
        simulate_brain_dynamic,
        simulate_brain_image,
    )
    from positrix.simulation.shapes import Pose

    check_writable(planned_outputs(args.output), overwrite=args.force)
    rng = np.random.default_rng(args.seed)
    pose = Pose.from_angles(
        about_z_deg=float(rng.uniform(-5, 5)), translation_mm=tuple(rng.uniform(-1.5, 1.5, 3))
    )
    size = 1.65 if args.species == "rat" else 1.0
    shape = tuple(round(n * size) for n in (44, 40, 56))
    grid = (shape[0], shape[1], shape[2])
    if args.tracer == "raclopride":
        starts = np.array(
            [0, 30, 60, 90, 120, 180, 240, 300, 420, 540, 720, 900, 1200, 1500, 1800, 2400, 3000.0]
        )
        kinetics = ReferenceTissueKinetics(
            bp_nd={"striatum_left": args.bp_left, "striatum_right": args.bp_right}
        )
        image, _ = simulate_brain_dynamic(
            kinetics,
            starts,
            np.diff(np.append(starts, 3600.0)),
            species=args.species,
            pose=pose,
            shape=grid,
            fwhm_mm=args.fwhm_mm,
            noise_percent=args.noise_percent,
            seed=args.seed,
        )
    else:
        uptake = dict(FDG_BRAIN_UPTAKE)
        for name in ("cortex", "hippocampus_left", "hippocampus_right"):
            uptake[name] *= 1.0 + args.cortex_increase
        image = simulate_brain_image(
            uptake,
            species=args.species,
            pose=pose,
            shape=grid,
            fwhm_mm=args.fwhm_mm,
            noise_sd=args.noise_percent / 100.0,
            seed=args.seed,
        )
    files = save(image, args.output, overwrite=args.force)
    print(f"wrote {', '.join(str(f) for f in files)}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    """List the built-in atlases."""
    from positrix.quant.atlas import ATLASES, brain_structures

    rows = [
        {"name": n, "species": s, "voxel_mm": v, "regions": list(brain_structures(s))}
        for n, (s, v, _) in ATLASES.items()
    ]
    if args.json:
        print_json(rows)
        return 0
    for n, (s, v, _) in ATLASES.items():
        print(f"{n}: {s}, {v} mm, {len(brain_structures(s))} regions")
    return 0


def run_export(args: argparse.Namespace) -> int:
    """Write an atlas folder."""
    from positrix.quant.atlas import get_atlas, save_atlas

    atlas = get_atlas(args.name)
    written = save_atlas(atlas, args.output, overwrite=args.force)
    if args.json:
        print_json({"atlas": atlas.name, "files": [str(p) for p in written]})
        return 0
    print(f"{atlas.name}: {len(atlas.labels.names)} regions, wrote {args.output}")
    return 0


def _normalised(args: argparse.Namespace) -> tuple[Any, Any, Any]:
    from positrix.io import load
    from positrix.quant.atlas import get_atlas
    from positrix.quant.normalise import normalise

    image = load(getattr(args, "image", None) or args.dynamic)
    atlas = get_atlas(args.atlas)
    return image, atlas, normalise(image, atlas, kind=args.kind)


def _write_subject_outputs(args, image, normalisation, vois, folder: Path) -> list[str]:
    from positrix.quant.label_image import LabelImage
    from positrix.quant.labels import save_labels
    from positrix.quant.normalise import qc_figure

    folder.mkdir(parents=True, exist_ok=True)
    labels = LabelImage.from_vois(vois)
    written = save_labels(
        labels, folder / "labels_subject.nii.gz", overwrite=args.force, like=image
    )
    qc = qc_figure(normalisation, image, vois, folder / "normalisation_qc.png")
    return [str(p) for p in [*written, qc]]


def run_normalise(args: argparse.Namespace) -> int:
    """Normalise, write labels in subject space, the image in template space and QC."""
    from positrix.io import planned_outputs, save
    from positrix.io.safety import check_writable
    from positrix.quant.normalise import to_template, warp_labels

    folder = Path(args.output)
    planned = [folder / n for n in ("labels_subject.tsv", "normalisation_qc.png", "transform.tfm")]
    planned += planned_outputs(folder / "labels_subject.nii.gz")
    planned += planned_outputs(folder / "template_space.nii.gz")
    check_writable(planned, overwrite=args.force, inputs=[Path(args.image)])
    image, atlas, normalisation = _normalised(args)
    vois = warp_labels(normalisation, image)
    files = _write_subject_outputs(args, image, normalisation, vois, folder)
    moved = to_template(normalisation, image)
    files += [str(p) for p in save(moved, folder / "template_space.nii.gz", overwrite=args.force)]
    import SimpleITK as sitk

    sitk.WriteTransform(normalisation.transform, str(folder / "transform.tfm"))
    files.append(str(folder / "transform.tfm"))
    summary = {**normalisation.to_dict(), "files": files}
    if args.json:
        print_json(summary)
        return 0
    where = ", ".join(f"{v:.1f}" for v in summary["brain_centre_mm"])
    print(
        f"brain found at ({where}) mm (match {summary['match_score']:.2f}); "
        f"{args.kind} normalisation to {atlas.name}; wrote {folder}"
    )
    return 0


def run_suvr(args: argparse.Namespace) -> int:
    """Regional SUVR (and the map)."""
    from positrix.io import planned_outputs, save
    from positrix.io.safety import check_writable
    from positrix.quant.neuro import suvr
    from positrix.quant.normalise import warp_labels

    if args.output:
        check_writable(
            planned_outputs(args.output), overwrite=args.force, inputs=[Path(args.image)]
        )
    image, _, normalisation = _normalised(args)
    vois = warp_labels(normalisation, image)
    frames = _frames(args.frames, image) if args.frames else None
    ratios, suvr_map = suvr(image, vois, ref=args.ref, frames=frames)
    if args.output:
        save(suvr_map, args.output, overwrite=args.force)
    rows = [{"name": n, "suvr": r} for n, r in ratios.items()]
    if args.json:
        print_json(
            {"reference": args.ref, "regions": rows, "normalisation": normalisation.to_dict()}
        )
        return 0
    for row in rows:
        print(f"{row['name']:<20} {row['suvr']:.3f}")
    return 0


def _frames(text: str, image: Any) -> list[int]:
    chosen: list[int] = []
    for part in text.split(","):
        low, _, high = part.partition("-")
        try:
            first, last = int(low), int(high or low)
        except ValueError:
            raise PositrixError(
                f"cannot read frames '{text}'", field="--frames", fix="e.g. 10-15 or 3,5,7"
            ) from None
        chosen += list(range(first, last + 1))
    if not chosen or min(chosen) < 0 or max(chosen) >= image.n_frames:
        raise PositrixError(
            f"frames must lie in 0–{image.n_frames - 1}", field="--frames", fix="e.g. 10-15"
        )
    return chosen


def run_bp_map(args: argparse.Namespace) -> int:
    """BPND per region, asymmetry, optional voxel map."""
    from positrix.quant.neuro import asymmetry_index, binding_potentials, regional_tacs
    from positrix.quant.normalise import warp_labels

    folder = Path(args.output) if args.output else None
    if folder is not None:
        _check_bp_outputs(args, folder)
    image, _, normalisation = _normalised(args)
    if not image.is_dynamic:
        raise PositrixError(
            "BPND needs a dynamic image", field="DYNAMIC", fix="give the dynamic (4-D) study"
        )
    vois = warp_labels(normalisation, image, fractions=args.fractions)
    tacs = regional_tacs(image, vois, pvc_fwhm_mm=args.pvc_fwhm_mm)
    result = binding_potentials(
        tacs, model=args.model, ref=args.ref, k2_prime=args.k2_prime, tstar_min=args.tstar_min
    )
    names = [f.region for f in result.fits]
    ai = None
    side = None
    if "striatum_left" in names and "striatum_right" in names:
        left, right = result.bp("striatum_left"), result.bp("striatum_right")
        ai = asymmetry_index(left, right)
        side = "left" if left < right else "right"
    summary: dict[str, Any] = {
        "model": args.model,
        "reference": args.ref,
        "regions": result.regions(),
        "asymmetry_index_percent": ai,
        "lower_side": side,
        "k2_prime_per_min": result.k2_prime,
        "tstar_min": result.tstar_min,
        "pvc_fwhm_mm": args.pvc_fwhm_mm,
        "normalisation": normalisation.to_dict(),
    }
    if folder is not None:
        summary["files"] = _bp_outputs(args, image, normalisation, vois, tacs, result, folder)
    if args.json:
        print_json(summary)
        return 0
    for row in summary["regions"]:
        value = "—" if row["bp_nd"] is None else f"{row['bp_nd']:.3f}"
        print(f"{row['name']:<20} BPND {value}  {row['status']}")
    if ai is not None:
        print(f"asymmetry index (striatum L vs R) {ai:+.1f} %; lower side: {side}")
    return 0


def _check_bp_outputs(args: argparse.Namespace, folder: Path) -> None:
    from positrix.io import planned_outputs
    from positrix.io.safety import check_writable

    planned = [folder / "labels_subject.tsv", folder / "normalisation_qc.png"]
    planned += planned_outputs(folder / "labels_subject.nii.gz")
    planned += planned_outputs(folder / "bp_nd.nii.gz")
    check_writable(planned, overwrite=args.force, inputs=[Path(args.dynamic)])


def _bp_outputs(args, image, normalisation, vois, tacs, result, folder: Path) -> list[str]:
    import numpy as np

    from positrix.io import save
    from positrix.kinetics.maps import MapOptions, parametric_maps
    from positrix.quant.neuro import brain_mask

    files = _write_subject_outputs(args, image, normalisation, vois, folder)
    model = args.model
    options = MapOptions(tstar_min=result.tstar_min, k2_prime=result.k2_prime)
    maps = parametric_maps(
        image,
        model,
        mask=brain_mask(vois),
        reference=np.asarray(tacs.curve(args.ref)),
        options=options,
    )
    key = "BPND" if "BPND" in maps else next(iter(maps))
    files += [str(p) for p in save(maps[key], folder / "bp_nd.nii.gz", overwrite=args.force)]
    return files


def run_group(args: argparse.Namespace) -> int:
    """Normalise every image, SUVR, t-map in template space."""
    from positrix.io import load, planned_outputs, save
    from positrix.io.safety import check_writable
    from positrix.progress import Progress
    from positrix.quant.atlas import get_atlas
    from positrix.quant.neuro import suvr
    from positrix.quant.normalise import normalise, to_template, warp_labels
    from positrix.quant.voxel_stats import compare_voxels, plot_t_map

    folder = Path(args.output)
    planned = planned_outputs(folder / "t_map.nii.gz") + planned_outputs(folder / "p_map.nii.gz")
    check_writable([*planned, folder / "t_map.png"], overwrite=args.force)
    atlas = get_atlas(args.atlas)
    step = Progress(len(args.a) + len(args.b), label="normalising", log=None)
    groups: dict[str, list[Any]] = {"a": [], "b": []}
    for name in ("a", "b"):
        for path in getattr(args, name):
            image = load(path)
            normalisation = normalise(image, atlas, kind=args.kind)
            _, suvr_map = suvr(image, warp_labels(normalisation, image), ref=args.ref)
            groups[name].append(to_template(normalisation, suvr_map))
            step(Path(path).name)
    result = compare_voxels(
        groups["a"],
        groups["b"],
        mask=atlas.mask,
        q=args.q,
        min_cluster_mm3=args.min_cluster_mm3,
        smooth_fwhm_mm=args.smooth_fwhm_mm,
        labels=atlas.labels.labels,
        label_names=atlas.labels.names,
    )
    folder.mkdir(parents=True, exist_ok=True)
    files = [str(p) for p in save(result.t, folder / "t_map.nii.gz", overwrite=args.force)]
    files += [str(p) for p in save(result.p, folder / "p_map.nii.gz", overwrite=args.force)]
    files.append(str(plot_t_map(result, atlas.template, folder / "t_map.png")))
    summary = {**result.to_dict(), "atlas": atlas.name, "files": files}
    if args.json:
        print_json(summary)
        return 0
    found = "; ".join(
        f"{c.volume_mm3:.1f} mm³ peak t {c.peak_t:+.2f} mostly "
        + (max(c.regions.items(), key=lambda kv: kv[1])[0] if c.regions else "—")
        for c in result.clusters
    )
    level = (
        f"|t| ≥ {result.t_threshold:.2f}"
        if result.t_threshold < float("inf")
        else "no voxel passes"
    )
    print(
        f"{result.n_a} vs {result.n_b} images; FDR q = {args.q}: {level}; "
        f"{len(result.clusters)} cluster(s){': ' + found if found else ''}; wrote {folder}"
    )
    return 0
