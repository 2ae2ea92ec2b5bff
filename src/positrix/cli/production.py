"""``positrix yield`` (cyclotron production) and ``positrix stopping`` (stopping powers)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from positrix.cli.output import print_json, print_table

__all__ = ["add_parsers"]


def add_parsers(subparsers: Any) -> None:
    """Register ``positrix yield`` and ``positrix stopping``."""
    produce = subparsers.add_parser(
        "yield",
        help="thick-target yield, EOB activity and impurities of a cyclotron reaction",
        description="Saturation, physical and 1-h yields and the EOB activity of one "
        "reaction in its target, from evaluated cross sections (IAEA recommended, else "
        "TENDL-2025; named in the output) and PSTAR-based stopping powers, with every "
        "other radionuclide the target makes and the radionuclidic purity.",
    )
    produce.add_argument("--reaction", required=True, help="e.g. 18O(p,n)18F, 68Zn(p,n)68Ga")
    produce.add_argument(
        "--energy",
        required=True,
        help="beam energy in MeV: IN (the beam stops in the target) or IN:OUT",
    )
    produce.add_argument("--current", default="1uA", help="beam current (default 1uA)")
    produce.add_argument("--time", default="1h", help="irradiation time (default 1h)")
    produce.add_argument(
        "--beam-log",
        metavar="CSV",
        help="logged beam current instead of --current/--time: columns duration_s, "
        "current_uA, in time order",
    )
    produce.add_argument("--target", help="target material (default: the reaction's usual)")
    produce.add_argument(
        "--enrichment",
        type=float,
        default=1.0,
        help="atom fraction of the target isotope in its element (default 1)",
    )
    produce.add_argument(
        "--thickness", help="target thickness (mm, µm, or g/cm2) instead of an exit energy"
    )
    produce.add_argument(
        "--degrader",
        action="append",
        default=[],
        metavar="MATERIAL:THICKNESS",
        help="a foil or window before the target, e.g. havar:25um (repeatable, in beam order)",
    )
    produce.add_argument(
        "--purity-limit",
        type=float,
        help="radionuclidic purity limit: when it is crossed after EOB (default 0.98 for "
        "Ga-68, the Ph. Eur. limit for accelerator-produced gallium chloride)",
    )
    produce.add_argument("--plot", help="σ(E) and thick-target yield vs energy (.png/.pdf/.svg)")
    produce.add_argument("--force", action="store_true", help="replace an existing plot")
    produce.add_argument("--json", action="store_true", help="machine-readable output")
    produce.set_defaults(run=run_yield)

    stopping = subparsers.add_parser(
        "stopping",
        help="mass stopping power and CSDA range of protons or α particles",
        description="Electronic mass stopping power (MeV cm²/g, PSTAR-based; compounds by "
        "Bragg additivity with the condensed-phase mean excitation energy where published) "
        "and the continuous-slowing-down range.",
    )
    stopping.add_argument("--particle", default="p", choices=["p", "alpha"], help="particle")
    stopping.add_argument("--material", required=True, help="e.g. water, Zn, H2[18O], havar")
    stopping.add_argument("--energy", required=True, type=float, help="kinetic energy (MeV)")
    stopping.add_argument("--json", action="store_true", help="machine-readable output")
    stopping.set_defaults(run=run_stopping)


def _energies(text: str) -> tuple[float, float | None]:
    from positrix.errors import PositrixError

    try:
        parts = [float(p) for p in text.split(":")]
    except ValueError:
        parts = []
    if len(parts) not in (1, 2) or any(not p > 0 for p in parts):
        raise PositrixError(
            f"cannot read the energy '{text}'",
            field="--energy",
            fix="give MeV as IN or IN:OUT, e.g. 16.5 or 16.5:3",
        )
    return parts[0], (parts[1] if len(parts) == 2 else None)


def _areal(text: str, material: Any, field: str) -> float:
    """g/cm² from ``text`` (a length with the material's density, or g/cm2)."""
    from positrix.errors import PositrixError
    from positrix.physics.units import parse_length

    stripped = text.strip().replace(" ", "")
    for suffix in ("g/cm2", "g/cm²", "gcm-2"):
        if stripped.endswith(suffix):
            try:
                value = float(stripped[: -len(suffix)])
            except ValueError:
                break
            if value > 0:
                return value
    if material.density_g_cm3 is None:
        raise PositrixError(
            f"{material.name} has no known density",
            field=field,
            fix="give the thickness in g/cm2",
        )
    return parse_length(text, field=field) / 10.0 * material.density_g_cm3


def _beam_log(path: str) -> list[tuple[float, float]]:
    from positrix.errors import FileFormatError
    from positrix.quant.biodist import read_table

    rows = read_table(path)
    history = []
    for line, row in enumerate(rows, start=2):
        try:
            history.append((float(row["duration_s"]), float(row["current_uA"])))
        except (KeyError, ValueError):
            raise FileFormatError(
                f"line {line}: duration_s and current_uA must be numbers",
                source=path,
                field="duration_s/current_uA",
                fix="one row per interval, in time order",
            ) from None
    return history


def run_yield(args: argparse.Namespace) -> int:
    """Compute, print (text or JSON), plot."""
    from positrix.physics.materials import get_material
    from positrix.physics.production import (
        PURITY_LIMITS,
        Layer,
        target_material,
        thick_target_yield,
    )
    from positrix.physics.units import parse_duration, parse_quantity

    if args.plot:
        from positrix.io.safety import PLOT_SUFFIXES, check_suffix, check_writable

        check_suffix(args.plot, PLOT_SUFFIXES, field="--plot")
        check_writable([Path(args.plot)], overwrite=args.force)
    energy_in, energy_out = _energies(args.energy)
    degraders = []
    for spec in args.degrader:
        name, _, thickness = spec.rpartition(":")
        material = get_material(name or spec)
        degraders.append(Layer(material, _areal(thickness, material, "--degrader")))
    thickness = None
    if args.thickness:
        material = target_material(args.reaction, args.target, args.enrichment)
        thickness = _areal(args.thickness, material, "--thickness")
    beam = _beam_log(args.beam_log) if args.beam_log else None
    result = thick_target_yield(
        args.reaction,
        energy_in,
        exit_energy_mev=energy_out,
        thickness_g_cm2=thickness,
        target=args.target,
        enrichment=args.enrichment,
        current_ua=parse_quantity(args.current, "current", field="--current"),
        irradiation_s=parse_duration(args.time, field="--time"),
        beam=beam,
        degraders=degraders,
    )
    limit = args.purity_limit
    if limit is None:
        limit = PURITY_LIMITS.get(result.product.nuclide)
    out = result.to_dict()
    if limit is not None:
        below = result.purity_falls_below(limit)
        out["purity_limit"] = limit
        out["purity_below_limit_after_h"] = None if below is None else below / 3600.0
    out["purity_after_h"] = {f"{h:g}": result.purity(h * 3600.0) for h in (0, 1, 2, 4, 8, 24)}
    if args.plot:
        _plot(result, Path(args.plot))
    if args.json:
        print_json(out)
        return 0
    _print(result, out)
    return 0


def _print(result: Any, out: dict[str, Any]) -> None:
    product = result.product
    rows = [
        ("reaction", f"{out['reaction']} in {out['target']} (enrichment {out['enrichment']:g})"),
        ("energy on target",
         f"{out['entrance_energy_MeV']:.3f} → {out['exit_energy_MeV']:.3f} MeV"),
        ("cross sections", ", ".join(product.libraries)),
        ("half-life", f"{product.half_life_s:g} s [{product.half_life_dataset}]"),
        ("saturation yield", f"{out['saturation_yield_GBq_per_uA']:.4g} GBq/µA"),
        ("physical yield", f"{out['physical_yield_GBq_per_uAh']:.4g} GBq/µAh"),
        ("1-h yield", f"{out['yield_1h_GBq_per_uAh']:.4g} GBq/µAh"),
        ("EOB activity", f"{out['eob_activity_GBq']:.4g} GBq after {out['charge_uAh']:.4g} µAh"),
        ("radionuclidic purity at EOB", f"{100 * out['radionuclidic_purity_eob']:.3f} %"),
    ]  # fmt: skip
    if "purity_limit" in out:
        after = out["purity_below_limit_after_h"]
        rows.append(
            (f"purity < {100 * out['purity_limit']:g} %",
             "never within 30 d" if after is None else f"{after:.3g} h after EOB")
        )  # fmt: skip
    for impurity in result.impurities:
        tag = "" if impurity.element == product.element else " (other element)"
        rows.append(
            (f"  {impurity.nuclide}{tag}",
             f"{impurity.eob_activity_GBq:.4g} GBq at EOB, "
             f"{impurity.saturation_yield_GBq_per_uA:.3g} GBq/µA sat.")
        )  # fmt: skip
    print_table(rows)


def _plot(result: Any, path: Path) -> None:
    import numpy as np

    from positrix.figures import pyplot
    from positrix.physics.cross_sections import get_channel, parse_reaction
    from positrix.physics.production import yield_curve

    plt = pyplot()
    parsed = parse_reaction(result.reaction)
    channel = get_channel(parsed.target, parsed.product)
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot(channel.energy_mev, channel.sigma_mb, "o-", markersize=3)
    left.set_xlabel("proton energy (MeV)")
    left.set_ylabel("σ (mb)")
    left.set_title(f"{result.reaction} ({channel.library})")
    top = result.entrance_energy_MeV
    energies = np.linspace(max(float(channel.energy_mev[0]), 0.5), top, 100)
    curve = yield_curve(
        result.reaction, energies, target=result.target, enrichment=result.enrichment
    )
    right.plot(energies, curve)
    right.set_xlabel("energy on target (MeV), beam stopped")
    right.set_ylabel("saturation yield (GBq/µA)")
    right.set_title(f"thick-target yield, {result.target}")
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def run_stopping(args: argparse.Namespace) -> int:
    """Stopping power and CSDA range at one energy."""
    from positrix.physics.materials import get_material
    from positrix.physics.stopping import csda_range_g_cm2, mass_stopping_power

    material = get_material(args.material)
    stopping = float(mass_stopping_power(material, args.energy, particle=args.particle)[0])
    reach = float(csda_range_g_cm2(material, args.energy, particle=args.particle)[0])
    out: dict[str, Any] = {
        "particle": args.particle,
        "material": material.name,
        "energy_MeV": args.energy,
        "mass_stopping_power_MeV_cm2_per_g": stopping,
        "csda_range_g_per_cm2": reach,
        "csda_range_mm": (
            10.0 * reach / material.density_g_cm3 if material.density_g_cm3 else None
        ),
        "density_g_per_cm3": material.density_g_cm3,
        "mean_excitation_energy_eV": material.i_ev or material.bragg_i_ev,
    }
    if args.json:
        print_json(out)
        return 0
    mm = out["csda_range_mm"]
    print_table([
        ("particle, material", f"{args.particle} in {material.name}"),
        ("energy", f"{args.energy:g} MeV"),
        ("mass stopping power", f"{stopping:.4g} MeV cm²/g"),
        ("CSDA range", f"{reach:.4g} g/cm²" + (f" = {mm:.4g} mm" if mm is not None else "")),
    ])  # fmt: skip
    return 0
