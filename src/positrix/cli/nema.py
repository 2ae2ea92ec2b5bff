"""``positrix nema iq | resolution | sensitivity``: NEMA NU 4-2008 analyses."""

from __future__ import annotations

import argparse
import math
from typing import Any

from positrix.cli.output import print_json, print_table

__all__ = ["add_parser"]


def add_parser(subparsers: Any) -> None:
    """Register ``positrix nema iq|resolution|sensitivity``."""
    nema = subparsers.add_parser("nema", help="NEMA NU 4-2008 performance analyses")
    commands = nema.add_subparsers(dest="nema_command", required=True, metavar="COMMAND")

    iq = commands.add_parser(
        "iq", help="image quality: uniformity, recovery coefficients, spill-over ratios"
    )
    iq.add_argument("image", help="reconstructed image of the IQ phantom")
    iq.add_argument(
        "--ct", help="CT or µ-map registered to the image: tells the water insert from the air one"
    )
    iq.add_argument(
        "--water-insert",
        nargs="+",
        metavar="X,Y,Z",
        help="world position (mm) in the water insert, instead of --ct; negative first value: "
        "--water-insert=-3,7,10",
    )
    iq.add_argument("--frame", type=int, help="frame of a dynamic image")
    iq.add_argument("--json", action="store_true", help="machine-readable output")
    iq.set_defaults(run=run_iq)

    res = commands.add_parser("resolution", help="FWHM/FWTM of point sources")
    res.add_argument("image", help="reconstructed point-source image")
    res.add_argument("--axis-x", type=float, default=0.0, help="scanner axis x in mm (default 0)")
    res.add_argument("--axis-y", type=float, default=0.0, help="scanner axis y in mm (default 0)")
    res.add_argument("--sources", type=int, help="number of sources (default: all found)")
    res.add_argument("--frame", type=int, help="frame of a dynamic image")
    res.add_argument("--json", action="store_true", help="machine-readable output")
    res.set_defaults(run=run_resolution)

    sens = commands.add_parser("sensitivity", help="sensitivity from a stepped point source")
    sens.add_argument("events", help="list-mode event file (.npz)")
    sens.add_argument("--steps", required=True, help="CSV with start_s, duration_s, z_mm")
    sens.add_argument(
        "--activity", required=True, help="source activity with unit, e.g. 1MBq, 27uCi"
    )
    sens.add_argument(
        "--activity-time", help="ISO date-time of --activity (default: the acquisition start)"
    )
    sens.add_argument("--nuclide", help="source nuclide (default: the event file's)")
    sens.add_argument("--branching", type=float, help="β+ fraction (default: nuclide table)")
    sens.add_argument(
        "--background-cps", type=float, default=0.0, help="intrinsic background to subtract"
    )
    sens.add_argument("--centre-z", type=float, help="axial centre for the 70 mm mouse average")
    sens.add_argument("--json", action="store_true", help="machine-readable output")
    sens.set_defaults(run=run_sensitivity)

    rates = commands.add_parser(
        "count-rate", help="scatter fraction, count rates and NECR from an activity sweep"
    )
    rates.add_argument("sweep", help="sweep TOML: scanner, phantom, [[acquisition]] sinograms")
    rates.add_argument("--plot", help="save the NU 4 count-rate figure here (.png)")
    rates.add_argument("--force", action="store_true", help="replace an existing plot")
    rates.add_argument("--json", action="store_true", help="machine-readable output")
    rates.set_defaults(run=run_count_rate)


def _point(words: list[str], option: str) -> tuple[float, float, float]:
    from positrix.errors import PositrixError

    text = " ".join(words).replace(",", " ")
    try:
        values = [float(v) for v in text.split()]
    except ValueError:
        values = []
    if len(values) != 3:
        raise PositrixError(
            f"cannot read the position '{text}'", field=option, fix="give x,y,z in mm"
        )
    return (values[0], values[1], values[2])


def _f(value: float, digits: int = 4) -> str:
    return "—" if not math.isfinite(value) else f"{value:.{digits}g}"


def _f2(value: float) -> str:
    return "—" if not math.isfinite(value) else f"{value:.2f}"


def run_iq(args: argparse.Namespace) -> int:
    """NEMA NU 4 image-quality analysis of a phantom image."""
    from positrix.io import load
    from positrix.quant.nema.iq import nema_iq

    image = load(args.image)
    ct = load(args.ct) if args.ct else None
    point = _point(args.water_insert, "--water-insert") if args.water_insert else None
    result = nema_iq(image, ct=ct, water_insert_mm=point, frame=args.frame)
    if args.json:
        print_json(result.to_dict())
        return 0
    from positrix.physics.units import readable_concentration

    pose, u = result.pose, result.uniformity
    k, unit = readable_concentration(result.unit, u.max)
    centre = ", ".join(f"{v:.2f}" for v in pose.centre_mm)
    axis = ", ".join(f"{v:.3f}" for v in pose.axis)
    print_table([
        ("phantom centre", f"({centre}) mm"),
        ("axis (rods → chamber)", f"({axis}), tilt {pose.tilt_deg:.2f}°, "
                                  f"rods towards {'+' if pose.rod_end_sign > 0 else '−'}z"),
        ("5 mm rod direction", f"{pose.rotation_deg:.1f}° from +x about +z"),
        ("uniformity", f"mean {_f(u.mean * k)} {unit}, max {_f(u.max * k)} {unit}, "
                       f"min {_f(u.min * k)} {unit}, %STD {u.pct_std:.2f} %"),
    ])  # fmt: skip
    print()
    print(f"{'rod':<6} {'RC':>7} {'%STD':>7} {'RC mean':>8}")
    for d in result.rc:
        print(
            f"{d + ' mm':<6} {result.rc[d]:7.3f} {result.rc_pct_std[d]:7.2f} "
            f"{result.rc_mean[d]:8.3f}"
        )
    print()
    print(f"{'insert':<6} {'SOR':>7} {'%STD':>7}")
    for name in ("water", "air"):
        print(f"{name:<6} {result.sor[name]:7.3f} {result.sor_pct_std[name]:7.2f}")
    print(f"\nwater/air: {result.water_air_note}")
    return 0


