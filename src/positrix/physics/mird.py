"""MIRD absorbed dose: D(target) = Σ_source Ã(source) · S(target ← source).

S-values come from a table the user supplies (mouse or rat organ or voxel phantoms: a CSV
with ``target, source, S`` and the unit in the header, e.g. ``S_mGy_per_MBq_s``), or from
the shipped self-dose sphere model: a uniform source in a sphere of unit-density tissue,
absorbing the α particles and Auger electrons where they are emitted and the β and
conversion electrons along straight CSDA tracks (:mod:`positrix.physics.dose_kernel`'s
radial profile); the fraction of a track's energy at distance r that stays in a sphere of
radius R is the geometric P(r) = 1 − 3r/(4R) + r³/(16R³) (r ≤ 2R, 0 beyond), exact for a
uniform source.  Photons are not included in the sphere model (their absorbed fraction in
a mouse organ is a few %); they are reported as energy not counted.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from positrix.errors import PositrixError
from positrix.physics.dose_kernel import MEV_TO_J, local_energy_MeV, radial_energy_profile
from positrix.physics.emissions import energy_per_decay_MeV

__all__ = [
    "S_UNITS",
    "SValues",
    "absorbed_doses",
    "read_s_values",
    "sphere_absorbed_fraction",
    "sphere_s_value",
]

#: S-value units understood in a table header → factor to Gy per (Bq·s).
S_UNITS = {
    "Gy_per_Bq_s": 1.0,
    "mGy_per_MBq_s": 1e-3 / 1e6,
    "mGy_per_MBq_h": 1e-3 / 1e6 / 3600.0,
    "uGy_per_MBq_s": 1e-6 / 1e6,
    "rad_per_uCi_h": 1e-2 / 3.7e4 / 3600.0,
}


@dataclass(frozen=True)
class SValues:
    """An S-value table: S(target ← source) in Gy per decay (Gy/(Bq·s)).

    Attributes
    ----------
    values
        ``(target, source) → S`` in Gy/(Bq·s).
    radiation
        ``(target, source) → "alpha"`` for rows that are α dose (radiation weight 20),
        ``"other"`` otherwise.
    source_file
        Where the table came from (for the report).
    """

    values: dict[tuple[str, str], float]
    radiation: dict[tuple[str, str], str]
    source_file: str

    @property
    def sources(self) -> list[str]:
        """Source regions in table order."""
        return list(dict.fromkeys(source for _, source in self.values))

    @property
    def targets(self) -> list[str]:
        """Target regions in table order."""
        return list(dict.fromkeys(target for target, _ in self.values))


def read_s_values(path: Path) -> SValues:
    """Read an S-value CSV: columns ``target``, ``source``, ``S_<unit>`` (see :data:`S_UNITS`)
    and optionally ``radiation`` (``alpha`` or ``other``).

    Raises
    ------
    PositrixError
        Naming the file, the column or row, and the fix.
    """
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as error:
        raise PositrixError(f"cannot read {path}: {error.strerror}", field="--s-values") from None
    rows = list(csv.DictReader(line for line in text.splitlines() if not line.startswith("#")))
    header = list(rows[0]) if rows else []
    unit_columns = [c for c in header if c.startswith("S_")]
    if not {"target", "source"} <= set(header) or len(unit_columns) != 1:
        raise PositrixError(
            f"{path}: columns {header} lack target, source and one S_<unit> column",
            field="header",
            fix="columns target,source,S_mGy_per_MBq_s (units: " + ", ".join(S_UNITS) + ")",
        )
    unit = unit_columns[0][2:]
    if unit not in S_UNITS:
        raise PositrixError(
            f"{path}: unknown S-value unit '{unit}'",
            field=unit_columns[0],
            fix="one of " + ", ".join("S_" + u for u in S_UNITS),
        )
    values: dict[tuple[str, str], float] = {}
    radiation: dict[tuple[str, str], str] = {}
    for number, row in enumerate(rows, start=2):
        key = (row["target"].strip(), row["source"].strip())
        try:
            value = float(row[unit_columns[0]])
        except (TypeError, ValueError):
            value = math.nan
        if not math.isfinite(value) or value < 0:
            raise PositrixError(
                f"{path}, line {number}: S-value '{row[unit_columns[0]]}' is not a number ≥ 0",
                field=unit_columns[0],
                fix="write a plain number such as 1.2e-3",
            )
        if key in values:
            raise PositrixError(
                f"{path}, line {number}: {key[0]} ← {key[1]} appears twice",
                field="target,source",
                fix="keep one row per target and source",
            )
        kind = (row.get("radiation") or "other").strip() or "other"
        if kind not in ("alpha", "other"):
            raise PositrixError(
                f"{path}, line {number}: radiation '{kind}'",
                field="radiation",
                fix="alpha or other",
            )
        values[key] = value * S_UNITS[unit]
        radiation[key] = kind
    return SValues(values=values, radiation=radiation, source_file=str(path))


def _sphere_p(r: np.ndarray, radius: float) -> np.ndarray:
    x = r / radius
    return np.where(x < 2.0, 1.0 - 0.75 * x + x**3 / 16.0, 0.0)


def sphere_absorbed_fraction(nuclide: str, mass_g: float, *, density_g_ml: float = 1.0) -> float:
    """Fraction of the β and conversion-electron energy absorbed in a sphere (uniform source).

    Examples
    --------
    >>> round(sphere_absorbed_fraction("Y-90", 1000.0), 2)  # a 62 mm sphere keeps most
    0.96
    """
    r, profile = radial_energy_profile(nuclide)
    return _fraction(r, profile, _sphere_radius_mm(mass_g, density_g_ml))


def _fraction(r: np.ndarray, profile: np.ndarray, radius_mm: float) -> float:
    total = float(profile.sum())
    return float((profile * _sphere_p(r, radius_mm)).sum() / total) if total > 0 else 1.0


def _sphere_radius_mm(mass_g: float, density_g_ml: float) -> float:
    if not (math.isfinite(mass_g) and mass_g > 0 and density_g_ml > 0):
        raise PositrixError(
            f"sphere mass {mass_g} g", field="--mass", fix="give the organ's mass in g (> 0)"
        )
    volume_mm3 = mass_g / density_g_ml * 1000.0
    return (3.0 * volume_mm3 / (4.0 * math.pi)) ** (1.0 / 3.0)


def sphere_s_value(nuclide: str, mass_g: float, *, density_g_ml: float = 1.0) -> dict[str, float]:
    """Self-dose S-value of a sphere, Gy/(Bq·s), split by radiation.

    Returns
    -------
    dict
        ``alpha`` (α energy, all absorbed), ``electrons`` (β, conversion and Auger
        electrons), ``total`` (their sum), and ``photons_not_counted_MeV`` (photon energy
        per decay left out of the model).
    """
    kg = mass_g / 1000.0
    energy = energy_per_decay_MeV(nuclide)
    r, profile = radial_energy_profile(nuclide)
    fraction = _fraction(r, profile, _sphere_radius_mm(mass_g, density_g_ml))
    tracks = float(profile.sum() * (r[1] - r[0])) if r.size > 1 else 0.0
    alpha = energy["alpha"] * MEV_TO_J / kg
    electrons = (tracks * fraction + local_energy_MeV(nuclide) - energy["alpha"]) * MEV_TO_J / kg
    return {
        "alpha": alpha,
        "electrons": electrons,
        "total": alpha + electrons,
        "photons_not_counted_MeV": energy["gamma"] + energy["x-ray"] + energy["annihilation"],
    }


def absorbed_doses(tia_bq_s: dict[str, float], s_values: SValues) -> dict[str, dict[str, float]]:
    """Absorbed dose per target, Gy, split into α and other radiations.

    Parameters
    ----------
    tia_bq_s
        Source region → time-integrated activity (decays, Bq·s).
    s_values
        The S-value table.

    Raises
    ------
    PositrixError
        When a source has no S-values in the table.
    """
    missing = sorted(set(tia_bq_s) - set(s_values.sources))
    if missing:
        raise PositrixError(
            f"no S-values for source region(s) {', '.join(missing)} in {s_values.source_file}",
            field="source",
            fix="add rows for them or rename the regions to the table's names",
        )
    doses: dict[str, dict[str, float]] = {}
    for (target, source), value in s_values.values.items():
        if source not in tia_bq_s:
            continue
        part = doses.setdefault(target, {"alpha": 0.0, "other": 0.0})
        part[s_values.radiation[(target, source)]] += tia_bq_s[source] * value
    for part in doses.values():
        part["total"] = part["alpha"] + part["other"]
    return doses
