"""Elements and isotopes for stopping powers and targets: atomic number, standard atomic
weight, mean excitation energy, natural isotopic composition and isotopic masses.

Sources
-------
- Standard atomic weights: IUPAC CIAAW 2021 (abridged, g/mol).
- Mean excitation energies ``I`` (eV): ICRU Report 37 (1984) / ICRU 49 (1993), the values
  NIST PSTAR/ASTAR use (H₂ gas 19.2, He 41.8, amorphous C 81.0, N₂ 82.0, O₂ 95.0 …).
- Natural isotopic abundances: IUPAC CIAAW "representative isotopic composition" (atom
  fraction).
- Isotopic masses: AME2020 (u), to 5 decimals.
"""

from __future__ import annotations

from dataclasses import dataclass

from positrix.errors import PositrixError

__all__ = [
    "ELEMENTS",
    "Element",
    "atomic_number",
    "get_element",
    "isotope_mass",
    "natural_abundance",
]

#: Element symbols in order of atomic number, H (1) to U (92).
SYMBOLS = (
    "H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge "
    "As Se Br Kr Rb Sr Y Zr Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce Pr Nd Pm Sm "
    "Eu Gd Tb Dy Ho Er Tm Yb Lu Hf Ta W Re Os Ir Pt Au Hg Tl Pb Bi Po At Rn Fr Ra Ac Th Pa U"
).split()


@dataclass(frozen=True)
class Element:
    """One element: ``symbol``, atomic number ``z``, standard atomic weight
    ``weight_g_per_mol``, mean excitation energy ``i_ev`` (eV) and ``density_g_cm3`` of
    its usual solid (or gas at 20 °C, 101.325 kPa) form."""

    symbol: str
    z: int
    weight_g_per_mol: float
    i_ev: float
    density_g_cm3: float


ELEMENTS: dict[str, Element] = {
    e.symbol: e
    for e in (
        Element("H", 1, 1.008, 19.2, 8.375e-5),
        Element("He", 2, 4.0026, 41.8, 1.663e-4),
        Element("C", 6, 12.011, 81.0, 2.0),
        Element("N", 7, 14.007, 82.0, 1.165e-3),
        Element("O", 8, 15.999, 95.0, 1.332e-3),
        Element("Al", 13, 26.9815, 166.0, 2.699),
        Element("Ca", 20, 40.078, 191.0, 1.55),
        Element("Ti", 22, 47.867, 233.0, 4.54),
        Element("Cr", 24, 51.996, 257.0, 7.18),
        Element("Mn", 25, 54.938, 272.0, 7.44),
        Element("Fe", 26, 55.845, 286.0, 7.874),
        Element("Co", 27, 58.933, 297.0, 8.9),
        Element("Ni", 28, 58.693, 311.0, 8.902),
        Element("Cu", 29, 63.546, 322.0, 8.96),
        Element("Zn", 30, 65.38, 330.0, 7.133),
        Element("Ge", 32, 72.630, 350.0, 5.323),
        Element("Y", 39, 88.906, 379.0, 4.469),
        Element("Zr", 40, 91.224, 393.0, 6.506),
        Element("Nb", 41, 92.906, 417.0, 8.57),
        Element("Mo", 42, 95.95, 424.0, 10.22),
        Element("Ag", 47, 107.868, 470.0, 10.5),
        Element("Sn", 50, 118.71, 488.0, 7.31),
        Element("Te", 52, 127.60, 485.0, 6.24),
        Element("Ta", 73, 180.948, 718.0, 16.654),
        Element("W", 74, 183.84, 727.0, 19.3),
        Element("Au", 79, 196.967, 790.0, 19.32),
        Element("Pb", 82, 207.2, 823.0, 11.35),
    )
}

