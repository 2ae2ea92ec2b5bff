from datetime import UTC, datetime

import pytest

from positrix.errors import UnitError
from positrix.physics.units import concentration_factor, parse_activity, parse_time_point


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
    assert parse_time_point("2026-05-01T09:30:00") == datetime(2026, 5, 1, 9, 30, tzinfo=UTC)
    moment = parse_time_point("2026-05-01T09:30:00+02:00")
    assert isinstance(moment, datetime) and moment.utcoffset().total_seconds() == 7200
    with pytest.raises(UnitError):
        parse_time_point("yesterday")


def test_concentration_units():
    assert concentration_factor("kBq/mL") == 1e3
    assert concentration_factor("nCi/cc") == 37.0
    with pytest.raises(UnitError):
        concentration_factor("furlongs")
