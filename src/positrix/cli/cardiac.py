"""``positrix cardiac …``: short-axis reorientation, polar map (17 segments), myocardial
blood flow and gated volumes (docs/cardiac.md)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from positrix.cli.output import print_json
from positrix.errors import PositrixError

__all__ = ["add_parser"]


def _vector(text: str | None, option: str) -> list[float] | None:
    if text is None:
        return None
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        values = []
    if len(values) != 3:
        raise PositrixError(
            f"cannot read '{text}' as three numbers", field=option, fix=f"e.g. {option} 0,0.7,-0.7"
        )
    return values


def _lv_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--centre", help="x,y,z (mm) near the LV: restricts the search")
    parser.add_argument("--long-axis", help="x,y,z direction base → apex: manual long axis")
    parser.add_argument("--anterior", help="x,y,z anterior direction (default ventral, −y)")


def add_parser(subparsers: Any) -> None:
    """Register ``positrix cardiac``."""
    cardiac = subparsers.add_parser(
        "cardiac", help="LV short axis, polar map, myocardial blood flow, gated volumes"
    )
    actions = cardiac.add_subparsers(dest="cardiac_command", required=True, metavar="ACTION")

    simulate = actions.add_parser(
        "simulate", help="a digital mouse heart (static, ammonia dynamic or gated) with truth"
    )
    simulate.add_argument("-o", "--output", required=True, help="image to write (.nii.gz, …)")
    simulate.add_argument(
        "--infarct", action="store_true", help="an infarct of ≈ 20 %% of the LV (apical-lateral)"
    )
    simulate.add_argument("--dynamic", action="store_true", help="N-13 ammonia dynamic study")
    simulate.add_argument(
        "--gated", action="store_true", help="two gates (end-diastole, end-systole)"
    )
    simulate.add_argument("--flow", type=float, default=5.0, help="normal flow (mL/min/g)")
    simulate.add_argument("--infarct-flow", type=float, default=1.0, help="infarct flow (mL/min/g)")
    simulate.add_argument("--fwhm-mm", type=float, default=1.2, help="resolution (mm)")
    simulate.add_argument("--noise-percent", type=float, default=2.0, help="noise (%% of wall)")
    simulate.add_argument("--seed", type=int, default=0, help="noise seed")
    simulate.add_argument("--force", action="store_true", help="replace an existing file")
    simulate.set_defaults(run=run_simulate)

    reorient = actions.add_parser("reorient", help="resample an image on the LV short axis")
    reorient.add_argument("image", help="cardiac PET (static, dynamic or gated)")
    _lv_options(reorient)
    reorient.add_argument(
        "--voxel-mm", type=float, help="short-axis voxel (default half the image's)"
    )
    reorient.add_argument("-o", "--output", required=True, help="short-axis image (.nii.gz, …)")
    reorient.add_argument("--force", action="store_true", help="replace an existing file")
    reorient.add_argument("--json", action="store_true", help="machine-readable summary")
    reorient.set_defaults(run=run_reorient)

    polar = actions.add_parser("polar-map", help="bull's-eye with 17 segments and defect extent")
    polar.add_argument("image", help="cardiac PET (a dynamic image's frames are summed)")
    polar.add_argument(
        "--threshold",
        type=float,
        default=0.5,
        help="defect below this fraction of the maximum (default 0.5)",
    )
    _lv_options(polar)
    polar.add_argument("--plot", help="save the bull's-eye here (.png)")
    polar.add_argument("--force", action="store_true", help="replace an existing plot")
    polar.add_argument("--json", action="store_true", help="machine-readable results")
    polar.set_defaults(run=run_polar)

    mbf = actions.add_parser("mbf", help="myocardial blood flow per segment (1-tissue model)")
    mbf.add_argument("dynamic", help="dynamic cardiac PET with frame times")
    mbf.add_argument(
        "--tracer",
        choices=["ammonia", "k1"],
        default="ammonia",
        help="ammonia: flow from K1 by the extraction; k1: flow = K1",
    )
    mbf.add_argument("--wall-mm", type=float, help="LV wall thickness (mm) for the recovery")
    mbf.add_argument("--fwhm-mm", type=float, help="image resolution (mm) for the recovery")
    mbf.add_argument(
        "--fit-end-min",
        type=float,
        default=2.0,
        help="fit the frames ending by this time (min, default 2)",
    )
    _lv_options(mbf)
    mbf.add_argument("--json", action="store_true", help="machine-readable results")
    mbf.set_defaults(run=run_mbf)

    volumes = actions.add_parser("volumes", help="EDV, ESV and ejection fraction of a gated image")
    volumes.add_argument("gated", help="gated image: one volume per cardiac gate (4th axis)")
    _lv_options(volumes)
    volumes.add_argument("--json", action="store_true", help="machine-readable results")
    volumes.set_defaults(run=run_volumes)


def run_simulate(args: argparse.Namespace) -> int:
    """Write a simulated heart."""
    import dataclasses

    import numpy as np

    from positrix.io import planned_outputs, save
    from positrix.io.safety import check_writable
    from positrix.simulation import digital_heart as heart
    from positrix.simulation.shapes import Pose

    check_writable(planned_outputs(args.output), overwrite=args.force)
    geometry = heart.HeartGeometry(
        centre_mm=(1.0, -1.0, 0.5),
        orientation=Pose.from_angles(about_z_deg=30.0, tilt_x_deg=50.0),
        infarct_z_mm=(-7.0, -0.5) if args.infarct else None,
        infarct_azimuth_deg=(-60.0, 60.0),
    )
    if args.gated:
        systole = dataclasses.replace(geometry, outer_mm=(2.8, 2.8, 5.7), inner_mm=(1.5, 1.5, 4.3))
        image = heart.simulate_heart_gated([geometry, systole], fwhm_mm=args.fwhm_mm)
    elif args.dynamic:
        durations = np.array([5.0] * 12 + [10.0] * 6 + [30.0] * 4 + [60.0] * 3 + [120.0] * 2)
        starts = np.concatenate([[0.0], np.cumsum(durations)[:-1]])
        flows = {"myocardium": args.flow, "infarct": args.infarct_flow, "body": 0.5}
        if not args.infarct:
            flows.pop("infarct")
        image = heart.simulate_heart_dynamic(
            geometry,
            flows,
            starts,
            durations,
            fwhm_mm=args.fwhm_mm,
            noise_percent=args.noise_percent,
            seed=args.seed,
        )
    else:
        image = heart.simulate_heart_image(
            geometry, fwhm_mm=args.fwhm_mm, noise_percent=args.noise_percent, seed=args.seed
        )
    files = save(image, args.output, overwrite=args.force)
    print(f"wrote {', '.join(str(f) for f in files)}")
    return 0


def _frame(args: argparse.Namespace, image: Any) -> Any:
    from positrix.quant.cardiac import find_lv

    return find_lv(
        image,
        centre_mm=_vector(args.centre, "--centre"),
        long_axis=_vector(args.long_axis, "--long-axis"),
        anterior=_vector(args.anterior, "--anterior"),
    )


def run_reorient(args: argparse.Namespace) -> int:
    """Write the short-axis image."""
    from positrix.io import load, planned_outputs, save
    from positrix.io.safety import check_writable
    from positrix.quant.cardiac import reorient

    check_writable(planned_outputs(args.output), overwrite=args.force, inputs=[Path(args.image)])
    image = load(args.image)
    frame = _frame(args, image)
    files = save(reorient(image, frame, voxel_mm=args.voxel_mm), args.output, overwrite=args.force)
    summary = {"lv": frame.to_dict(), "files": [str(p) for p in files]}
    if args.json:
        print_json(summary)
        return 0
    axis = ", ".join(f"{v:.3f}" for v in frame.long_axis)
    print(f"long axis ({axis}), LV length {summary['lv']['length_mm']:.1f} mm; wrote {args.output}")
    return 0


def run_polar(args: argparse.Namespace) -> int:
    """Polar map, segments, defect."""
    from positrix.io import load
    from positrix.io.safety import check_writable
    from positrix.quant.cardiac import plot_polar_map, polar_map

    if args.plot:
        check_writable([Path(args.plot)], overwrite=args.force, inputs=[Path(args.image)])
    image = load(args.image)
    polar = polar_map(image, frame=_frame(args, image), threshold=args.threshold)
    summary = polar.to_dict()
    if args.plot:
        summary["plot"] = str(plot_polar_map(polar, args.plot))
    if args.json:
        print_json(summary)
        return 0
    for row in summary["segments"]:
        mean = "—" if row["mean"] is None else f"{row['mean']:.4g} {polar.unit}"
        pct = "" if row["percent_of_max"] is None else f" ({row['percent_of_max']:.0f} %)"
        print(f"{row['id']:>2} {row['name']:<22} {mean}{pct}")
    print(
        f"defect extent {summary['defect_extent_percent']:.1f} % of the LV "
        f"(< {args.threshold:.0%} of max); segments {summary['defect_segments'] or 'none'}"
    )
    return 0


def run_mbf(args: argparse.Namespace) -> int:
    """Flow per segment."""
    from positrix.io import load
    from positrix.quant.cardiac import SEGMENT_NAMES, polar_map
    from positrix.quant.cardiac_flow import late_frames, myocardial_blood_flow

    image = load(args.dynamic)
    if not image.is_dynamic:
        raise PositrixError("MBF needs a dynamic image", field="DYNAMIC", fix="give the 4-D study")
    late = late_frames(image)
    polar = polar_map(late, frame=_frame(args, late))
    flows, _ = myocardial_blood_flow(
        image,
        tracer=args.tracer,
        polar=polar,
        wall_mm=args.wall_mm,
        fwhm_mm=args.fwhm_mm,
        fit_end_min=args.fit_end_min,
    )
    summary = {
        "tracer": args.tracer,
        "unit": "mL/min/g",
        "segments": [f.to_dict() for f in flows],
        "wall_mm": args.wall_mm,
        "fwhm_mm": args.fwhm_mm,
        "lv": polar.frame.to_dict(),
    }
    if args.json:
        print_json(summary)
        return 0
    for f in flows:
        print(f"{f.segment:>2} {SEGMENT_NAMES[f.segment]:<22} {f.flow:.2f} mL/min/g  Va {f.va:.2f}")
    return 0


def run_volumes(args: argparse.Namespace) -> int:
    """Gated volumes and EF."""
    from positrix.io import load
    from positrix.quant.cardiac import find_lv, gated_volumes

    image = load(args.gated)
    frame = None
    if args.centre or args.long_axis or args.anterior:
        summed = (
            image.replace(data=image.data.mean(axis=-1), frames=None) if image.is_dynamic else image
        )
        frame = find_lv(
            summed,
            centre_mm=_vector(args.centre, "--centre"),
            long_axis=_vector(args.long_axis, "--long-axis"),
            anterior=_vector(args.anterior, "--anterior"),
        )
    result = gated_volumes(image, frame=frame)
    summary = result.to_dict()
    if args.json:
        print_json(summary)
        return 0
    print(
        f"EDV {summary['edv_ul']:.1f} µL, ESV {summary['esv_ul']:.1f} µL, "
        f"EF {summary['ejection_fraction_percent']:.1f} %"
    )
    return 0