#: Atom fractions of the natural elements used as targets.
_NATURAL: dict[str, dict[int, float]] = {
    "H": {1: 0.999885, 2: 0.000115},
    "C": {12: 0.9893, 13: 0.0107},
    "N": {14: 0.99636, 15: 0.00364},
    "O": {16: 0.99757, 17: 0.00038, 18: 0.00205},
    "Ca": {40: 0.96941, 42: 0.00647, 43: 0.00135, 44: 0.02086, 46: 0.00004, 48: 0.00187},
    "Ni": {58: 0.680769, 60: 0.262231, 61: 0.011399, 62: 0.036345, 64: 0.009256},
    "Zn": {64: 0.4917, 66: 0.2773, 67: 0.0404, 68: 0.1845, 70: 0.0061},
    "Y": {89: 1.0},
    "Te": {120: 0.0009, 122: 0.0255, 123: 0.0089, 124: 0.0474, 125: 0.0707, 126: 0.1884,
           128: 0.3174, 130: 0.3408},
}  # fmt: skip

#: Isotopic masses (u, AME2020).
_MASS: dict[tuple[str, int], float] = {
    ("H", 1): 1.00783, ("H", 2): 2.01410, ("C", 12): 12.0, ("C", 13): 13.00335,
    ("N", 14): 14.00307, ("N", 15): 15.00011,
    ("O", 16): 15.99491, ("O", 17): 16.99913, ("O", 18): 17.99916,
    ("Ca", 40): 39.96259, ("Ca", 42): 41.95862, ("Ca", 43): 42.95877, ("Ca", 44): 43.95548,
    ("Ca", 46): 45.95369, ("Ca", 48): 47.95252,
    ("Ni", 58): 57.93534, ("Ni", 60): 59.93079, ("Ni", 61): 60.93106, ("Ni", 62): 61.92835,
    ("Ni", 64): 63.92797,
    ("Zn", 64): 63.92914, ("Zn", 66): 65.92603, ("Zn", 67): 66.92713, ("Zn", 68): 67.92484,
    ("Zn", 70): 69.92532,
    ("Y", 89): 88.90584,
    ("Te", 120): 119.90406, ("Te", 122): 121.90304, ("Te", 123): 122.90427,
    ("Te", 124): 123.90282, ("Te", 125): 124.90443, ("Te", 126): 125.90331,
    ("Te", 128): 127.90446, ("Te", 130): 129.90622,
}  # fmt: skip


def get_element(symbol: str) -> Element:
    """The element named ``symbol`` (``"Zn"``).

    Raises
    ------
    PositrixError
        For an element without stopping data here; the message lists those known.
    """
    try:
        return ELEMENTS[symbol]
    except KeyError:
        raise PositrixError(
            f"no stopping data for element '{symbol}'",
            field="material",
            fix="elements known: " + ", ".join(ELEMENTS),
        ) from None


def atomic_number(symbol: str) -> int:
    """Atomic number Z of the element ``symbol`` (H to U).

    Examples
    --------
    >>> atomic_number("Ga"), atomic_number("Ac")
    (31, 89)
    """
    try:
        return SYMBOLS.index(symbol) + 1
    except ValueError:
        raise PositrixError(
            f"unknown element '{symbol}'", field="element", fix="a symbol from H to U, e.g. Ga"
        ) from None


def natural_abundance(symbol: str) -> dict[int, float]:
    """Mass number → atom fraction of the natural element (sums to 1)."""
    try:
        return dict(_NATURAL[symbol])
    except KeyError:
        raise PositrixError(
            f"no natural isotopic composition for '{symbol}'",
            field="target",
            fix="target elements known: " + ", ".join(_NATURAL),
        ) from None


def isotope_mass(symbol: str, mass_number: int) -> float:
    """Atomic mass (u) of an isotope."""
    try:
        return _MASS[(symbol, mass_number)]
    except KeyError:
        raise PositrixError(
            f"no mass for {symbol}-{mass_number}",
            field="target",
            fix="isotopes known: " + ", ".join(f"{s}-{a}" for s, a in _MASS),
        ) from None
