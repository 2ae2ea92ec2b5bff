"""Organ dosimetry from biodistribution or TAC tables: TIA coefficients, MIRD doses,
animal → human extrapolation.

A table has one row per region (``organ`` or ``region``), time and animal, with the time
in a unit-named column (``time_s``, ``time_min``, ``time_h``, ``time_d``) and one uptake
column: ``percent_ia`` (or ``percent_id``, % of the injected activity in the organ),
``percent_id_per_g`` with ``mass_g`` (the organ's mass), or ``activity_Bq``/``_kBq``/
``_MBq`` (then ``--injected`` gives the fractions).  Rows of one region and time are
averaged (several animals).  Whether the values are decay-corrected to injection must be
said (``decay_corrected``): it decides whether the physical decay is applied.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from positrix.errors import PositrixError
from positrix.physics.decay import half_life_s as dataset_half_life
from positrix.physics.tia import fit_exponentials, tia_trapezoid, undo_decay_correction
from positrix.quant.biodist import read_table

__all__ = ["RegionCurve", "TiaResult", "read_tissue_doses", "read_uptake_table", "time_integrated"]

_TIME_UNITS = {"time_s": 1.0, "time_min": 60.0, "time_h": 3600.0, "time_d": 86400.0}
_ACTIVITY_UNITS = {"activity_Bq": 1.0, "activity_kBq": 1e3, "activity_MBq": 1e6}


@dataclass(frozen=True)
class RegionCurve:
    """Mean fraction of the injected activity in one region at each time.

    Attributes
    ----------
    region
        Region (organ) name.
    times_s
        Times after injection in s, increasing.
    fraction
        Fraction of the injected activity (0–1), decay-corrected to injection.
    mass_g
        Mean organ mass in g when the table gives it, else ``None``.
    n_animals
        Rows averaged at each time.
    """

    region: str
    times_s: tuple[float, ...]
    fraction: tuple[float, ...]
    mass_g: float | None
    n_animals: tuple[int, ...]


def _region_key(row: dict[str, str], path: Path) -> str:
    for key in ("organ", "region", "tissue"):
        if row.get(key, "").strip():
            return row[key].strip()
    raise PositrixError(
        f"{path}: a row has no organ/region name",
        field="organ",
        fix="add an 'organ' (or 'region') column with a name on every row",
    )


def _number(text: str | None, path: Path, line: int, column: str) -> float:
    try:
        value = float(text or "")
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise PositrixError(
            f"{path}, line {line}: {column} '{text}' is not a number ≥ 0",
            field=column,
            fix="write a plain number (decimal point, no unit: the unit is in the column name)",
        )
    return value


def read_uptake_table(
    path: str | Path,
    *,
    nuclide: str,
    decay_corrected: bool,
    injected_bq: float | None = None,
    dataset: str = "ENSDF",
) -> list[RegionCurve]:
    """Read an uptake table into decay-corrected fractions per region (see module doc).

    Raises
    ------
    PositrixError
        Naming the file, the line, the column and the fix.
    """
    path = Path(path)
    rows = read_table(path)
    header = list(rows[0])
    time_columns = [c for c in header if c in _TIME_UNITS]
    if len(time_columns) != 1:
        raise PositrixError(
            f"{path}: needs one time column, found {time_columns or 'none'}",
            field="time",
            fix="name it time_s, time_min, time_h or time_d (hours after injection: time_h)",
        )
    value_column, scale = _value_column(header, path, injected_bq)
    lam = math.log(2.0) / dataset_half_life(nuclide, dataset)
    groups: dict[str, dict[float, list[float]]] = {}
    masses: dict[str, list[float]] = {}
    for line, row in enumerate(rows, start=2):
        region = _region_key(row, path)
        t = (
            _number(row[time_columns[0]], path, line, time_columns[0])
            * _TIME_UNITS[time_columns[0]]
        )
        value = _number(row.get(value_column), path, line, value_column) * scale
        if value_column == "percent_id_per_g":
            mass = _number(row.get("mass_g"), path, line, "mass_g")
            masses.setdefault(region, []).append(mass)
            value *= mass
        elif row.get("mass_g", "").strip():
            masses.setdefault(region, []).append(_number(row["mass_g"], path, line, "mass_g"))
        if not decay_corrected:
            value *= math.exp(lam * t)
        groups.setdefault(region, {}).setdefault(t, []).append(value)
    return [
        RegionCurve(
            region=region,
            times_s=tuple(sorted(points)),
            fraction=tuple(float(np.mean(points[t])) for t in sorted(points)),
            mass_g=float(np.mean(masses[region])) if region in masses else None,
            n_animals=tuple(len(points[t]) for t in sorted(points)),
        )
        for region, points in groups.items()
    ]


def _value_column(header: list[str], path: Path, injected_bq: float | None) -> tuple[str, float]:
    for column in ("percent_ia", "percent_id"):
        if column in header:
            return column, 0.01
    if "percent_id_per_g" in header:
        if "mass_g" not in header:
            raise PositrixError(
                f"{path}: percent_id_per_g needs the organ masses",
                field="mass_g",
                fix="add a mass_g column (the organ's weight) or give percent_ia",
            )
        return "percent_id_per_g", 0.01
    for column, factor in _ACTIVITY_UNITS.items():
        if column in header:
            if not injected_bq:
                raise PositrixError(
                    f"{path}: activities need the injected activity",
                    field="--injected",
                    fix="give --injected (e.g. 10MBq) or a percent_ia column",
                )
            return column, factor / injected_bq
    raise PositrixError(
        f"{path}: no uptake column in {header}",
        field="header",
        fix="add percent_ia, percent_id_per_g (+ mass_g) or activity_MBq",
    )


@dataclass(frozen=True)
class TiaResult:
    """Time-integrated activity coefficient of one region.

    Attributes
    ----------
    region
        Region name.
    tiac_h
        ã = Ã / A0 in h (MBq·h per MBq injected; "residence time").
    method
        ``trapezoid`` or ``exponential``.
    details
        Method details (fit parameters, tail share).
    mass_g
        Mean organ mass in g, or ``None``.
    """

    region: str
    tiac_h: float
    method: str
    details: dict[str, Any] = field(default_factory=dict)
    mass_g: float | None = None


def time_integrated(
    curves: list[RegionCurve],
    *,
    nuclide: str,
    method: str = "trapezoid",
    start: str = "zero",
    terms: int = 1,
    dataset: str = "ENSDF",
) -> list[TiaResult]:
    """TIA coefficients (h) of each region: the decay-corrected fractions are decayed
    physically and integrated (:mod:`positrix.physics.tia`)."""
    half_life = dataset_half_life(nuclide, dataset)
    lam = math.log(2.0) / half_life
    results = []
    details: dict[str, Any]
    for curve in curves:
        times = np.array(curve.times_s)
        physical = undo_decay_correction(np.array(curve.fraction), times, half_life_s=half_life)
        if method == "trapezoid":
            tia = float(tia_trapezoid(times, physical, half_life_s=half_life, start=start))
            details = {"tail_fraction": float(physical[-1] / lam / tia) if tia > 0 else 0.0}
        elif method == "exponential":
            fit = fit_exponentials(times, physical, half_life_s=half_life, terms=terms)
            tia = fit.tia
            details = {
                "amplitudes": list(fit.amplitudes),
                "effective_half_lives_h": [h / 3600.0 for h in fit.effective_half_lives_s],
                "rms_residual": fit.rms_residual,
            }
        else:
            raise PositrixError(
                f"unknown method '{method}'", field="--method", fix="trapezoid or exponential"
            )
        results.append(TiaResult(curve.region, tia / 3600.0, method, details, curve.mass_g))
    return results


def human_time_integrated(
    curves: list[RegionCurve],
    *,
    nuclide: str,
    animal_mass_g: float,
    sex: str = "male",
    human_masses_g: dict[str, float] | None = None,
    time_scaling: bool = True,
    start: str = "zero",
    dataset: str = "ENSDF",
) -> list[dict[str, Any]]:
    """Human TIA coefficients (h) per organ by relative mass (and time) scaling of the animal's
    decay-corrected curves (:mod:`positrix.physics.extrapolation`), then physical decay on
    the human time axis and trapezoids with the physical tail."""
    from positrix.physics.extrapolation import extrapolate_to_human, reference_organ_mass_g

    body = reference_organ_mass_g("total body", sex=sex)
    half_life = dataset_half_life(nuclide, dataset)
    rows = []
    for curve in curves:
        if curve.mass_g is None:
            raise PositrixError(
                f"no animal organ mass for {curve.region}", field="mass_g",
                fix="add a mass_g column (the organ's weight in g)",
            )  # fmt: skip
        human = (human_masses_g or {}).get(curve.region) or reference_organ_mass_g(
            curve.region, sex=sex
        )
        times, percent = extrapolate_to_human(
            curve.times_s, np.array(curve.fraction) * 100.0, organ_mass_animal_g=curve.mass_g,
            body_mass_animal_g=animal_mass_g, organ_mass_human_g=human, body_mass_human_g=body,
            time_scaling=time_scaling,
        )  # fmt: skip
        physical = undo_decay_correction(percent / 100.0, times, half_life_s=half_life)
        tia = float(tia_trapezoid(times, physical, half_life_s=half_life, start=start))
        rows.append({"organ": curve.region, "human_mass_g": human, "tiac_h": tia / 3600.0})
    return rows


_DOSE_UNITS = {
    "dose_Gy": (1.0, True),
    "dose_mGy": (1e-3, True),
    "dose_Sv": (1.0, False),
    "dose_mSv": (1e-3, False),
}


def read_tissue_doses(path: Path) -> dict[str, float]:
    """Equivalent dose (Sv) per tissue from a table: ``tissue`` and one of ``dose_Gy``,
    ``dose_mGy`` (absorbed; weighted by ``radiation``: ``alpha`` × 20, else × 1) or
    ``dose_Sv``, ``dose_mSv`` (already equivalent).  Rows of one tissue add up."""
    from positrix.physics.effective_dose import equivalent_dose

    rows = read_table(path)
    header = list(rows[0])
    columns = [c for c in header if c in _DOSE_UNITS]
    if "tissue" not in header or len(columns) != 1:
        raise PositrixError(
            f"{path}: columns {header} need 'tissue' and one of {', '.join(_DOSE_UNITS)}",
            field="header",
            fix="e.g. tissue,dose_mGy,radiation",
        )
    factor, absorbed = _DOSE_UNITS[columns[0]]
    out: dict[str, float] = {}
    for line, row in enumerate(rows, start=2):
        value = _number(row[columns[0]], path, line, columns[0]) * factor
        kind = (row.get("radiation") or "other").strip() or "other"
        sv = equivalent_dose({kind: value}) if absorbed else value
        name = row["tissue"].strip()
        out[name] = out.get(name, 0.0) + sv
    return out
