"""Units at the edges: parse activities, concentrations, masses and time points.

Internally Positrix uses Bq, Bq/mL, s, mm, mL and g.  These helpers turn user text
(``"370MBq"``, ``"10 mCi"``, ``"2026-05-01T09:30"``, ``"15"`` minutes) into those units and
raise :class:`~positrix.errors.UnitError` with the accepted spellings otherwise.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from positrix.errors import UnitError

__all__ = [
    "ACTIVITY_UNITS_BQ",
    "CONCENTRATION_UNITS_BQ_PER_ML",
    "WEIGHT_UNITS_G",
    "as_aware",
    "concentration_factor",
    "format_activity",
    "parse_activity",
    "parse_duration",
    "parse_iso_datetime",
    "parse_time_point",
]

#: Activity units and their value in Bq.
ACTIVITY_UNITS_BQ: dict[str, float] = {
    "bq": 1.0,
    "kbq": 1e3,
    "mbq": 1e6,
    "gbq": 1e9,
    "ci": 3.7e10,
    "mci": 3.7e7,
    "uci": 3.7e4,
    "µci": 3.7e4,
    "nci": 37.0,
}

#: Concentration units and their value in Bq/mL (1 cc = 1 mL).
CONCENTRATION_UNITS_BQ_PER_ML: dict[str, float] = {
    "Bq/mL": 1.0,
    "kBq/mL": 1e3,
    "MBq/mL": 1e6,
    "Bq/cc": 1.0,
    "kBq/cc": 1e3,
    "nCi/cc": 37.0,
    "nCi/mL": 37.0,
    "uCi/mL": 3.7e4,
    "uCi/cc": 3.7e4,
}

#: Mass units and their value in g.
WEIGHT_UNITS_G: dict[str, float] = {"g": 1.0, "kg": 1e3, "oz": 28.349523125, "lb": 453.59237}

_QUANTITY = re.compile(r"^\s*(?P<value>[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?)\s*(?P<unit>\S*)\s*$")


def parse_activity(text: str | float, *, field: str = "activity") -> float:
    """Parse an activity such as ``"370MBq"``, ``"10 mCi"`` or ``"3.7e8 Bq"`` into Bq.

    A bare number is refused: an activity without a unit is ambiguous.

    Examples
    --------
    >>> parse_activity("10 mCi")
    370000000.0
    """
    match = _QUANTITY.match(str(text))
    if not match or not match["unit"]:
        raise UnitError(
            f"cannot read '{text}' as an activity with a unit",
            field=field,
            fix="write a number and a unit, e.g. 370MBq, 10mCi, 37kBq, 3.7e8Bq",
        )
    unit = match["unit"].lower()
    if unit not in ACTIVITY_UNITS_BQ:
        raise UnitError(
            f"unknown activity unit '{match['unit']}' in '{text}'",
            field=field,
            fix="use one of Bq, kBq, MBq, GBq, Ci, mCi, uCi, nCi",
        )
    value = float(match["value"])
    if value < 0:
        raise UnitError(f"activity '{text}' is negative", field=field, fix="give a value ≥ 0")
    return value * ACTIVITY_UNITS_BQ[unit]


def format_activity(activity_bq: float) -> str:
    """Human-readable activity with an SI prefix, e.g. ``"370 MBq"``."""
    for unit, scale in (("GBq", 1e9), ("MBq", 1e6), ("kBq", 1e3)):
        if abs(activity_bq) >= scale:
            return f"{activity_bq / scale:.4g} {unit}"
    return f"{activity_bq:.4g} Bq"


def concentration_factor(unit: str, *, field: str = "unit") -> float:
    """Value of one ``unit`` of activity concentration in Bq/mL (``"kBq/mL"`` → 1000)."""
    for name, factor in CONCENTRATION_UNITS_BQ_PER_ML.items():
        if name.lower() == unit.strip().lower():
            return factor
    raise UnitError(
        f"unknown concentration unit '{unit}'",
        field=field,
        fix="use one of " + ", ".join(CONCENTRATION_UNITS_BQ_PER_ML),
    )


def as_aware(moment: datetime) -> datetime:
    """Return ``moment`` with a time zone; naive datetimes are taken as UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def parse_iso_datetime(text: str | None, *, field: str = "time") -> datetime | None:
    """An ISO 8601 date-time as an aware datetime (naive → UTC); ``None`` for empty text."""
    if not text:
        return None
    try:
        return as_aware(datetime.fromisoformat(text.strip()))
    except ValueError:
        raise UnitError(
            f"cannot read '{text}' as an ISO 8601 date-time",
            field=field,
            fix="write it as YYYY-MM-DDTHH:MM:SS[+HH:MM]",
        ) from None


def parse_time_point(text: str, *, field: str = "time") -> datetime | float:
    """Parse a time point: an ISO 8601 date-time or a number of minutes.

    Returns
    -------
    datetime or float
        A time-zone-aware datetime (naive input is taken as UTC), or seconds (float)
        when the text is a plain number of minutes.
    """
    stripped = text.strip()
    try:
        return float(stripped) * 60.0
    except ValueError:
        pass
    try:
        return as_aware(datetime.fromisoformat(stripped))
    except ValueError:
        raise UnitError(
            f"cannot read '{text}' as a time",
            field=field,
            fix="give an ISO date-time such as 2026-05-01T09:30:00 or a number of minutes",
        ) from None


_DURATION = re.compile(r"^\s*(?P<value>\d+(?:\.\d*)?|\.\d+)\s*(?P<unit>s|sec|min|h)\s*$")
_DURATION_S = {"s": 1.0, "sec": 1.0, "min": 60.0, "h": 3600.0}


def parse_duration(text: str, *, field: str = "duration") -> float:
    """Seconds from a duration with its unit: ``"90s"``, ``"20min"``, ``"1.5 h"``."""
    match = _DURATION.match(str(text))
    if not match or not float(match["value"]) > 0:
        raise UnitError(
            f"cannot read '{text}' as a duration > 0",
            field=field,
            fix="give a number with s, min or h, e.g. 20min",
        )
    return float(match["value"]) * _DURATION_S[match["unit"]]
