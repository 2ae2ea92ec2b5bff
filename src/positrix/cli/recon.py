"""``positrix recon EVENTS.npz -o OUT``: list-mode events → calibrated image (Bq/mL)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np

from positrix.cli.output import print_json
from positrix.errors import PositrixError

__all__ = ["add_parser"]


def add_parser(subparsers: Any) -> None:
    """Register ``positrix recon``."""
    parser = subparsers.add_parser(
        "recon", help="reconstruct list-mode events into a calibrated image (Bq/mL)"
    )
    parser.add_argument(
        "input",
        help="list-mode events (PETSIRD .petsird/.bin or .npz) or an Interfile sinogram (.hs)",
    )
    parser.add_argument("-o", "--output", required=True, help="output image (.nii.gz, folder…)")
    parser.add_argument("--scanner", help="built-in scanner or TOML file (default: the file's)")
    parser.add_argument(
        "--algorithm",
        default="osem",
        choices=["osem", "lm-osem", "mlem", "map-rdp", "fbp"],
        help="reconstruction algorithm",
    )
    parser.add_argument("--iterations", type=int, default=3, help="iterations (≥ 1)")
    parser.add_argument("--subsets", type=int, default=8, help="ordered subsets (≥ 1)")
    parser.add_argument("--span", type=int, default=3, help="axial compression (odd)")
    parser.add_argument("--psf-fwhm-mm", type=float, help="resolution model in the loop (mm)")
    parser.add_argument(
        "--positron-range",
        action="store_true",
        help="model the nuclide's positron range in the loop",
    )
    parser.add_argument("--post-filter-mm", type=float, help="Gaussian post-filter FWHM (mm)")
    parser.add_argument("--beta", type=float, default=0.5, help="RDP strength (map-rdp)")
    parser.add_argument("--mu-map", help="µ-map on the reconstruction grid (1/cm, 1/mm or HU)")
    parser.add_argument(
        "--ct-kvp", type=float, help="tube voltage of an HU µ-map (default: the CT's KVP)"
    )
    parser.add_argument("--norm", help="normalisation .npz (efficiencies, radial)")
    parser.add_argument("--no-scatter", action="store_true", help="skip scatter correction")
    parser.add_argument("--frames", help='frame list, e.g. "10x10s,6x30s,5x5min"')
    parser.add_argument(
        "--calibration",
        type=float,
        help="counts/s per Bq/mL·mm (default: the scanner's nominal value)",
    )
    parser.add_argument("--randoms", help="expected randoms sinogram (.hs) for a .hs input")
    parser.add_argument(
        "--delayeds",
        help="delayed-coincidence sinogram (.hs) for a .hs input: randoms by variance reduction",
    )
    parser.add_argument("--nuclide", help="nuclide of a .hs input without 'isotope name'")
    parser.add_argument("--duration-s", type=float, help="frame duration of a .hs input (s)")
    parser.add_argument("--start", help="acquisition start of a .hs input (ISO 8601), for decay")
    parser.add_argument("--force", action="store_true", help="replace existing output files")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(run=run)


def _scanner(args: argparse.Namespace, from_file: str):
    from positrix.geometry import get_scanner, load_scanner

    if args.scanner is None:
        return get_scanner(from_file)
    if args.scanner.endswith(".toml"):
        return load_scanner(args.scanner)
    scanner = get_scanner(args.scanner)
    if scanner.name != from_file.strip().lower():
        raise PositrixError(
            f"the events come from scanner '{from_file}', not '{args.scanner}'",
            source=args.input,
            field="--scanner",
            fix="leave --scanner out",
        )
    return scanner


def _mu_map(path: str, kvp: float | None, scanner):
    from positrix.io import load
    from positrix.recon.corrections.attenuation import hu_to_mu
    from positrix.recon.reconstruct import default_grid, grid_affine

    image = load(path)
    shape, voxel = default_grid(scanner)
    expected = grid_affine(shape, voxel)
    if image.data.shape[:3] != shape or not np.allclose(image.affine, expected, atol=1e-3):
        raise PositrixError(
            f"µ-map grid {image.data.shape[:3]} with voxels {image.voxel_size_mm} mm differs from "
            f"the reconstruction grid {shape} of {voxel[0]:g} mm centred on the scanner",
            source=path,
            field="--mu-map",
            fix="resample the µ-map onto the reconstruction grid (same size, voxels, origin)",
        )
    unit = image.unit.strip().lower().replace("cm-1", "1/cm").replace("mm-1", "1/mm")
    data = np.asarray(image.data, dtype=np.float32)
    if unit == "1/cm":
        return data / 10.0
    if unit == "1/mm":
        return data
    if unit == "hu":
        recorded = image.metadata.get("KVP")
        if kvp is None and recorded not in (None, ""):
            kvp = float(recorded)
        if kvp is None:
            raise PositrixError(
                "an HU µ-map needs the CT tube voltage",
                source=path,
                field="--ct-kvp",
                fix="add --ct-kvp 80 (or 100 … 140); the CT's KVP field is empty",
            )
        return hu_to_mu(data, kvp=kvp)
    raise PositrixError(
        f"µ-map unit '{image.unit}' is not 1/cm, 1/mm or HU",
        source=path,
        field="unit",
        fix="convert the µ-map to 1/cm at 511 keV",
    )


def _normalisation(path: str):
    from positrix.recon.corrections.normalisation import Normalisation

    try:
        with np.load(path) as archive:
            return Normalisation(
                np.asarray(archive["efficiencies"], np.float64),
                np.asarray(archive["radial"], np.float64),
            )
    except (OSError, KeyError, ValueError) as err:
        raise PositrixError(
            f"cannot read the normalisation ({err})",
            source=path,
            field="efficiencies/radial",
            fix="save it with numpy.savez(path, efficiencies=…, radial=…)",
        ) from None


def _randoms(args: argparse.Namespace, scanner: Any, shape: tuple[int, ...]):
    """Expected randoms from --randoms, or smoothed from --delayeds (crystal-factor fit)."""
    from positrix.io.interfile_sinogram import read_sinogram
    from positrix.recon.corrections.crystal_pairs import crystal_pair_sinogram, fit_crystal_factors

    if args.randoms and args.delayeds:
        raise PositrixError(
            "give --randoms or --delayeds, not both", field="--delayeds", fix="drop one"
        )
    path = args.randoms or args.delayeds
    if not path:
        return None
    sino = read_sinogram(path, scanner)
    if sino.data.shape != shape:
        raise PositrixError(
            "the randoms sinogram has another layout",
            source=path,
            field="--delayeds" if args.delayeds else "--randoms",
            fix="bin randoms like the prompts",
        )
    if args.randoms:
        return sino.data
    return crystal_pair_sinogram(sino.layout, fit_crystal_factors(sino.layout, sino.data))


def _from_sinogram(args: argparse.Namespace, options: Any, log: Any):
    from positrix.geometry import get_scanner, load_scanner
    from positrix.io.interfile import parse_interfile_header
    from positrix.io.interfile_sinogram import read_sinogram
    from positrix.physics.units import parse_iso_datetime
    from positrix.recon.study import reconstruct_sinogram

    if args.scanner is None:
        name = parse_interfile_header(Path(args.input)).get("scanner type")
        if not isinstance(name, str) or not name.strip():
            raise PositrixError(
                "the sinogram header names no scanner",
                source=args.input,
                field="--scanner",
                fix="give --scanner",
            )
        scanner = get_scanner(name)
    else:
        scanner = (
            load_scanner(args.scanner)
            if args.scanner.endswith(".toml")
            else get_scanner(args.scanner)
        )
    sino = read_sinogram(args.input, scanner)
    randoms = _randoms(args, scanner, sino.data.shape)
    nuclide = args.nuclide or sino.nuclide
    duration = args.duration_s or sino.duration_s
    if nuclide is None or duration is None:
        raise PositrixError(
            "the sinogram header gives no isotope name or image duration",
            source=args.input,
            field="--nuclide/--duration-s",
            fix="add --nuclide F-18 --duration-s 600",
        )
    mu = _mu_map(args.mu_map, args.ct_kvp, scanner) if args.mu_map else None
    norm = _normalisation(args.norm) if args.norm else None
    image = reconstruct_sinogram(
        sino.layout,
        sino.data,
        options=options,
        duration_s=duration,
        nuclide=nuclide,
        acquisition_start=parse_iso_datetime(args.start, field="--start", require_offset=True),
        randoms=randoms,
        mu_per_mm=mu,
        normalisation=norm,
        log=log,
    )
    return image, scanner, int(sino.data.sum()), 0


def _read_listmode(args: argparse.Namespace):
    """Events from a PETSIRD file (``.petsird``/``.bin``) or a Positrix ``.npz``."""
    from positrix.io.events import read_events
    from positrix.io.petsird import read_petsird

    suffix = Path(args.input).suffix.lower()
    if suffix not in (".petsird", ".bin", ".npz"):
        raise PositrixError(
            f"recon reads list-mode or sinogram data, and '{Path(args.input).name}' is neither",
            source=args.input,
            field="input",
            fix="give list-mode events (.npz, PETSIRD .petsird/.bin) or an Interfile sinogram "
            "(.hs); an image (.hv, .nii) is already reconstructed",
        )
    if suffix in (".petsird", ".bin"):
        given = None
        if args.scanner is not None and args.scanner.endswith(".toml"):
            from positrix.geometry import load_scanner

            given = load_scanner(args.scanner)
        return read_petsird(args.input, scanner=given)
    return read_events(args.input)


#: Options that must be ≥ 1, > 0 or ≥ 0 when given: checked before any work.
_AT_LEAST_ONE = ("iterations", "subsets", "span")
_POSITIVE = ("psf_fwhm_mm", "post_filter_mm", "calibration", "duration_s")
_NON_NEGATIVE = ("beta",)


def _check_options(args: argparse.Namespace) -> None:
    """Refuse nonsense options before reading or reconstructing anything."""
    import math

    def refuse(name: str, bound: str) -> None:
        flag = "--" + name.replace("_", "-")
        raise PositrixError(
            f"{flag} is {getattr(args, name)}; it must be {bound}",
            field=flag,
            fix=f"give {flag} {bound}",
        )

    for name in _AT_LEAST_ONE:
        if getattr(args, name) < 1:
            refuse(name, "≥ 1")
    if args.span % 2 == 0:
        refuse("span", "odd (1, 3, 5 …)")
    for name in _POSITIVE:
        value = getattr(args, name)
        if value is not None and not (math.isfinite(value) and value > 0):
            refuse(name, "> 0")
    for name in _NON_NEGATIVE:
        value = getattr(args, name)
        if not (math.isfinite(value) and value >= 0):
            refuse(name, "≥ 0")
    if args.ct_kvp is not None and not 20 <= args.ct_kvp <= 200:
        refuse("ct_kvp", "a tube voltage between 20 and 200 kV")
    if args.frames:
        from positrix.image.frames import FrameTable

        FrameTable.from_spec(args.frames)


def run(args: argparse.Namespace) -> int:
    """Reconstruct list-mode or sinogram data into Bq/mL; every option checked first."""
    from positrix.io import planned_outputs, save
    from positrix.io.safety import check_writable
    from positrix.recon.study import ReconOptions, reconstruct_events

    target = Path(args.output)
    given = [args.input, args.mu_map, args.norm, args.randoms, args.delayeds]
    inputs = [Path(p) for p in given if p]
    inputs += [p.with_suffix(".s") for p in inputs if p.suffix == ".hs"]
    check_writable(planned_outputs(target), overwrite=args.force, inputs=inputs)
    _check_options(args)
    options = ReconOptions(
        algorithm=args.algorithm,
        iterations=args.iterations,
        subsets=args.subsets,
        span=args.span,
        psf_fwhm_mm=args.psf_fwhm_mm,
        positron_range=args.positron_range,
        post_filter_fwhm_mm=args.post_filter_mm,
        beta=args.beta,
        frames=args.frames,
        calibration=args.calibration,
        scatter=not args.no_scatter,
    )

    def log(line: str) -> None:
        print(line, file=sys.stderr)

    if args.input.endswith(".hs"):
        image, scanner, prompts, delayeds = _from_sinogram(args, options, log)
    else:
        for option in ("randoms", "delayeds", "nuclide", "duration_s", "start"):
            if getattr(args, option):
                flag = "--" + option.replace("_", "-")
                raise PositrixError(
                    f"{flag} is for a .hs sinogram; list-mode files carry their own",
                    source=args.input,
                    field=flag,
                    fix=f"leave {flag} out",
                )
        events = _read_listmode(args)
        scanner = _scanner(args, events.scanner)
        mu = _mu_map(args.mu_map, args.ct_kvp, scanner) if args.mu_map else None
        norm = _normalisation(args.norm) if args.norm else None
        image = reconstruct_events(
            events, scanner, options=options, mu_per_mm=mu, normalisation=norm, log=log
        )
        prompts, delayeds = int(np.sum(events.prompt)), int(np.sum(~events.prompt))
    save(image, target, overwrite=args.force)
    data = np.asarray(image.data, dtype=np.float64)
    frames = data if data.ndim == 4 else data[..., None]
    summary = {
        "output": str(target),
        "scanner": scanner.name,
        "algorithm": args.algorithm,
        "shape": list(data.shape[:3]),
        "voxel_size_mm": [round(v, 4) for v in image.voxel_size_mm],
        "unit": image.unit,
        "frames": image.frames.n_frames if image.frames else 1,
        "corrections": image.metadata.get("corrections", ""),
        "prompts": prompts,
        "delayeds": delayeds,
        "max_bq_ml": [round(float(f.max()), 1) for f in np.moveaxis(frames, -1, 0)],
    }
    if args.json:
        print_json(summary)
    else:
        print(
            f"wrote {target}: {summary['shape']} voxels of {summary['voxel_size_mm'][0]} mm, "
            f"{summary['frames']} frame(s), Bq/mL; corrections: {summary['corrections']}"
        )
    return 0
