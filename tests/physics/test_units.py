from datetime import UTC, datetime

import pytest

from positrix.errors import UnitError
from positrix.physics.units import (
    concentration_factor,
    is_concentration_unit,
    parse_activity,
    parse_iso_datetime,
    parse_length,
    parse_mass,
    parse_quantity,
    parse_time_point,
)


@pytest.mark.parametrize(
    ("text", "bq"),
    [
        ("370MBq", 370e6),
        ("10 mCi", 370e6),
        ("37kBq", 37e3),
        ("3.7e8 Bq", 3.7e8),
        ("1 uCi", 3.7e4),
        ("0.5GBq", 5e8),
        ("2 nCi", 74.0),
        ("1Ci", 3.7e10),
    ],
)
def test_parse_activity(text, bq):
    assert parse_activity(text) == pytest.approx(bq, rel=1e-12)


@pytest.mark.parametrize("text", ["370", "370 MB", "abc", "-5 MBq", "MBq"])
def test_bad_activities_name_the_fix(text):
    with pytest.raises(UnitError) as err:
        parse_activity(text, field="--activity")
    assert "--activity" in str(err.value) and "Fix:" in str(err.value)


def test_time_points():
    assert parse_time_point("90") == 5400.0
    # a date-time without an offset stays naive: the caller decides (decay accepts two such)
    assert parse_time_point("2026-05-01T09:30:00") == datetime(2026, 5, 1, 9, 30)
    assert parse_time_point("2026-05-01T09:30:00Z") == datetime(2026, 5, 1, 9, 30, tzinfo=UTC)
    moment = parse_time_point("2026-05-01T09:30:00+02:00")
    assert isinstance(moment, datetime) and moment.utcoffset().total_seconds() == 7200
    with pytest.raises(UnitError):
        parse_time_point("yesterday")


def test_concentration_units():
    assert concentration_factor("kBq/mL") == 1e3
    assert concentration_factor("nCi/cc") == 37.0
    with pytest.raises(UnitError):
        concentration_factor("furlongs")


@pytest.mark.parametrize(
    ("text", "bq"),
    [("370mBq", 0.37), ("370 MBq", 3.7e8), ("2 µCi", 7.4e4), ("2 μCi", 7.4e4), ("5 kBq", 5e3)],
)
def test_si_prefixes_are_case_sensitive(text, bq):
    # mBq is the millibecquerel (SI), MBq the megabecquerel; exact powers of ten (rel 1e-12)
    assert parse_activity(text) == pytest.approx(bq, rel=1e-12)


@pytest.mark.parametrize(
    ("text", "hint"),
    [("10MCI", "mCi"), ("5 mbq", "MBq or mBq"), ("1 KBQ", "kBq"), ("3 kmin", "use one of")],
)
def test_ambiguous_spellings_are_refused(text, hint):
    kind = "time" if "min" in text else "activity"
    with pytest.raises(UnitError) as err:
        parse_quantity(text, kind, field="--activity")
    assert hint in str(err.value)


@pytest.mark.parametrize("text", ["1e400MBq", "nan MBq", "inf MBq", "5 s", "5 MBq/mL"])
def test_out_of_range_or_wrong_kind(text):
    with pytest.raises(UnitError):
        parse_activity(text)


def test_masses_lengths_and_concentrations_are_exact():
    assert parse_mass("25g") == 25.0 and parse_mass("0.3 kg") == 300.0
    assert parse_length("9.5 cm") == pytest.approx(95.0, rel=1e-12)
    assert concentration_factor("kBq/cc") == 1e3 and concentration_factor("MBq/ml") == 1e6
    assert not is_concentration_unit("SUVbw") and not is_concentration_unit("%ID/g")
    with pytest.raises(UnitError):
        parse_mass("0 g")


def test_offsets_are_required_where_asked():
    with pytest.raises(UnitError, match="no UTC offset"):
        parse_iso_datetime("2026-05-01T09:30:00", field="--start", require_offset=True)
    assert parse_iso_datetime("2026-05-01T09:30:00+02:00", require_offset=True) is not None
