"""Target, degrader and window materials: composition (atoms per formula unit, isotopes when
enriched), density and, where published, the condensed-phase mean excitation energy.

Formulas name elements by symbol with counts (``TeO2``, ``CaCO3``) and enriched isotopes in
brackets (``H2[18O]``, ``[68Zn]``: the element enriched in that isotope; the rest of the
element keeps the natural ratios of its other isotopes).  Built-in names cover the usual
targets; any formula made of known elements also works (density then needed for lengths).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

from positrix.errors import PositrixError
from positrix.physics.elements import ELEMENTS, get_element, isotope_mass, natural_abundance

__all__ = ["Component", "Material", "get_material", "list_materials"]


@dataclass(frozen=True)
class Component:
    """``count`` atoms of ``symbol`` per formula unit; ``isotopes`` maps mass number → atom
    fraction, or is empty for the natural element."""

    symbol: str
    count: float
    isotopes: tuple[tuple[int, float], ...] = ()

    @property
    def molar_mass(self) -> float:
        """Mass of one mole of these atoms (g/mol, ``count`` included)."""
        if not self.isotopes:
            return self.count * get_element(self.symbol).weight_g_per_mol
        return self.count * sum(f * isotope_mass(self.symbol, a) for a, f in self.isotopes)

    def fraction(self, mass_number: int) -> float:
        """Atom fraction of one isotope in this component."""
        found = dict(self.isotopes) if self.isotopes else natural_abundance(self.symbol)
        return found.get(mass_number, 0.0)


@dataclass(frozen=True)
class Material:
    """A material.

    Attributes
    ----------
    name
        Name as given or built in.
    components
        The atoms of one formula unit.
    density_g_cm3
        Density (g/cm³), ``None`` when unknown (thicknesses must then be areal, g/cm²).
    i_ev
        Condensed-phase mean excitation energy (eV) when published; ``None`` uses Bragg
        additivity alone.
    """

    name: str
    components: tuple[Component, ...]
    density_g_cm3: float | None = None
    i_ev: float | None = None

    @property
    def molar_mass(self) -> float:
        """Mass of one mole of formula units (g/mol)."""
        return sum(c.molar_mass for c in self.components)

    @property
    def bragg_i_ev(self) -> float:
        """Mean excitation energy by Bragg additivity (electron-weighted mean of ln I)."""
        electrons = [(c.count * get_element(c.symbol).z, c.symbol) for c in self.components]
        total = sum(n for n, _ in electrons)
        return math.exp(sum(n * math.log(get_element(s).i_ev) for n, s in electrons) / total)

    def atoms_per_gram(self, symbol: str, mass_number: int) -> float:
        """Atoms of one isotope per gram of material (1/g)."""
        avogadro = 6.02214076e23
        count = sum(
            c.count * c.fraction(mass_number) for c in self.components if c.symbol == symbol
        )
        return avogadro * count / self.molar_mass

    def enriched(self, symbol: str, mass_number: int, fraction: float) -> Material:
        """This material with ``symbol`` enriched to ``fraction`` in ``mass_number`` (the
        rest of that element in the natural ratios of its other isotopes)."""
        if not (0.0 < fraction <= 1.0):
            raise PositrixError(
                f"enrichment {fraction:g} is outside (0, 1]",
                field="--enrichment",
                fix="give the atom fraction of the target isotope, e.g. 0.98",
            )
        if all(c.symbol != symbol for c in self.components):
            raise PositrixError(
                f"{self.name} holds no {symbol}",
                field="--target",
                fix=f"give a target that contains {symbol}",
            )
        isotopes = _enriched(symbol, mass_number, fraction)
        parts = tuple(
            replace(c, isotopes=isotopes) if c.symbol == symbol else c for c in self.components
        )
        return replace(self, components=parts)


def _enriched(symbol: str, mass_number: int, fraction: float) -> tuple[tuple[int, float], ...]:
    natural = natural_abundance(symbol)
    others = {a: f for a, f in natural.items() if a != mass_number}
    rest = sum(others.values())
    mix = {mass_number: fraction}
    for a, f in others.items():
        mix[a] = (1.0 - fraction) * f / rest if rest > 0 else 0.0
    return tuple(sorted(mix.items()))


_TOKEN = re.compile(r"\[(\d+)([A-Z][a-z]?)\](\d*\.?\d*)|([A-Z][a-z]?)(\d*\.?\d*)")


def _parse_formula(formula: str) -> tuple[Component, ...]:
    position, parts = 0, []
    for match in _TOKEN.finditer(formula):
        if match.start() != position:
            break
        position = match.end()
        if match[1]:
            symbol, count = match[2], float(match[3] or 1)
            get_element(symbol)
            parts.append(Component(symbol, count, _enriched(symbol, int(match[1]), 1.0)))
        else:
            symbol, count = match[4], float(match[5] or 1)
            get_element(symbol)
            parts.append(Component(symbol, count))
    if position != len(formula) or not parts:
        raise PositrixError(
            f"cannot read the formula '{formula}'",
            field="material",
            fix="elements with counts (TeO2, CaCO3), enriched isotopes in brackets "
            "(H2[18O], [68Zn]), or a built-in name: " + ", ".join(_BUILT_IN),
        )
    return tuple(parts)


def _havar() -> tuple[Component, ...]:
    """Havar (Co 42.5, Cr 20, Fe 17.9, Ni 13, W 2.8, Mo 2.4, Mn 1.6, C 0.2 % by mass) as
    atoms per 100 g."""
    mass = {"Co": 42.5, "Cr": 20.0, "Fe": 17.9, "Ni": 13.0, "W": 2.8, "Mo": 2.4, "Mn": 1.6,
            "C": 0.2}  # fmt: skip
    return tuple(Component(s, m / ELEMENTS[s].weight_g_per_mol) for s, m in mass.items())


#: Built-in materials: name → (formula or components, density g/cm³, condensed-phase I eV).
_BUILT_IN: dict[str, tuple[str | tuple[Component, ...], float | None, float | None]] = {
    "water": ("H2O", 1.0, 75.0),  # I: ICRU 49 / NIST PSTAR liquid water
    "H2[18O]": ("H2[18O]", 1.1106, 75.0),  # [18O]water: same electrons, heavier
    "TeO2": ("TeO2", 5.99, None),
    "CaO": ("CaO", 3.34, None),
    "CaCO3": ("CaCO3", 2.71, None),
    "N2": ("N2", 1.165e-3, None),  # gas at 20 °C, 101.325 kPa
    "O2": ("O2", 1.332e-3, None),
    "havar": (_havar(), 8.3, None),
}
_ALIASES = {"h2o": "water", "[18o]water": "H2[18O]", "h2[18o]o": "H2[18O]",
            "18o-water": "H2[18O]", "enriched water": "H2[18O]"}  # fmt: skip


def get_material(name: str) -> Material:
    """A material by built-in name, element symbol or formula.

    Raises
    ------
    PositrixError
        When the name is neither; the message lists the built-in names.
    """
    text = name.strip()
    key = _ALIASES.get(text.lower(), text)
    if key in _BUILT_IN:
        formula, density, i_ev = _BUILT_IN[key]
        parts = _parse_formula(formula) if isinstance(formula, str) else formula
        return Material(key, parts, density, i_ev)
    if key in ELEMENTS:
        element = ELEMENTS[key]
        return Material(key, (Component(key, 1.0),), element.density_g_cm3)
    return Material(key, _parse_formula(key), None)


def list_materials() -> list[str]:
    """Built-in material names (element symbols also work)."""
    return list(_BUILT_IN)
