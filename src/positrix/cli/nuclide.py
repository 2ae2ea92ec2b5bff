"""``positrix nuclide NAME [--emissions] [--json]``."""

from __future__ import annotations

import argparse
from typing import Any

from positrix.cli.output import print_json, print_table
from positrix.physics.emissions import (
    EMISSION_DATASET,
    emissions,
    energy_per_decay_MeV,
    prompt_gammas,
)
from positrix.physics.nuclides import get_nuclide

__all__ = ["add_parser"]


def add_parser(subparsers: Any) -> None:
    """Register ``positrix nuclide``."""
    parser = subparsers.add_parser("nuclide", help="decay data of a nuclide")
    parser.add_argument("name", help="e.g. F-18, 18F, Ga68")
    parser.add_argument(
        "--emissions",
        action="store_true",
        help="also the decay radiations (ENSDF): β± and α branches, γ and x-ray lines, electrons",
    )
    parser.add_argument(
        "--min-intensity",
        type=float,
        default=0.001,
        metavar="FRACTION",
        help="leave out radiations below this intensity per decay (default 0.001 = 0.1 %%)",
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(run=run)


def _opt(value: float | None, unit: str) -> str:
    return f"{value:g} {unit}" if value is not None else "—"


def _emission_summary(name: str, minimum: float) -> dict[str, Any]:
    """The ``emissions`` block of the JSON: lines, energy per decay, prompt γ."""
    lines = [row.to_dict() for row in emissions(name) if row.intensity >= minimum]
    summary: dict[str, Any] = {
        "dataset": EMISSION_DATASET,
        "lines": lines,
        "energy_per_decay_MeV": {k: v for k, v in energy_per_decay_MeV(name).items() if v > 0},
    }
    if get_nuclide(name).beta_plus_fraction > 0:
        summary["prompt_gamma_in_window_per_decay"] = prompt_gammas(name)[1]
    return summary


def _print_emissions(summary: dict[str, Any]) -> None:
    print(f"\nradiations ({summary['dataset']}):")
    print(f"{'radiation':<13}{'energy (keV)':>14}{'end point (keV)':>17}{'per 100 decays':>16}")
    for line in summary["lines"]:
        end = "" if line["end_point_keV"] is None else f"{line['end_point_keV']:g}"
        print(
            f"{line['radiation']:<13}{line['energy_keV']:>14g}{end:>17}"
            f"{100 * line['intensity_per_decay']:>16.4g}"
        )
    print(
        "\nenergy per decay (MeV): "
        + ", ".join(
            f"{kind} {value:.4g}" for kind, value in summary["energy_per_decay_MeV"].items()
        )
    )
    if "prompt_gamma_in_window_per_decay" in summary:
        print(
            f"prompt γ in 350–650 keV per decay: {summary['prompt_gamma_in_window_per_decay']:.4g}"
        )


def run(args: argparse.Namespace) -> int:
    """Print a nuclide's data with their sources (text or JSON)."""
    nuclide = get_nuclide(args.name)
    summary = _emission_summary(nuclide.name, args.min_intensity) if args.emissions else None
    if args.json:
        print_json({**nuclide.to_dict(), **({"emissions": summary} if summary else {})})
        return 0
    source = nuclide.source
    print_table(
        [
            ("name", nuclide.name),
            (
                "half-life",
                f"{nuclide.half_life_s:g} s ({nuclide.half_life_s / 60:.4g} min)"
                f"  [{source['half_life_s']}]",
            ),
            ("decay modes", nuclide.decay_modes),
            ("β+ fraction", f"{nuclide.beta_plus_fraction:g}  [{source['beta_plus_fraction']}]"),
            ("mean β+ energy", _opt(nuclide.mean_positron_energy_kev, "keV")),
            ("max β+ energy", _opt(nuclide.max_positron_energy_kev, "keV")),
            (
                "mean positron range in water",
                _opt(nuclide.mean_positron_range_mm, "mm")
                + f"  [{source['mean_positron_range_mm']}]",
            ),
        ]
    )
    if summary:
        _print_emissions(summary)
    return 0
