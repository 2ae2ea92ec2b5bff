"""``positrix ct recon|calibrate|segment|simulate``: micro-CT from projections to HU,
body/lung/skeleton labels and a µ-map."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from positrix.cli.output import print_json

__all__ = ["add_parser"]


def _geometry_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--geometry",
        required=True,
        help="a built-in cone-beam geometry (microct-mouse, microct-rat) or a TOML file",
    )


def _spectrum_options(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--kvp", type=float, help=f"tube voltage in kV ({what})")
    parser.add_argument(
        "--aluminium-mm", type=float, default=0.5, help="tube filtration, mm Al (default 0.5)"
    )


def add_parser(subparsers: Any) -> None:
    """Register ``positrix ct``."""
    ct = subparsers.add_parser("ct", help="micro-CT: reconstruct, calibrate, segment, simulate")
    actions = ct.add_subparsers(dest="ct_command", required=True, metavar="ACTION")

    recon = actions.add_parser(
        "recon",
        help="reconstruct cone-beam projections (FDK, SART or CGLS)",
        description="PROJECTIONS: a .npy array or TIFF stack (angles × rows × columns) of "
        "line integrals, or of raw intensities with --flat/--dark.",
    )
    recon.add_argument("projections", help=".npy array, multi-page .tif, or folder of .tif")
    _geometry_option(recon)
    recon.add_argument(
        "--algorithm",
        choices=["fdk", "sart", "cgls"],
        default="fdk",
        help="FDK (default), or SART / CGLS for few or noisy views",
    )
    recon.add_argument(
        "--filter",
        choices=["ramp", "shepp-logan", "hann"],
        default="hann",
        help="FDK ramp window (default hann)",
    )
    recon.add_argument("--iterations", type=int, help="SART/CGLS iterations (10 / 20)")
    recon.add_argument("--flat", help="open-beam image(s) (.npy/.tif) for raw intensities")
    recon.add_argument("--dark", help="offset image(s) (.npy/.tif), or a number of counts")
    _spectrum_options(recon, "with it: water beam-hardening pre-correction")
    recon.add_argument("--rings", action="store_true", help="ring-artefact reduction")
    recon.add_argument("--calibration", help="HU calibration TOML (from `positrix ct calibrate`)")
    recon.add_argument(
        "--instrument",
        help="take the HU calibration in force for this CT from the facility database",
    )
    recon.add_argument("--db", help="facility database URL (with --instrument)")
    recon.add_argument("-o", "--output", required=True, help="output image (.nii.gz, …)")
    recon.add_argument("--force", action="store_true", help="replace an existing output")
    recon.add_argument("--json", action="store_true", help="machine-readable summary")
    recon.set_defaults(run=run_recon)

    calibrate = actions.add_parser(
        "calibrate",
        help="HU calibration from a reconstructed water/air phantom",
        description="Finds the water cylinder and the air around it, measures their µ and "
        "writes the calibration; with --instrument it is also recorded in the facility "
        "database.",
    )
    calibrate.add_argument("phantom", help="reconstruction of the phantom in 1/mm")
    calibrate.add_argument("-o", "--output", required=True, help="calibration TOML to write")
    calibrate.add_argument("--setting", default="", help="tube setting, e.g. '50 kV, 0.5 mm Al'")
    calibrate.add_argument("--margin-mm", type=float, default=1.0, help="edge margin (mm)")
    calibrate.add_argument("--instrument", help="record it for this CT in the facility database")
    calibrate.add_argument("--measured-at", help="scan date-time (ISO 8601; default now)")
    calibrate.add_argument("--as", dest="actor", help="acting user (with --instrument)")
    calibrate.add_argument("--db", help="facility database URL (with --instrument)")
    calibrate.add_argument("--json", action="store_true", help="machine-readable summary")
    calibrate.set_defaults(run=run_calibrate)

    segment = actions.add_parser(
        "segment", help="body (bed removed), lungs and skeleton labels; optional µ-map"
    )
    segment.add_argument("ct", help="CT image in HU")
    segment.add_argument("-o", "--output", required=True, help="label image (+ .tsv names)")
    segment.add_argument("--mu-map", help="also write the µ-map at 511 keV (1/mm), bed removed")
    segment.add_argument("--kvp", type=float, default=80.0, help="CT kVp for HU → µ (80)")
    segment.add_argument("--body-hu", type=float, default=-400.0, help="body threshold (HU)")
    segment.add_argument("--bone-hu", type=float, default=300.0, help="bone threshold (HU)")
    segment.add_argument("--force", action="store_true", help="replace existing outputs")
    segment.add_argument("--json", action="store_true", help="machine-readable summary")
    segment.set_defaults(run=run_segment)

    simulate = actions.add_parser(
        "simulate", help="cone-beam projections of a phantom (water, mouse, shepp-logan)"
    )
    simulate.add_argument(
        "phantom",
        choices=["water", "mouse", "shepp-logan"],
        help="water (Ø 25 × 40 mm cylinder), mouse (the digital mouse), shepp-logan (3-D)",
    )
    _geometry_option(simulate)
    _spectrum_options(simulate, "polychromatic; default monochromatic")
    simulate.add_argument(
        "--photons", type=float, help="photons per pixel per view (noise; default none)"
    )
    simulate.add_argument("--seed", type=int, default=0, help="seed of the noise")
    simulate.add_argument(
        "-o",
        "--output",
        required=True,
        help="projections .npy (with --photons also NAME-flat.npy and NAME-dark.npy)",
    )
    simulate.add_argument("--force", action="store_true", help="replace existing outputs")
    simulate.set_defaults(run=run_simulate)


def _geometry(text: str) -> Any:
    from positrix.geometry.cone_beam import get_ct_geometry, load_ct_geometry

    path = Path(text)
    return load_ct_geometry(path) if path.suffix.lower() == ".toml" else get_ct_geometry(text)


def _spectrum(args: argparse.Namespace) -> Any:
    from positrix.physics.xray import kramers_spectrum

    return None if args.kvp is None else kramers_spectrum(args.kvp, aluminium_mm=args.aluminium_mm)


def _calibration(args: argparse.Namespace) -> Any:
    from positrix.errors import PositrixError
    from positrix.recon.ct_calibration import load_calibration

    if args.calibration and args.instrument:
        raise PositrixError("give --calibration or --instrument, not both", field="--calibration")
    if args.calibration:
        return load_calibration(args.calibration)
    if not args.instrument:
        return None
    from datetime import UTC, datetime

    from sqlalchemy.orm import Session

    from positrix.cli.facility_common import engine_of
    from positrix.facility.calibrations import ct_calibration_in_force
    from positrix.facility.schema import require_current

    engine = engine_of(args)
    require_current(engine)
    with Session(engine) as session:
        found = ct_calibration_in_force(session, instrument=args.instrument, at=datetime.now(UTC))
    if found is None:
        raise PositrixError(
            f"no CT calibration recorded for '{args.instrument}'",
            field="--instrument",
            fix="scan a water phantom and run `positrix ct calibrate … --instrument`",
        )
    return found


def run_recon(args: argparse.Namespace) -> int:
    """Read, reconstruct, write."""
    from positrix.io import planned_outputs, save
    from positrix.io.projections import read_projections
    from positrix.io.safety import check_writable
    from positrix.recon.ct_study import reconstruct_ct

    target = Path(args.output)
    check_writable(planned_outputs(target), overwrite=args.force, inputs=[Path(args.projections)])
    geometry = _geometry(args.geometry)
    calibration = _calibration(args)
    projections = read_projections(args.projections)
    flat = read_projections(args.flat) if args.flat else None
    dark: Any = None
    if args.dark is not None:
        try:
            dark = float(args.dark)
        except ValueError:
            dark = read_projections(args.dark)
    image = reconstruct_ct(
        projections,
        geometry,
        flat=flat,
        dark=dark,
        algorithm=args.algorithm,
        window=args.filter,
        spectrum=_spectrum(args),
        rings=args.rings,
        iterations=args.iterations,
        calibration=calibration,
        log=lambda line: print(line, file=sys.stderr),
    )
    written = save(image, target, overwrite=args.force)
    summary = {
        "output": str(target),
        "algorithm": args.algorithm,
        "shape": list(image.spatial_shape),
        "voxel_size_mm": round(image.voxel_size_mm[0], 6),
        "unit": image.unit,
        "files": [str(p) for p in written],
    }
    if args.json:
        print_json(summary)
    else:
        shape = " × ".join(str(n) for n in image.spatial_shape)
        print(
            f"wrote {target}: {args.algorithm.upper()}, {shape} voxels of "
            f"{image.voxel_size_mm[0]:.4g} mm, {image.unit}"
        )
    return 0


def run_calibrate(args: argparse.Namespace) -> int:
    """Measure water and air, write the TOML, record it when asked."""
    from positrix.errors import PositrixError
    from positrix.io import load
    from positrix.recon.ct_calibration import calibrate_water_air, save_calibration

    image = load(args.phantom)
    if image.unit not in ("1/mm", "unknown"):
        raise PositrixError(
            f"the phantom image is in {image.unit}, the calibration needs µ in 1/mm",
            source=args.phantom,
            field="PHANTOM",
            fix="reconstruct the phantom without --calibration",
        )
    if Path(args.output).exists():
        raise PositrixError(
            f"{args.output} exists", field="-o", fix="choose a new name (nothing is overwritten)"
        )
    calibration = calibrate_water_air(
        image.data, image.voxel_size_mm[0], margin_mm=args.margin_mm, setting=args.setting
    )
    record_id = _record(args, calibration) if args.instrument else None
    save_calibration(calibration, args.output)
    summary = {
        "output": args.output,
        "mu_water_per_mm": round(calibration.mu_water_per_mm, 6),
        "mu_air_per_mm": round(calibration.mu_air_per_mm, 6),
        "water_sd_hu": round(calibration.water_sd_hu, 1),
        "water_voxels": calibration.water_voxels,
        "air_voxels": calibration.air_voxels,
        "record": record_id,
    }
    if args.json:
        print_json(summary)
    else:
        print(
            f"water µ = {calibration.mu_water_per_mm:.5f} /mm, air µ = "
            f"{calibration.mu_air_per_mm:.1e} /mm, noise {calibration.water_sd_hu:.1f} HU "
            f"({calibration.water_voxels} water, {calibration.air_voxels} air voxels)"
        )
        print(f"wrote {args.output}" + (f"; calibration record {record_id}" if record_id else ""))
    return 0


def _record(args: argparse.Namespace, calibration: Any) -> int:
    from datetime import UTC, datetime

    from positrix.cli.facility_common import when, work
    from positrix.facility.calibrations import record_ct_calibration

    measured = when(args.measured_at, "--measured-at") if args.measured_at else datetime.now(UTC)
    return int(
        work(
            args,
            lambda s, a: (
                record_ct_calibration(
                    s, a, instrument=args.instrument, calibration=calibration, measured_at=measured
                ).id
            ),
        )
    )


def run_segment(args: argparse.Namespace) -> int:
    """Segment, write labels (and the µ-map)."""
    import numpy as np

    from positrix.errors import PositrixError
    from positrix.image.grid import Grid
    from positrix.io import load, planned_outputs, save
    from positrix.io.safety import check_writable
    from positrix.quant.ct_segmentation import CT_LABELS, segment_ct
    from positrix.quant.label_image import LabelImage
    from positrix.quant.labels import save_labels
    from positrix.recon.corrections.attenuation import hu_to_mu

    ct = load(args.ct)
    if ct.unit != "HU":
        raise PositrixError(
            f"the CT is in {ct.unit}, segmentation needs HU",
            source=args.ct,
            field="CT",
            fix="reconstruct with --calibration (positrix ct calibrate)",
        )
    if args.mu_map:
        check_writable(planned_outputs(Path(args.mu_map)), overwrite=args.force)
    result = segment_ct(ct.data, ct.voxel_size_mm, body_hu=args.body_hu, bone_hu=args.bone_hu)
    grid = Grid(ct.spatial_shape, ct.affine)
    written = save_labels(
        LabelImage(result.labels, grid, dict(CT_LABELS)),
        args.output,
        overwrite=args.force,
        like=ct,
    )
    if args.mu_map:
        mu = np.where(result.body, hu_to_mu(ct.data, kvp=args.kvp), 0.0).astype(np.float32)
        written += save(
            ct.replace(data=mu, unit="1/mm", modality="OT", description="µ-map 511 keV"),
            Path(args.mu_map),
            overwrite=args.force,
        )
    volumes = {k: round(v, 3) for k, v in result.volumes_ml.items()}
    files = [str(p) for p in written]
    if args.json:
        print_json({"volumes_ml": volumes, "files": files})
    else:
        for name, volume in volumes.items():
            print(f"{name:<12} {volume:8.3f} mL")
        print("wrote " + ", ".join(files))
    return 0


def run_simulate(args: argparse.Namespace) -> int:
    """Phantom → projections (.npy)."""
    import numpy as np

    from positrix.errors import PositrixError
    from positrix.io.safety import check_writable
    from positrix.simulation.cone_beam_ct import simulate_cone_beam
    from positrix.simulation.ct_phantoms import ct_phantom

    geometry = _geometry(args.geometry)
    target = Path(args.output)
    if target.suffix != ".npy":
        raise PositrixError(
            f"{target}: projections are written as NumPy arrays", field="-o", fix="name it *.npy"
        )
    stem = target.with_suffix("")
    extra = [Path(f"{stem}-flat.npy"), Path(f"{stem}-dark.npy")] if args.photons else []
    check_writable([target, *extra], overwrite=args.force)
    shape, voxel = geometry.grid()
    hu = ct_phantom(args.phantom, shape, voxel)
    data = simulate_cone_beam(
        hu,
        voxel,
        geometry,
        spectrum=_spectrum(args),
        photons_per_pixel=args.photons,
        seed=args.seed,
    )
    np.save(target, data.projections)
    if data.flat is not None and data.dark is not None:
        np.save(extra[0], data.flat)
        np.save(extra[1], data.dark)
    kind = "raw counts" if args.photons else "line integrals"
    dims = " × ".join(str(n) for n in data.projections.shape)
    print(f"wrote {', '.join(str(p) for p in [target, *extra])}: {dims} {kind}")
    return 0
