"""Evaluated proton-induced cross sections σ(E) for the production routes and their main
impurity channels, shipped as ``positrix/data/cross_sections.csv``.

Each channel comes from the IAEA recommended medical-isotope cross sections where the IAEA
evaluated it, from TENDL-2025 (TALYS-based) otherwise; the library is named with every
channel and with every yield computed from it.  Below the first tabulated energy σ is 0
(the tables start at or near the reaction threshold); above the last one nothing is
extrapolated: asking for it is an error.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
from numpy.typing import ArrayLike, NDArray

from positrix.errors import PositrixError

__all__ = ["Channel", "Reaction", "channels_from", "get_channel", "list_channels",
           "parse_reaction"]  # fmt: skip


@dataclass(frozen=True)
class Reaction:
    """A reaction ``target(p,x)product``: target ``symbol`` and ``mass_number``, the
    ``projectile`` and ``ejectile`` text and the ``product`` nuclide (``"F-18"``)."""

    symbol: str
    mass_number: int
    projectile: str
    ejectile: str
    product: str

    @property
    def target(self) -> str:
        """The target isotope, ``"O-18"``."""
        return f"{self.symbol}-{self.mass_number}"

    def __str__(self) -> str:
        product_symbol, product_mass = self.product.split("-")
        return (
            f"{self.mass_number}{self.symbol}({self.projectile},{self.ejectile})"
            f"{product_mass}{product_symbol}"
        )


@dataclass(frozen=True)
class Channel:
    """σ(E) of one target isotope to one product: energies (MeV) and σ (mb), shape (n,)."""

    target: str
    product: str
    library: str
    energy_mev: NDArray[np.float64]
    sigma_mb: NDArray[np.float64]

    def sigma(self, energy_mev: ArrayLike) -> NDArray[np.float64]:
        """σ (mb) at ``energy_mev`` (linear interpolation; 0 below the table).

        Raises
        ------
        PositrixError
            For an energy above the table (no extrapolation).
        """
        energy = np.asarray(energy_mev, dtype=float)
        top = float(self.energy_mev[-1])
        if np.any(energy > top * (1 + 1e-12)):
            raise PositrixError(
                f"{self.target}→{self.product}: σ is tabulated up to {top:g} MeV "
                f"({self.library}); {float(np.max(energy)):g} MeV is beyond it",
                field="--energy",
                fix=f"keep the beam energy ≤ {top:g} MeV",
            )
        return np.interp(energy, self.energy_mev, self.sigma_mb, left=0.0, right=0.0)


@cache
def _channels() -> dict[tuple[str, str], Channel]:
    text = resources.files("positrix").joinpath("data/cross_sections.csv").read_text("utf-8")
    rows: dict[tuple[str, str, str], list[tuple[float, float]]] = {}
    for row in csv.DictReader(text.splitlines()):
        key = (row["target"], row["product"], row["library"])
        rows.setdefault(key, []).append((float(row["energy_MeV"]), float(row["sigma_mb"])))
    return {
        (t, p): Channel(t, p, lib, np.array([e for e, _ in r]), np.array([s for _, s in r]))
        for (t, p, lib), r in rows.items()
    }


def list_channels() -> list[Channel]:
    """Every shipped channel."""
    return list(_channels().values())


def get_channel(target: str, product: str) -> Channel:
    """The channel ``target`` → ``product`` (``"O-18"``, ``"F-18"``)."""
    try:
        return _channels()[(target, product)]
    except KeyError:
        raise PositrixError(
            f"no cross section for {target} → {product}",
            field="--reaction",
            fix="reactions known: " + ", ".join(_known()),
        ) from None


def channels_from(symbol: str) -> list[Channel]:
    """The channels of every isotope of element ``symbol``."""
    return [c for c in _channels().values() if c.target.split("-")[0] == symbol]


_REACTION = re.compile(
    r"^\s*(\d+)([A-Z][a-z]?)\s*\(\s*(p)\s*,\s*([a-z0-9α]+)\s*\)\s*(\d+)([A-Z][a-z]?)(m?)\s*$"
)


def _known() -> list[str]:
    out = []
    for c in _channels().values():
        symbol, mass = c.target.split("-")
        p_symbol, p_mass = c.product.split("-")
        out.append(f"{mass}{symbol}(p,x){p_mass}{p_symbol}")
    return out


#: Atomic numbers of the targets and products here.
_Z = {"H": 1, "He": 2, "C": 6, "N": 7, "O": 8, "F": 9, "Ca": 20, "Sc": 21, "Co": 27, "Ni": 28,
      "Cu": 29, "Zn": 30, "Ga": 31, "Y": 39, "Zr": 40, "Te": 52, "I": 53}  # fmt: skip
#: Outgoing particles: name → (mass number, charge).
_EJECTILES = {"n": (1, 0), "2n": (2, 0), "3n": (3, 0), "g": (0, 0), "γ": (0, 0),
              "p": (1, 1), "pn": (2, 1), "np": (2, 1), "d": (2, 1), "t": (3, 1),
              "a": (4, 2), "α": (4, 2), "alpha": (4, 2), "2p": (2, 2)}  # fmt: skip


def _balanced(reaction: Reaction) -> bool:
    """Mass number and charge conserved by p + target → product + ejectile."""
    if reaction.ejectile not in _EJECTILES or reaction.symbol not in _Z:
        return False
    product_symbol, product_mass = reaction.product.rstrip("m").split("-")
    ejectile_mass, ejectile_charge = _EJECTILES[reaction.ejectile]
    return (
        reaction.mass_number + 1 == int(product_mass) + ejectile_mass
        and _Z[reaction.symbol] + 1 == _Z.get(product_symbol, -99) + ejectile_charge
    )


def parse_reaction(text: str) -> Reaction:
    """``"18O(p,n)18F"`` → :class:`Reaction` (only reactions with a shipped σ).

    Raises
    ------
    PositrixError
        When the text is not a reaction or no σ is shipped for it.
    """
    match = _REACTION.match(text)
    if not match:
        raise PositrixError(
            f"cannot read the reaction '{text}'",
            field="--reaction",
            fix="write it as 18O(p,n)18F; known: " + ", ".join(_known()),
        )
    mass, symbol, projectile, ejectile, p_mass, p_symbol, isomer = match.groups()
    reaction = Reaction(symbol, int(mass), projectile, ejectile, f"{p_symbol}-{p_mass}{isomer}")
    get_channel(reaction.target, reaction.product)
    if ejectile not in _EJECTILES:
        raise PositrixError(
            f"unknown outgoing particle '{ejectile}' in {text}",
            field="--reaction",
            fix="one of " + ", ".join(_EJECTILES),
        )
    if not _balanced(reaction):
        raise PositrixError(
            f"{text} does not conserve mass number and charge",
            field="--reaction",
            fix="check the outgoing particle: n, 2n, p, pn, d, t, a (α), g (γ)",
        )
    return reaction
