"""The nuclide table: one file (``positrix/data/nuclides.csv``), one source of truth.

Examples
--------
>>> from positrix.physics import get_nuclide
>>> f18 = get_nuclide("18F")
>>> f18.name, f18.half_life_s, f18.beta_plus_fraction
('F-18', 6586.2, 0.9673)
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from positrix.errors import UnknownNuclideError

__all__ = ["Nuclide", "get_nuclide", "list_nuclides", "normalise_nuclide_name"]


@dataclass(frozen=True)
class Nuclide:
    """A radionuclide's decay data.

    Attributes
    ----------
    name
        Canonical name, element then mass number: ``"F-18"``.
    half_life_s
        Half-life in seconds.
    decay_modes
        Decay modes as text (``"beta+/EC"``).
    beta_plus_fraction
        Positrons emitted per decay (0 for pure β− or α emitters).
    mean_positron_energy_kev, max_positron_energy_kev
        Mean and highest end-point β+ energy in keV, or ``None``.
    mean_positron_range_mm
        Mean positron range in water in mm, or ``None``.
    sources
        Source of each value, keyed by attribute name.
    """

    name: str
    half_life_s: float
    decay_modes: str
    beta_plus_fraction: float
    mean_positron_energy_kev: float | None
    max_positron_energy_kev: float | None
    mean_positron_range_mm: float | None
    sources: tuple[tuple[str, str], ...] = ()

    @property
    def decay_constant_per_s(self) -> float:
        """Decay constant λ = ln 2 / T½ in 1/s."""
        return math.log(2.0) / self.half_life_s

    @property
    def source(self) -> dict[str, str]:
        """Source of each value, keyed by attribute name."""
        return dict(self.sources)

    def to_dict(self) -> dict[str, object]:
        """Plain-JSON description (the ``positrix nuclide --json`` keys)."""
        return {
            "name": self.name,
            "half_life_s": self.half_life_s,
            "decay_modes": self.decay_modes,
            "beta_plus_fraction": self.beta_plus_fraction,
            "mean_positron_energy_kev": self.mean_positron_energy_kev,
            "max_positron_energy_kev": self.max_positron_energy_kev,
            "mean_positron_range_mm": self.mean_positron_range_mm,
            "source": self.source,
        }


def _optional_float(text: str) -> float | None:
    return float(text) if text.strip() else None


@cache
def _table() -> dict[str, Nuclide]:
    text = resources.files("positrix").joinpath("data/nuclides.csv").read_text("utf-8")
    table: dict[str, Nuclide] = {}
    for row in csv.DictReader(text.splitlines()):
        sources = (
            ("half_life_s", row["half_life_source"]),
            ("beta_plus_fraction", row["beta_plus_fraction_source"]),
            ("mean_positron_energy_kev", row["energy_source"]),
            ("max_positron_energy_kev", row["energy_source"]),
            ("mean_positron_range_mm", row["range_source"]),
        )
        table[row["name"]] = Nuclide(
            name=row["name"],
            half_life_s=float(row["half_life_s"]),
            decay_modes=row["decay_modes"],
            beta_plus_fraction=float(row["beta_plus_fraction"]),
            mean_positron_energy_kev=_optional_float(row["mean_positron_energy_kev"]),
            max_positron_energy_kev=_optional_float(row["max_positron_energy_kev"]),
            mean_positron_range_mm=_optional_float(row["mean_positron_range_mm"]),
            sources=sources,
        )
    return table


_NAME_PATTERNS = (
    re.compile(r"^\^?(?P<mass>\d+)(?P<isomer>m?)\^?\s*-?\s*(?P<symbol>[A-Za-z]+)$"),
    re.compile(r"^(?P<symbol>[A-Za-z]+)\s*-?\s*(?P<mass>\d+)(?P<isomer>m?)\^?$"),
)

#: Element names (as in DICOM code meanings such as ``^18^Fluorine``) → symbols.
_ELEMENTS = {
    "fluorine": "F", "carbon": "C", "nitrogen": "N", "oxygen": "O", "gallium": "Ga",
    "copper": "Cu", "zirconium": "Zr", "rubidium": "Rb", "iodine": "I", "scandium": "Sc",
    "yttrium": "Y", "terbium": "Tb", "germanium": "Ge", "sodium": "Na", "lutetium": "Lu",
    "actinium": "Ac", "technetium": "Tc", "indium": "In", "strontium": "Sr",
    "molybdenum": "Mo", "bismuth": "Bi", "francium": "Fr", "astatine": "At", "polonium": "Po",
    "thallium": "Tl", "lead": "Pb",
}  # fmt: skip


def normalise_nuclide_name(name: str) -> str:
    """Return the canonical spelling (``"F-18"``) of ``"18F"``, ``"f18"``, ``"^18^Fluorine"``…

    A metastable state keeps its ``m``: ``"99mTc"`` and ``"tc99m"`` give ``"Tc-99m"``.

    Returns the stripped input unchanged when it does not look like a nuclide name.
    """
    text = name.strip()
    for pattern in _NAME_PATTERNS:
        match = pattern.match(text)
        if match:
            letters = match["symbol"].lower()
            symbol = _ELEMENTS.get(letters, letters.capitalize())
            if len(symbol) <= 2:
                return f"{symbol}-{int(match['mass'])}{match['isomer']}"
    return text


def get_nuclide(name: str | Nuclide) -> Nuclide:
    """Look up a nuclide by name.

    Parameters
    ----------
    name
        ``"F-18"``, ``"18F"``, ``"F18"`` (any case), or a :class:`Nuclide`, returned as is.

    Raises
    ------
    UnknownNuclideError
        When the name is not in the table; the message lists the known names.
    """
    if isinstance(name, Nuclide):
        return name
    key = normalise_nuclide_name(str(name))
    try:
        return _table()[key]
    except KeyError:
        known = ", ".join(_table())
        raise UnknownNuclideError(
            f"unknown nuclide '{name}'",
            field="nuclide",
            fix=f"use one of {known} (spellings such as 18F or F18 also work)",
        ) from None


def list_nuclides() -> list[Nuclide]:
    """All nuclides in the table, in table order."""
    return list(_table().values())
