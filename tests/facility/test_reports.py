"""report hours: the database's sums equal the billing rule applied booking by booking."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from positrix.facility.billing import billable_minutes
from positrix.facility.bookings import add_training, book, cancel, record_usage
from positrix.facility.people import add_member, create_project
from positrix.facility.reports import report_hours
from tests.facility.conftest import T

M = timedelta(minutes=1)


@pytest.fixture
def history(facility):
    session, users = facility
    sam = users["sam"]
    create_project(
        session,
        sam,
        "X002",
        pi="out",
        rate_tier="external",
        protocol="E-2",
        protocol_expiry=date(2027, 1, 1),
    )
    add_training(session, sam, "out", "inveon")
    add_member(session, sam, "X002", "out")
    # (project, user, start offset min, booked min, used (start, length) or None, cancelled)
    plan = [
        ("P001", "rui", 0, 20, None, False),  # 20 booked → 30 (minimum)
        ("P001", "rui", 60, 60, (55, 71), False),  # used 71 → 75
        ("P001", "rui", 180, 90, (180, 40), False),  # booked 90 → 90
        ("P001", "rui", 300, 60, None, True),  # cancelled: nothing
        ("X002", "out", 400, 61, None, False),  # 61 → 75, external rate
    ]
    expected = {}
    for code, user, offset, length, used, cancelled in plan:
        start = T + offset * M
        booking = book(
            session,
            sam,
            instrument="inveon",
            project=code,
            user=user,
            start=start,
            end=start + length * M,
        )
        if used is not None:
            record_usage(
                session, sam, booking.id, start=T + used[0] * M, end=T + (used[0] + used[1]) * M
            )
        if cancelled:
            cancel(session, sam, booking.id)
            continue
        rate = 200.0 if code == "X002" else 120.0
        minutes = billable_minutes(length, used[1] if used else None)
        row = expected.setdefault(code, {"booked": 0, "used": 0, "billable": 0, "amount": 0.0})
        row["booked"] += length
        row["used"] += used[1] if used else 0
        row["billable"] += minutes
        row["amount"] += minutes / 60 * rate
    session.commit()
    return session, users, expected


def test_sums_follow_the_billing_rule(history):
    session, users, expected = history
    rows = report_hours(session, users["sam"], start=T - M, end=T + 1440 * M, by="project")
    assert [r["key"] for r in rows] == ["P001", "X002"]
    for row in rows:
        want = expected[row["key"]]
        assert row["booked_h"] == pytest.approx(want["booked"] / 60, abs=1e-4)
        assert row["used_h"] == pytest.approx(want["used"] / 60, abs=1e-4)
        assert row["billable_h"] == pytest.approx(want["billable"] / 60, abs=1e-4)
        assert row["amount"] == pytest.approx(want["amount"], abs=0.01)
    # P001: 30 + 75 + 90 = 195 min billable at 120/h = 390.00
    assert rows[0]["billable_h"] == pytest.approx(3.25) and rows[0]["amount"] == 390.0


def test_groupings_and_access(history):
    session, users, _ = history
    by_instrument = report_hours(
        session, users["sam"], start=T - M, end=T + 1440 * M, by="instrument"
    )
    assert [r["key"] for r in by_instrument] == ["inveon"] and by_instrument[0]["bookings"] == 4
    by_month = report_hours(session, users["sam"], start=T - M, end=T + 1440 * M, by="month")
    assert [r["key"] for r in by_month] == ["2026-03"]
    mine = report_hours(session, users["rui"], start=T - M, end=T + 1440 * M, by="pi")
    assert [r["key"] for r in mine] == ["pia"]  # a researcher sees only their projects
