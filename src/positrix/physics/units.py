"""Units at the edges: parse activities, concentrations, masses, lengths and time points.

Internally Positrix uses Bq, Bq/mL, s, mm, mL and g.  These helpers turn user text
(``"370MBq"``, ``"10 mCi"``, ``"25g"``, ``"2026-05-01T09:30+02:00"``, ``"15"`` minutes) into
those units and raise :class:`~positrix.errors.UnitError` with the accepted spellings otherwise.

Unit expressions are parsed by `pint <https://pint.readthedocs.io>`_ against a small registry
of our own (the units of nuclear medicine, with SI prefixes).  SI prefixes are case-sensitive,
as the SI says: ``mBq`` is a millibecquerel and ``MBq`` a megabecquerel, and a spelling that
is neither (``MCI``, ``mbq``) is refused with the spellings it could have meant.  The registry
is built on first use (a few milliseconds), never at import time.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from functools import cache
from typing import Any

from positrix.errors import UnitError

__all__ = [
    "ACTIVITY_UNITS_BQ",
    "CONCENTRATION_UNITS_BQ_PER_ML",
    "WEIGHT_UNITS_G",
    "activity_unit_factor",
    "as_aware",
    "concentration_factor",
    "format_activity",
    "is_concentration_unit",
    "parse_activity",
    "parse_activity_at",
    "parse_duration",
    "parse_iso_datetime",
    "parse_length",
    "parse_mass",
    "parse_quantity",
    "parse_time_point",
    "readable_concentration",
]

#: Activity units found in file headers (lower-case codes of fixed vocabularies) → Bq.
#: User text never goes through this table: it is parsed case-sensitively by
#: :func:`parse_activity`.
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

#: Concentration units with their canonical spelling and their value in Bq/mL (1 cc = 1 mL).
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

#: Mass units found in file headers → g.
WEIGHT_UNITS_G: dict[str, float] = {"g": 1.0, "kg": 1e3, "oz": 28.349523125, "lb": 453.59237}

#: The registry: base units are the internal units, so conversions are exact powers of ten.
_DEFINITIONS = """
giga- = 1e9 = G-
mega- = 1e6 = M-
kilo- = 1e3 = k-
centi- = 1e-2 = c-
milli- = 1e-3 = m-
micro- = 1e-6 = µ- = μ- = u-
nano- = 1e-9 = n-
pico- = 1e-12 = p-
becquerel = [activity] = Bq
curie = 3.7e10 Bq = Ci
second = [time] = s = sec
minute = 60 s = min
hour = 3600 s = h
day = 86400 s = d
gram = [mass] = g
pound = 453.59237 g = lb
ounce = 28.349523125 g = oz
millimetre = [length] = mm
metre = 1000 mm = m
inch = 25.4 mm = in
millilitre = [volume] = mL = ml = cc
litre = 1000 mL = L = l
ampere = [current] = A
"""

#: The SI prefixes each unit takes (any other unit is written as it is: no ``kmin``).  Only
#: the prefixes in use: ``MCi`` (3.7 × 10¹⁶ Bq) or ``ML`` (a megalitre) are typos of ``mCi``
#: and ``mL``, so they are refused rather than read.
_PREFIXES = {
    "becquerel": {"milli", "kilo", "mega", "giga"},
    "curie": {"milli", "micro", "nano", "pico"},
    "second": {"milli", "micro"},
    "gram": {"milli", "micro", "kilo"},
    "metre": {"milli", "centi", "micro"},
    "ampere": {"milli", "micro", "nano"},
    "litre": {"milli", "micro"},
}

#: Spellings offered when a unit is not recognised, by dimension.
_SPELLINGS = {
    "activity": ["Bq", "kBq", "MBq", "GBq", "mBq", "Ci", "mCi", "uCi", "nCi"],
    "concentration": list(CONCENTRATION_UNITS_BQ_PER_ML),
    "mass": ["g", "kg", "mg", "lb", "oz"],
    "length": ["mm", "cm", "m", "in"],
    "time": ["s", "min", "h", "d", "ms"],
    "current": ["uA", "µA", "mA", "nA"],
    "volume": ["mL", "uL", "µL", "L"],
}

#: Dimensionality of each kind of quantity, in the registry's dimensions.
_DIMENSIONS = {
    "activity": {"[activity]": 1},
    "concentration": {"[activity]": 1, "[volume]": -1},
    "mass": {"[mass]": 1},
    "length": {"[length]": 1},
    "time": {"[time]": 1},
    "current": {"[current]": 1},
    "volume": {"[volume]": 1},
}

#: The internal unit of each kind of quantity.
_BASE = {
    "activity": "Bq",
    "concentration": "Bq/mL",
    "mass": "g",
    "length": "mm",
    "time": "s",
    "current": "uA",
    "volume": "mL",
}

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
#: A unit expression: names joined by ``/``, ``*`` or ``·`` (nothing for pint to evaluate).
_UNIT = re.compile(r"^[A-Za-zµμ]+(?:\s*[/*·]\s*[A-Za-zµμ]+)*$")
_QUANTITY = re.compile(rf"^\s*(?P<value>{_NUMBER})\s*(?P<unit>.*?)\s*$")


@cache
def _registry() -> Any:
    """The pint registry of nuclear-medicine units (built once, on first use)."""
    import pint

    registry: Any = pint.UnitRegistry(None, autoconvert_offset_to_baseunit=False)
    for line in _DEFINITIONS.strip().splitlines():
        registry.define(line)
    return registry


def _unknown(unit: str, kind: str, field: str, text: str) -> UnitError:
    options = _SPELLINGS[kind]
    close = [u for u in options if u.lower() == unit.lower()]
    hint = (
        f"SI prefixes are case-sensitive; did you mean {' or '.join(close)}?"
        if close
        else "use one of " + ", ".join(options)
    )
    return UnitError(
        f"'{unit}' in '{text}' is not a unit of {kind}",
        field=field,
        fix=hint,
    )


def _unit_factor(unit: str, kind: str, *, field: str, text: str) -> float:
    """Value of one ``unit`` in the internal unit of ``kind`` (case-sensitive)."""
    factor = _factor(unit, kind)
    if factor is None:
        raise _unknown(unit, kind, field, text)
    return factor


@cache
def _factor(unit: str, kind: str) -> float | None:
    """The factor of a unit spelling, ``None`` when it is not a unit of ``kind`` (parsed once
    per spelling: image units are looked up on every conversion)."""
    import pint

    registry = _registry()
    if not _UNIT.match(unit):
        return None
    try:
        parsed = registry.parse_units(unit.replace("·", "*"))
    except (pint.errors.PintError, AttributeError, TypeError, ValueError, SyntaxError):
        return None
    for name in parsed._units:
        prefix, base, _ = registry.parse_unit_name(name)[0]
        if prefix and prefix not in _PREFIXES.get(base, set()):
            return None
    quantity = registry.Quantity(1.0, parsed)
    if dict(quantity.dimensionality) != _DIMENSIONS[kind]:
        return None
    return float(quantity.to(_BASE[kind]).magnitude)


def parse_quantity(
    text: str | float,
    kind: str,
    *,
    field: str,
    positive: bool = False,
    allow_negative: bool = False,
) -> float:
    """A number with its unit, in Positrix's internal unit for ``kind``.

    Parameters
    ----------
    text
        A number followed by a unit, e.g. ``"370 MBq"``, ``"25g"``, ``"1.5 h"``.
    kind
        ``"activity"`` (→ Bq), ``"concentration"`` (→ Bq/mL), ``"mass"`` (→ g),
        ``"length"`` (→ mm), ``"time"`` (→ s), ``"current"`` (→ µA) or ``"volume"``
        (→ mL).
    field
        The option or field name, for the error message.
    positive
        Refuse zero as well as negative values.
    allow_negative
        Accept negative values (e.g. a time offset).

    Returns
    -------
    float
        The value in the internal unit; always finite.

    Raises
    ------
    UnitError
        For a missing or unknown unit, a unit of another kind, or a value out of range.

    Examples
    --------
    >>> parse_quantity("370 MBq", "activity", field="--activity")
    370000000.0
    >>> parse_quantity("2.5 kBq/cc", "concentration", field="x")
    2500.0
    """
    match = _QUANTITY.match(str(text))
    example = {"activity": "370MBq", "concentration": "5kBq/mL", "mass": "25g",
               "length": "9.5cm", "time": "20min", "current": "40uA",
               "volume": "10mL"}[kind]  # fmt: skip
    if not match or not match["unit"]:
        raise UnitError(
            f"cannot read '{text}' as {'an' if kind[0] in 'aeiou' else 'a'} {kind} with a unit",
            field=field,
            fix=f"write a number and a unit, e.g. {example}",
        )
    value = float(match["value"]) * _unit_factor(match["unit"], kind, field=field, text=str(text))
    if not math.isfinite(value):
        raise UnitError(f"'{text}' is out of range", field=field, fix=f"give e.g. {example}")
    if (value < 0 and not allow_negative) or (positive and value == 0):
        bound = "> 0" if positive else "≥ 0"
        raise UnitError(
            f"{kind} '{text}' must be {bound}", field=field, fix=f"give a value {bound}"
        )
    return value


def parse_activity(text: str | float, *, field: str = "activity") -> float:
    """Parse an activity such as ``"370MBq"``, ``"10 mCi"`` or ``"3.7e8 Bq"`` into Bq.

    A bare number is refused: an activity without a unit is ambiguous.  Prefixes are
    case-sensitive (``370mBq`` is 0.37 Bq).

    Examples
    --------
    >>> parse_activity("10 mCi")
    370000000.0
    >>> parse_activity("370mBq")
    0.37
    """
    return parse_quantity(text, "activity", field=field)


def parse_mass(text: str | float, *, field: str = "weight") -> float:
    """Parse a mass such as ``"25g"`` or ``"0.3 kg"`` into g (must be > 0).

    Examples
    --------
    >>> parse_mass("0.3 kg")
    300.0
    """
    return parse_quantity(text, "mass", field=field, positive=True)


def parse_length(text: str | float, *, field: str = "length") -> float:
    """Parse a length such as ``"9.5cm"`` into mm (must be > 0).

    Examples
    --------
    >>> parse_length("9.5cm")
    95.0
    """
    return parse_quantity(text, "length", field=field, positive=True)


def activity_unit_factor(unit: str, *, field: str = "unit") -> float:
    """Value of one activity ``unit`` in Bq, case-sensitive (``"MBq"`` → 1e6).

    Examples
    --------
    >>> activity_unit_factor("mCi")
    37000000.0
    """
    return _unit_factor(unit.strip(), "activity", field=field, text=unit)


def format_activity(activity_bq: float) -> str:
    """Human-readable activity with an SI prefix, e.g. ``"370 MBq"``.

    Examples
    --------
    >>> format_activity(3.7e8)
    '370 MBq'
    """
    for unit, scale in (("GBq", 1e9), ("MBq", 1e6), ("kBq", 1e3)):
        if abs(activity_bq) >= scale:
            return f"{activity_bq / scale:.4g} {unit}"
    return f"{activity_bq:.4g} Bq"


def readable_concentration(unit: str, largest: float) -> tuple[float, str]:
    """A display unit for concentrations up to ``largest`` (in ``unit``): ``(factor, name)``
    such that ``value * factor`` is in ``name`` (Bq/mL → kBq/mL or MBq/mL; others unchanged).

    Examples
    --------
    >>> readable_concentration("Bq/mL", 2.5e7)
    (1e-06, 'MBq/mL')
    """
    if not is_concentration_unit(unit):
        return 1.0, unit
    bq_per_ml = abs(largest) * concentration_factor(unit)
    for name, scale in (("MBq/mL", 1e6), ("kBq/mL", 1e3)):
        if bq_per_ml >= scale:
            return concentration_factor(unit) / scale, name
    return concentration_factor(unit), "Bq/mL"


def concentration_factor(unit: str, *, field: str = "unit") -> float:
    """Value of one ``unit`` of activity concentration in Bq/mL (``"kBq/mL"`` → 1000).

    Case-sensitive; ``mL``, ``ml`` and ``cc`` are the same volume.

    Examples
    --------
    >>> concentration_factor("nCi/cc")
    37.0
    """
    return _unit_factor(unit.strip(), "concentration", field=field, text=unit)


def is_concentration_unit(unit: str) -> bool:
    """Whether ``unit`` is an activity concentration (``"kBq/mL"`` yes, ``"SUVbw"`` no).

    Examples
    --------
    >>> is_concentration_unit("Bq/mL"), is_concentration_unit("SUVbw")
    (True, False)
    """
    try:
        concentration_factor(unit)
    except UnitError:
        return False
    return True


def as_aware(moment: datetime) -> datetime:
    """Return ``moment`` with a time zone; naive datetimes are taken as UTC.

    For date-times read from files whose format records no zone; user input goes through
    :func:`parse_iso_datetime` with ``require_offset=True`` instead.
    """
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _no_offset(text: str, field: str) -> UnitError:
    return UnitError(
        f"'{text}' has no UTC offset, so the moment it names is ambiguous",
        field=field,
        fix=f"add the offset, e.g. {text.strip()}+01:00 (or Z for UTC)",
    )


def parse_iso_datetime(
    text: str | None, *, field: str = "time", require_offset: bool = False
) -> datetime | None:
    """An ISO 8601 date-time as an aware datetime; ``None`` for empty text.

    Parameters
    ----------
    text
        E.g. ``"2026-05-01T09:30:00+02:00"``.
    field
        Field or option name for the error message.
    require_offset
        Refuse a date-time without a UTC offset (user input); otherwise a naive date-time
        (a file format that records none) is taken as UTC.

    Examples
    --------
    >>> parse_iso_datetime("2026-05-01T09:30Z").isoformat()
    '2026-05-01T09:30:00+00:00'
    """
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UnitError(
            f"cannot read '{text}' as an ISO 8601 date-time",
            field=field,
            fix="write it as YYYY-MM-DDTHH:MM:SS+HH:MM",
        ) from None
    if require_offset and moment.tzinfo is None:
        raise _no_offset(text, field)
    return as_aware(moment)


def parse_activity_at(text: str, *, field: str = "activity") -> tuple[float, datetime]:
    """An activity and the moment it was measured: ``"7.5MBq@2026-03-14T09:26:53+01:00"``.

    Returns
    -------
    tuple
        Activity in Bq and an aware datetime (the offset is required).

    Examples
    --------
    >>> bq, when = parse_activity_at("7.5MBq@2026-03-14T09:26:53+01:00")
    >>> bq, when.isoformat()
    (7500000.0, '2026-03-14T09:26:53+01:00')
    """
    activity, at, moment = str(text).partition("@")
    if not at:
        raise UnitError(
            f"'{text}' gives no time of measurement",
            field=field,
            fix="write ACTIVITY@DATE-TIME, e.g. 7.5MBq@2026-03-14T09:26:53+01:00",
        )
    when = parse_iso_datetime(moment, field=field, require_offset=True)
    if when is None:
        raise UnitError(f"'{text}' gives no time after @", field=field, fix="add the date-time")
    return parse_activity(activity, field=field), when


def parse_time_point(text: str, *, field: str = "time") -> datetime | float:
    """Parse a time point: an ISO 8601 date-time or a number of minutes.

    Returns
    -------
    datetime or float
        A datetime as written (naive when the text has no UTC offset: the caller decides
        whether that is ambiguous), or seconds (float) when the text is a number of minutes.

    Examples
    --------
    >>> parse_time_point("90")
    5400.0
    """
    stripped = text.strip()
    try:
        minutes = float(stripped)
    except ValueError:
        pass
    else:
        if not math.isfinite(minutes):
            raise UnitError(
                f"'{text}' is not a finite number of minutes",
                field=field,
                fix="give a number of minutes such as 110, or an ISO date-time",
            )
        return minutes * 60.0
    try:
        return datetime.fromisoformat(stripped)
    except ValueError:
        raise UnitError(
            f"cannot read '{text}' as a time",
            field=field,
            fix="give an ISO date-time such as 2026-05-01T09:30:00+02:00 or a number of minutes",
        ) from None


def parse_duration(text: str, *, field: str = "duration") -> float:
    """Seconds from a duration with its unit: ``"90s"``, ``"20min"``, ``"1.5 h"`` (> 0).

    Examples
    --------
    >>> parse_duration("1.5 h")
    5400.0
    """
    return parse_quantity(text, "time", field=field, positive=True)
