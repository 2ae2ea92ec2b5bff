"""CSV imports: every kind, one transaction, and bad rows refused with file, line, column."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from positrix.errors import FileFormatError
from positrix.facility.imports import import_csv
from positrix.facility.models import Booking, Project, Usage
from positrix.facility.reports import report_hours
from tests.facility.conftest import T

GOOD = {
    "users": "username,full_name,email,role,group\nbea,Bea B,b@x.org,pi,Lab B\n"
    "cai,Cai C,c@x.org,researcher,Lab B\n",
    "projects": "code,title,pi,rate_tier,grant,protocol,protocol_expiry\n"
    "B100,Tumour,bea,external,G-1,E-9,2027-01-01\n",
    "members": "project,username\nB100,cai\n",
    "instruments": "name,modality,rate_internal,rate_external,rate_industry,min_billable_min,"
    "step_min\nnanoscan,PET/MR,100,150,300,30,15\n",
    "trainings": "username,instrument,level,expires\ncai,nanoscan,independent,2027-01-01\n",
    "bookings": "id,instrument,project,user,start,end,status\n"
    "500,nanoscan,B100,cai,2026-03-16T09:00:00+00:00,2026-03-16T10:00:00+00:00,completed\n"
    "501,nanoscan,B100,cai,2026-03-16T10:00:00+00:00,2026-03-16T10:20:00+00:00,approved\n",
    "usage": "booking_id,start,end,operator\n"
    "500,2026-03-16T09:05:00+00:00,2026-03-16T10:16:00+00:00,sam\n",
}


def _import(session, users, tmp_path, kind, text):
    path = tmp_path / f"{kind}.csv"
    path.write_text(text)
    return import_csv(session, users["sam"], kind, path)


def test_every_kind_imports_and_reports(facility, tmp_path):
    session, users = facility
    for kind, text in GOOD.items():
        assert _import(session, users, tmp_path, kind, text).rows >= 1
    session.commit()
    rows = report_hours(session, users["sam"], start=T, end=T.replace(day=17), by="project")
    (row,) = [r for r in rows if r["key"] == "B100"]
    # 500: booked 60, used 71 → 75 min; 501: 20 → 30 min; external rate 150/h
    assert row["key"] == "B100" and row["billable_h"] == pytest.approx(1.75)
    assert row["amount"] == pytest.approx(262.5)
    assert session.scalar(select(func.count(Usage.id))) == 1


@pytest.mark.parametrize(
    ("kind", "text", "needles"),
    [
        ("projects", "code,title,pi,rate_tier\nB1,x,nobody,internal\n", ["line 2", "pi"]),
        ("users", "username,role,shoe_size\nz,researcher,42\n", ["shoe_size", "header"]),
        (
            "instruments",
            "name,rate_internal,rate_external,rate_industry\nq,cheap,1,1\n",
            ["line 2", "rate_internal", "cheap"],
        ),
        (
            "bookings",
            "id,instrument,project,user,start,end,status\n"
            "9,inveon,P001,rui,2026-03-16T10:00:00+00:00,2026-03-16T09:00:00+00:00,approved\n",
            ["line 2", "end"],
        ),
        (
            "bookings",
            "id,instrument,project,user,start,end,status\n"
            "9,inveon,P001,rui,2026-03-16T09:00:00+00:00,2026-03-16T10:00:00+00:00,approved\n"
            "10,inveon,P001,rui,2026-03-16T09:30:00+00:00,2026-03-16T11:00:00+00:00,approved\n",
            ["line 2", "line 3", "overlaps"],
        ),
        (
            "bookings",
            "id,instrument,project,user,start,end,status\n"
            "9,inveon,P001,rui,2026-03-16T09:00:00,2026-03-16T10:00:00+00:00,approved\n",
            ["line 2", "start", "offset"],
        ),
        (
            "bookings",
            "id,instrument,project,user,start,end,status\n"
            "9,inveon,NOPE,rui,2026-03-16T09:00:00+00:00,2026-03-16T10:00:00+00:00,approved\n",
            ["line 2", "project", "NOPE"],
        ),
    ],
)
def test_bad_rows_are_refused_and_nothing_is_half_imported(facility, tmp_path, kind, text, needles):
    session, users = facility
    before = (
        session.scalar(select(func.count(Booking.id))),
        session.scalar(select(func.count(Project.id))),
    )
    with pytest.raises(FileFormatError) as err:
        _import(session, users, tmp_path, kind, text)
    session.rollback()
    message = str(err.value)
    assert f"{kind}.csv" in message and "Fix:" in message
    for needle in needles:
        assert needle in message, message
    after = (
        session.scalar(select(func.count(Booking.id))),
        session.scalar(select(func.count(Project.id))),
    )
    assert after == before


def test_a_clash_with_a_stored_booking_is_refused(facility, tmp_path):
    session, users = facility
    head = "id,instrument,project,user,start,end,status\n"
    row = "{i},inveon,P001,rui,2026-03-16T09:00:00+00:00,2026-03-16T10:00:00+00:00,approved\n"
    _import(session, users, tmp_path, "bookings", head + row.format(i=1))
    session.commit()
    with pytest.raises(FileFormatError, match="stored booking 1"):
        _import(session, users, tmp_path, "bookings", head + row.format(i=2))


def test_a_killed_import_leaves_no_rows(facility, engine, tmp_path):
    import signal
    import subprocess
    import sys
    import time
    from datetime import UTC, datetime, timedelta

    session, _ = facility
    lines = ["id,instrument,project,user,start,end,status"]
    t0 = datetime(2020, 1, 1, tzinfo=UTC)
    n = 60000
    for i in range(1, n + 1):
        start = t0 + timedelta(hours=2 * i)
        lines.append(
            f"{i},inveon,P001,rui,{start.isoformat()},"
            f"{(start + timedelta(hours=1)).isoformat()},completed"
        )
    path = tmp_path / "big.csv"
    path.write_text("\n".join(lines) + "\n")
    url = engine.url.render_as_string(hide_password=False).replace("+psycopg", "")
    argv = [
        sys.executable,
        "-m",
        "positrix.cli.main",
        "facility",
        "import",
        "bookings",
        str(path),
        "--db",
        url,
        "--as",
        "sam",
    ]
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    # kill it while it writes: once the rows are being parsed (about 1 s after the start)
    time.sleep(1.5)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=max(deadline - time.monotonic(), 1))
    session.rollback()
    count = session.scalar(select(func.count(Booking.id)))
    assert count in (0, n)  # all or nothing, never a part
    if process.returncode == -signal.SIGKILL:
        assert count == 0


def test_new_bookings_after_an_import_of_explicit_ids(facility, tmp_path):
    from datetime import timedelta

    from positrix.facility.bookings import book

    session, users = facility
    head = "id,instrument,project,user,start,end,status\n"
    row = "7,inveon,P001,rui,2026-03-16T09:00:00+00:00,2026-03-16T10:00:00+00:00,completed\n"
    _import(session, users, tmp_path, "bookings", head + row)
    session.commit()
    later = T + timedelta(days=1)
    made = book(
        session,
        users["rui"],
        instrument="inveon",
        project="P001",
        user="rui",
        start=later,
        end=later + timedelta(hours=1),
    )
    assert made.id == 8  # the id sequence continues after the imported ids