def run_resolution(args: argparse.Namespace) -> int:
    """NEMA NU 4 spatial resolution (FWHM, FWTM) of point sources."""
    from positrix.io import load
    from positrix.quant.nema.resolution import point_source_resolution

    result = point_source_resolution(
        load(args.image),
        axis_xy_mm=(args.axis_x, args.axis_y),
        n_sources=args.sources,
        frame=args.frame,
    )
    if args.json:
        print_json(result.to_dict())
        return 0
    print(
        f"{'position x, y, z (mm)':<24} {'r (mm)':>7}  {'FWHM rad/tan/ax (mm)':<20}  "
        "FWTM rad/tan/ax (mm)"
    )
    for s in result.sources:
        where = ", ".join(f"{v:.1f}" for v in s.position_mm)
        fwhm = " / ".join(_f2(v) for v in (s.fwhm_radial_mm, s.fwhm_tangential_mm,
                                           s.fwhm_axial_mm))  # fmt: skip
        fwtm = " / ".join(_f2(v) for v in (s.fwtm_radial_mm, s.fwtm_tangential_mm,
                                           s.fwtm_axial_mm))  # fmt: skip
        print(f"{where:<24} {s.radial_offset_mm:7.2f}  {fwhm:<20}  {fwtm}")
    return 0


def run_sensitivity(args: argparse.Namespace) -> int:
    """NEMA NU 4 sensitivity profile of a stepped point source."""
    from positrix.io.events import read_events
    from positrix.physics.units import format_activity, parse_activity, parse_iso_datetime
    from positrix.quant.nema.sensitivity import nema_sensitivity, read_steps

    activity = parse_activity(args.activity, field="--activity")
    when = parse_iso_datetime(args.activity_time, field="--activity-time", require_offset=True)
    result = nema_sensitivity(
        read_events(args.events),
        read_steps(args.steps),
        activity,
        activity_measured_at=when,
        nuclide=args.nuclide,
        branching_ratio=args.branching,
        background_cps=args.background_cps,
        centre_mm=args.centre_z,
    )
    if args.json:
        print_json(result.to_dict())
        return 0
    print(
        f"{'z (mm)':>8} {'prompts':>9} {'delayeds':>9} {'rate (cps)':>11} "
        f"{'activity':>11} {'S_A (%)':>8}"
    )
    for i in range(result.z_mm.size):
        print(
            f"{result.z_mm[i]:8.1f} {result.prompts[i]:9d} {result.delayeds[i]:9d} "
            f"{result.rate_cps[i]:11.5g} {format_activity(float(result.activity_bq[i])):>11} "
            f"{result.absolute_pct[i]:8.3f}"
        )
    lo, hi = result.mouse_range_mm
    print()
    print_table([
        ("peak", f"{result.peak_pct:.3f} % at z = {result.peak_z_mm:g} mm"),
        ("mouse (central 70 mm)", f"{result.mouse_pct:.3f} % ({result.n_mouse_steps} steps, "
                                  f"{lo:g} … {hi:g} mm)"),
        ("whole FOV", f"{result.whole_fov_pct:.3f} % ({result.z_mm.size} steps)"),
        ("β+ fraction", f"{result.branching_ratio:g} ({result.nuclide})"),
    ])  # fmt: skip
    return 0


def run_count_rate(args: argparse.Namespace) -> int:
    """NEMA NU 4 section 4 from a sweep file."""
    from pathlib import Path

    from positrix.io.count_rate_sweep import read_sweep
    from positrix.io.safety import check_writable
    from positrix.quant.nema.count_rate import analyse_count_rates, plot_count_rates

    if args.plot:
        check_writable([Path(args.plot)], overwrite=args.force, inputs=[Path(args.sweep)])
    sweep = read_sweep(args.sweep)
    result = analyse_count_rates(
        sweep.prompts,
        delayeds=sweep.delayeds,
        radial_mm=sweep.radial_mm,
        plane_z_mm=sweep.plane_z_mm,
        duration_s=sweep.duration_s,
        start_activity_mbq=sweep.start_activity_mbq,
        phantom=sweep.phantom,
        nuclide=sweep.nuclide,
    )
    summary = result.to_dict()
    if args.plot:
        summary["plot"] = str(plot_count_rates(result, args.plot))
    if args.json:
        print_json(summary)
        return 0
    print(
        f"{sweep.scanner.name}, {result.phantom} phantom: scatter fraction "
        f"{result.scatter_fraction:.1%}; peak NECR {result.peak_necr_kcps:.1f} kcps at "
        f"{result.peak_necr_activity_mbq:.2f} MBq"
    )
    return 0
