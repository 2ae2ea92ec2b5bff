"""Decay radiations of a nuclide (ENSDF): β± branches, α, γ and x-ray lines, electrons.

The table ``positrix/data/emissions.csv`` holds, per nuclide, every α and β branch (mean
and end-point energy), every photon line of at least 0.1 per 100 decays, the annihilation
photons, and the conversion and Auger electrons summed into one line each (intensity-
weighted mean energy).  Intensities are per 100 decays of the nuclide, as in ENSDF.

Examples
--------
>>> from positrix.physics.emissions import energy_per_decay_MeV
>>> round(energy_per_decay_MeV("Lu-177")["beta-"], 4)  # ENSDF mean β− energy 133.6 keV
0.1336
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

from positrix.errors import PositrixError, UnknownNuclideError
from positrix.physics.nuclides import get_nuclide

__all__ = [
    "EMISSION_DATASET",
    "PET_WINDOW_KEV",
    "Emission",
    "emissions",
    "energy_per_decay_MeV",
    "non_penetrating_MeV",
    "prompt_gammas",
]

#: Where the radiations come from.
EMISSION_DATASET = "ENSDF (NNDC NuDat decay radiations, compiled by nucl-parquet)"
#: Kinds of radiation in the table.
KINDS = ("alpha", "beta-", "beta+", "ce", "auger", "gamma", "x-ray", "annihilation")
#: Radiations absorbed within a few mm of tissue (dose "non-penetrating" in MIRD terms).
NON_PENETRATING = ("alpha", "beta-", "beta+", "ce", "auger")
#: The usual small-animal PET energy window in keV, for prompt γ that fall inside it.
PET_WINDOW_KEV = (350.0, 650.0)


@dataclass(frozen=True)
class Emission:
    """One radiation of a decay.

    Attributes
    ----------
    radiation
        One of ``alpha``, ``beta-``, ``beta+``, ``ce``, ``auger``, ``gamma``, ``x-ray``,
        ``annihilation``.
    energy_keV
        Energy in keV (the mean energy for a β branch).
    end_point_keV
        End-point energy of a β branch in keV, else ``None``.
    intensity
        Emissions per decay (ENSDF intensity / 100).
    """

    radiation: str
    energy_keV: float
    end_point_keV: float | None
    intensity: float

    def to_dict(self) -> dict[str, object]:
        """JSON keys of ``positrix nuclide --emissions --json``."""
        return {
            "radiation": self.radiation,
            "energy_keV": self.energy_keV,
            "end_point_keV": self.end_point_keV,
            "intensity_per_decay": self.intensity,
        }


@cache
def _table() -> dict[str, tuple[Emission, ...]]:
    text = resources.files("positrix").joinpath("data/emissions.csv").read_text("utf-8")
    table: dict[str, list[Emission]] = {}
    for row in csv.DictReader(text.splitlines()):
        end = row["end_point_keV"]
        table.setdefault(row["nuclide"], []).append(
            Emission(
                radiation=row["radiation"],
                energy_keV=float(row["energy_keV"]),
                end_point_keV=float(end) if end else None,
                intensity=float(row["intensity_percent"]) / 100.0,
            )
        )
    return {name: tuple(rows) for name, rows in table.items()}


def emissions(
    nuclide: str, *, radiation: str | None = None, dataset: str = "ENSDF"
) -> tuple[Emission, ...]:
    """The radiations of ``nuclide``, optionally of one kind only.

    Parameters
    ----------
    nuclide
        Any spelling the nuclide table accepts (``"Ga-68"``, ``"99mTc"``).
    radiation
        Keep only this kind (see :data:`KINDS`).
    dataset
        Only ``"ENSDF"``: the ICRP-107 radiation files are not shipped (``radioactivedecay``
        carries ICRP-107 half-lives and branchings, not radiations).

    Raises
    ------
    PositrixError
        For another dataset, an unknown kind, or a nuclide without radiation data.
    """
    if dataset != "ENSDF":
        raise PositrixError(
            f"emission data are shipped from ENSDF only, not '{dataset}'",
            field="--dataset",
            fix="use ENSDF (the default); half-lives exist for ICRP-107",
        )
    if radiation is not None and radiation not in KINDS:
        raise PositrixError(
            f"unknown radiation '{radiation}'", field="radiation", fix=f"one of {', '.join(KINDS)}"
        )
    name = get_nuclide(nuclide).name
    try:
        rows = _table()[name]
    except KeyError:
        raise UnknownNuclideError(
            f"no decay radiations for {name}", field="nuclide",
            fix=f"nuclides with radiations: {', '.join(_table())}",
        ) from None  # fmt: skip
    return tuple(row for row in rows if radiation is None or row.radiation == radiation)


def energy_per_decay_MeV(nuclide: str) -> dict[str, float]:
    """Mean energy emitted per decay (MeV) by kind of radiation, Σ E·I.

    For a β branch E is its mean energy; annihilation photons count 0.511 MeV each.
    """
    totals = dict.fromkeys(KINDS, 0.0)
    for row in emissions(nuclide):
        totals[row.radiation] += row.energy_keV * row.intensity / 1000.0
    return totals


def non_penetrating_MeV(nuclide: str) -> float:
    """Energy per decay (MeV) carried by α, β±, conversion and Auger electrons: the Δ of
    MIRD's non-penetrating approximation, absorbed where the decays happen."""
    totals = energy_per_decay_MeV(nuclide)
    return sum(totals[kind] for kind in NON_PENETRATING)


def prompt_gammas(
    nuclide: str, *, window_keV: tuple[float, float] = PET_WINDOW_KEV
) -> tuple[tuple[Emission, ...], float]:
    """γ lines of a positron emitter and the γ per decay that fall in a PET energy window.

    Such γ rays are emitted within picoseconds of the decay, so in coincidence with its
    annihilation photons ("prompt γ"): with energies inside the window they make
    spurious (prompt-γ) coincidences (I-124 602.7 keV, 62.9 %; Ga-68 1077 keV is outside
    a 350–650 keV window but still scatters down into it).

    Returns
    -------
    tuple
        The γ lines (annihilation excluded) and the γ per decay inside ``window_keV``.
    """
    if get_nuclide(nuclide).beta_plus_fraction <= 0:
        raise PositrixError(
            f"{get_nuclide(nuclide).name} is not a positron emitter: no prompt γ in PET",
            field="nuclide",
            fix="ask for its gamma lines with radiation='gamma'",
        )
    low, high = window_keV
    lines = emissions(nuclide, radiation="gamma")
    inside = sum(row.intensity for row in lines if low <= row.energy_keV <= high)
    return lines, inside
