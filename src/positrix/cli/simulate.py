"""``positrix simulate PHANTOM -o OUT``: phantom → sinograms or list-mode, truth and CT."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from positrix.cli.output import print_json

__all__ = ["add_parser"]


def add_parser(subparsers: Any) -> None:
    """Register ``positrix simulate``."""
    from positrix.simulation.scan import PHANTOMS

    parser = subparsers.add_parser(
        "simulate", help="simulate a phantom scan: sinograms or list-mode with known truth"
    )
    parser.add_argument("phantom", choices=PHANTOMS, metavar="PHANTOM", help=", ".join(PHANTOMS))
    parser.add_argument("-o", "--output", required=True, help="output folder (created)")
    parser.add_argument("--scanner", default="inveon", help="built-in scanner or TOML file")
    parser.add_argument("--nuclide", default="F-18", help="nuclide of the activity")
    parser.add_argument(
        "--activity",
        default="3.7MBq",
        help="activity in the phantom at the scan start (digital mouse: injected)",
    )
    parser.add_argument("--duration", default="20min", help="scan duration, e.g. 20min")
    parser.add_argument("--frames", help='dynamic frames, e.g. "6x30s,4x5min" (replace --duration)')
    parser.add_argument(
        "--start", default="0s", help="scan start after injection (digital mouse), e.g. 50min"
    )
    parser.add_argument("--tracer", default="fdg", help="digital-mouse uptake preset (fdg, naf)")
    parser.add_argument("--listmode", action="store_true", help="write list-mode (PETSIRD)")
    parser.add_argument("--span", type=int, default=3, help="sinogram span (list-mode: 1)")
    parser.add_argument("--refine", type=int, default=2, help="simulation grid refinement")
    parser.add_argument(
        "--no-scatter", action="store_true", help="simulate no scattered coincidences"
    )
    parser.add_argument("--no-randoms", action="store_true", help="simulate no random coincidences")
    parser.add_argument("--dead-time-ns", type=float, help="paralysable dead time per event")
    parser.add_argument(
        "--ct-dose-mgy", type=float, default=100.0, help="CT dose (mGy): sets the CT noise"
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (same seed, same data)")
    parser.add_argument("--force", action="store_true", help="replace existing output files")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(run=run)


#: Reference time of simulated data: the scan start of a phantom, the injection of the mouse.
REFERENCE = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
#: Tube voltage of the simulated CT (its HU follow the 80 kVp HU → µ conversion); recorded in
#: the CT's sidecar so that ``recon --mu-map ct.nii.gz`` needs no ``--ct-kvp``.
CT_KVP = 80.0


def _frames(args: argparse.Namespace):
    from positrix.errors import PositrixError
    from positrix.image.frames import FrameTable
    from positrix.physics.units import parse_duration

    start = 0.0 if args.start in ("0", "0s") else parse_duration(args.start, field="--start")
    if start and args.phantom != "digital-mouse":
        raise PositrixError(
            "--start is the delay after injection of the digital mouse; a phantom's --activity "
            "is already its activity at the scan start",
            field="--start",
            fix="leave --start out",
        )
    if args.frames:
        table = FrameTable.from_spec(args.frames)
    else:
        table = FrameTable.from_durations([parse_duration(args.duration, field="--duration")])
    return FrameTable(table.start_s + start, table.duration_s, REFERENCE)


def run(args: argparse.Namespace) -> int:
    """Simulate a phantom scan and write its data, truth, CT and labels."""
    from tqdm import tqdm

    from positrix.errors import PositrixError
    from positrix.geometry.scanner import scanner_by_name_or_file
    from positrix.physics.nuclides import get_nuclide
    from positrix.physics.units import parse_activity
    from positrix.simulation.scan import make_phantom, simulate_scan

    out = Path(args.output)
    if out.exists() and not out.is_dir():
        raise PositrixError("the output exists and is not a folder", source=out, field="-o")
    if args.refine < 1:
        raise PositrixError("--refine must be ≥ 1", field="--refine", fix="e.g. --refine 2")
    if not args.ct_dose_mgy > 0:
        raise PositrixError(
            f"--ct-dose-mgy is {args.ct_dose_mgy}; a CT dose must be > 0 mGy",
            field="--ct-dose-mgy",
            fix="e.g. --ct-dose-mgy 100",
        )
    if args.dead_time_ns is not None and not args.dead_time_ns >= 0:
        raise PositrixError(
            f"--dead-time-ns is {args.dead_time_ns}; it must be ≥ 0",
            field="--dead-time-ns",
            fix="e.g. --dead-time-ns 200",
        )
    if args.span < 1 or args.span % 2 == 0:
        raise PositrixError(
            f"--span is {args.span}; it must be odd and ≥ 1", field="--span", fix="e.g. --span 3"
        )
    if out.exists() and any(out.iterdir()) and not args.force:
        raise PositrixError(
            "the output folder is not empty", source=out, field="-o", fix="add --force"
        )
    scanner = scanner_by_name_or_file(args.scanner)
    frames = _frames(args)
    activity_bq = parse_activity(args.activity, field="--activity")
    get_nuclide(args.nuclide)  # an unknown nuclide is refused before any work
    span = 1 if args.listmode else args.span
    with tqdm(total=frames.n_frames, desc="simulate", unit="frame") as bar:
        scan = simulate_scan(
            make_phantom(args.phantom),
            scanner,
            nuclide=args.nuclide,
            activity_bq=activity_bq,
            frames=frames,
            span=span,
            refine=args.refine,
            tracer=args.tracer,
            ct_dose_mgy=args.ct_dose_mgy,
            scatter=not args.no_scatter,
            randoms=not args.no_randoms,
            dead_time_s=args.dead_time_ns * 1e-9 if args.dead_time_ns else None,
            seed=args.seed,
            progress=lambda done, total: bar.update(1),
        )
    out.mkdir(parents=True, exist_ok=True)
    files = _write(scan, out, args, activity_bq)
    files.append("simulation.json")
    summary = _summary(scan, args, files)
    (out / "simulation.json").write_text(json.dumps(summary, indent=1))
    if args.json:
        print_json(summary)
    else:
        prompts = sum(summary["prompts"])
        print(
            f"wrote {out}: {len(files)} files, {prompts:.4g} prompts in {frames.n_frames} frame(s)"
        )
    return 0


def _write(scan, out: Path, args: argparse.Namespace, activity_bq: float) -> list[str]:
    """Write the truth, CT, labels and the data; returns every file name written."""
    from positrix.image.image import Image
    from positrix.image.subject import Subject
    from positrix.io import save
    from positrix.io.interfile_sinogram import write_sinogram
    from positrix.physics.injection import Injection
    from positrix.physics.nuclides import get_nuclide
    from positrix.recon.reconstruct import grid_affine

    files: list[str] = []
    subject = Subject(id=f"simulated {args.phantom}", species="phantom")
    injection = Injection(
        nuclide=get_nuclide(args.nuclide),
        tracer=args.tracer if args.phantom == "digital-mouse" else None,
        injection_time=REFERENCE,
        activity_before_bq=activity_bq,
        activity_before_time=REFERENCE,
    )
    affine = grid_affine(scan.truth.activity_bq_ml.shape, scan.truth.affine.diagonal()[:3])
    truth = scan.truth_frames if scan.frames.n_frames > 1 else scan.truth_frames[..., 0]
    for name, data, unit, modality in (
        ("truth.nii.gz", truth, "Bq/mL", "PT"),
        ("ct.nii.gz", scan.ct_hu, "HU", "CT"),
        ("labels.nii.gz", scan.truth.labels.astype(np.float32), "label", "OT"),
    ):
        frames = scan.frames if name == "truth.nii.gz" else None
        reference = REFERENCE if name == "truth.nii.gz" else None
        image = Image(
            data,
            affine,
            unit=unit,
            frames=frames,
            decay_reference=reference,
            modality=modality,
            subject=subject,
            injection=injection if modality == "PT" else None,
            metadata={"KVP": CT_KVP} if modality == "CT" else {},
        )
        files += [p.name for p in save(image, out / name, overwrite=args.force)]
    if args.listmode:
        files.append(_write_events(scan, out, args))
        return files
    for n, frame in enumerate(scan.acquisition):
        suffix = "" if len(scan.acquisition) == 1 else f"_f{n + 1:02d}"
        for kind in ("prompts", "delayeds"):
            name = f"{kind}{suffix}.hs"
            written = write_sinogram(
                out / name,
                scan.layout,
                getattr(frame.sinograms, kind),
                duration_s=frame.duration_s,
                nuclide=args.nuclide,
                overwrite=args.force,
            )
            files += [p.name for p in written]
    return files


def _write_events(scan, out: Path, args: argparse.Namespace) -> str:
    from positrix.simulation.acquisition import events_from_frames

    start = REFERENCE + timedelta(seconds=float(scan.frames.start_s[0]))
    events = events_from_frames(
        scan.layout, scan.acquisition, nuclide=args.nuclide, acquisition_start=start
    )
    try:
        from positrix.io.petsird import write_petsird
    except ImportError:  # pragma: no cover - PETSIRD support is part of the package
        from positrix.io.events import write_events

        write_events(out / "events.npz", events, overwrite=args.force)
        return "events.npz"
    write_petsird(out / "events.petsird", events, scanner=scan.layout.scanner, overwrite=args.force)
    return "events.petsird"


def _summary(scan, args: argparse.Namespace, files: list[str]) -> dict[str, Any]:
    sino = [f.sinograms for f in scan.acquisition]
    trues = [float(s.trues.sum()) for s in sino]
    return {
        "phantom": args.phantom,
        "scanner": scan.layout.scanner.name,
        "nuclide": args.nuclide,
        "activity": args.activity,
        "frames": {
            "start_s": scan.frames.start_s.tolist(),
            "duration_s": scan.frames.duration_s.tolist(),
        },
        "span": scan.layout.span,
        "reference_time": REFERENCE.isoformat(),
        "frame_start_times": [
            (REFERENCE + timedelta(seconds=float(s))).isoformat() for s in scan.frames.start_s
        ],
        "live_fraction": [f.mean_live_fraction for f in scan.acquisition],
        "files": files,
        "prompts": [float(s.prompts.sum()) for s in sino],
        "delayeds": [float(s.delayeds.sum()) for s in sino],
        "trues_expected": trues,
        "scatter_fraction": [
            float(s.scatter.sum()) / max(float(s.scatter.sum()) + t, 1e-30)
            for s, t in zip(sino, trues, strict=True)
        ],
        "randoms_fraction": [
            float(s.randoms.sum()) / max(float(s.prompts.sum()), 1e-30) for s in sino
        ],
        "region_truth_bq_ml": scan.region_truth,
        "label_names": list(scan.truth.label_names),
        "ct_kvp": CT_KVP,
    }
