"""``positrix nuclide NAME [--json]``."""

from __future__ import annotations

import argparse
from typing import Any

from positrix.cli.output import print_json, print_table
from positrix.physics.nuclides import get_nuclide

__all__ = ["add_parser"]


def add_parser(subparsers: Any) -> None:
    """Register ``positrix nuclide``."""
    parser = subparsers.add_parser("nuclide", help="decay data of a nuclide")
    parser.add_argument("name", help="e.g. F-18, 18F, Ga68")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(run=run)


def _opt(value: float | None, unit: str) -> str:
    return f"{value:g} {unit}" if value is not None else "—"


def run(args: argparse.Namespace) -> int:
    """Print a nuclide's data with their sources (text or JSON)."""
    nuclide = get_nuclide(args.name)
    if args.json:
        print_json(nuclide.to_dict())
        return 0
    source = nuclide.source
    print_table([
        ("name", nuclide.name),
        ("half-life", f"{nuclide.half_life_s:g} s ({nuclide.half_life_s / 60:.4g} min)"
                      f"  [{source['half_life_s']}]"),
        ("decay modes", nuclide.decay_modes),
        ("β+ fraction", f"{nuclide.beta_plus_fraction:g}  [{source['beta_plus_fraction']}]"),
        ("mean β+ energy", _opt(nuclide.mean_positron_energy_kev, "keV")),
        ("max β+ energy", _opt(nuclide.max_positron_energy_kev, "keV")),
        ("mean positron range in water", _opt(nuclide.mean_positron_range_mm, "mm")
         + f"  [{source['mean_positron_range_mm']}]"),
    ])  # fmt: skip
    return 0
