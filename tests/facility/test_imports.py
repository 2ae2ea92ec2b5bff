"""CSV imports: every kind, one transaction, and bad rows refused with file, line, column."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from positrix.errors import FileFormatError
from positrix.facility.imports import import_csv
from positrix.facility.models import (
    AnimalEvent,
    Booking,
    ImagingSession,
    Project,
    TracerBatch,
    Usage,
)
from positrix.facility.reports import report_hours
from tests.facility.conftest import T

GOOD = {
    "institutions": "name,rate_tier\nUni B,external\nPharma C,industry\n",
    "users": "username,full_name,email,role,group,institution\nbea,Bea B,b@x.org,pi,Lab B,Uni B\n"
    "cai,Cai C,c@x.org,researcher,Lab B,\n",
    "projects": "code,title,pi,rate_tier,grant,protocol,protocol_expiry,radiation_permit\n"
    "B100,Tumour,bea,,G-1,E-9,2027-01-01,RP-7\n",
    "members": "project,username\nB100,cai\n",
    "instruments": "name,modality,rate_internal,rate_external,rate_industry,min_billable_min,"
    "step_min\nnanoscan,PET/MR,100,150,300,30,15\n",
    "trainings": "username,instrument,level,expires\ncai,nanoscan,independent,2027-01-01\n",
    "bookings": "id,instrument,project,user,start,end,status\n"
    "500,nanoscan,B100,cai,2026-03-16T09:00:00+00:00,2026-03-16T10:00:00+00:00,completed\n"
    "501,nanoscan,B100,cai,2026-03-16T10:00:00+00:00,2026-03-16T10:20:00+00:00,approved\n",
    "usage": "booking_id,start,end,operator\n"
    "500,2026-03-16T09:05:00+00:00,2026-03-16T10:16:00+00:00,sam\n",
    "services": "code,name,unit,rate_internal,rate_external,rate_industry\n"
    "fdg,FDG dose,dose,30,50,80\n",
    "charges": "project,service,quantity,at,note\nB100,fdg,2,2026-03-16T09:00:00+00:00,2 mice\n",
    "batches": "lot,tracer,nuclide,eos_time,eos_activity,molar_activity_gbq_per_umol\n"
    "FDG-A,FDG,18F,2026-03-16T07:00:00+00:00,20 GBq,150\n",
    "animals": "facility_id,project,species,strain,sex,date_of_birth,cohort\n"
    "B-1,B100,Mus musculus,C57BL/6,F,2026-01-02,control\n",
    "sessions": "animal,instrument,start,operator,weight_g,warming,batch,injection_time,"
    "injected_before,injected_before_time,residual,residual_time,injection_route\n"
    "B-1,nanoscan,2026-03-16T09:00:00+00:00,sam,22.5,yes,FDG-A,2026-03-16T09:00:00+00:00,"
    "8.1 MBq,2026-03-16T08:55:00+00:00,0.3 MBq,2026-03-16T09:01:00+00:00,tail vein\n",
    "events": "animal,at,kind,length_mm,width_mm,weight_g\n"
    "B-1,2026-03-20T09:00:00+00:00,caliper,7,5,\nB-1,2026-03-20T09:00:00+00:00,weight,,,22.1\n",
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
    # 500: booked 60, used 71 → 75 min; 501: 20 → 30 min; external rate (Bea's university's
    # tier, the project gave none) 150/h
    assert row["key"] == "B100" and row["billable_h"] == pytest.approx(1.75)
    assert row["amount"] == pytest.approx(262.5)
    assert session.scalar(select(func.count(Usage.id))) == 1
    scan = session.scalar(select(ImagingSession))
    assert scan.injected_before_bq == pytest.approx(8.1e6) and scan.residual_bq == 3e5
    assert scan.warming and scan.injection_route == "tail vein"
    assert session.scalar(select(TracerBatch.eos_activity_bq)) == pytest.approx(20e9)
    assert session.scalar(select(func.count(AnimalEvent.id))) == 2


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
        (
            "batches",
            "lot,tracer,nuclide,eos_time,eos_activity\nL1,FDG,F-18,2026-03-16T07:00:00+00:00,20\n",
            ["line 2", "eos_activity", "unit"],
        ),
        (
            "sessions",
            "animal,instrument,start,batch,injection_time,injected_before\n"
            "ghost,inveon,2026-03-16T09:00:00+00:00,,,\n",
            ["line 2", "animal", "ghost"],
        ),
        (
            "events",
            "animal,at,kind,length_mm\nA-1,2026-03-16T09:00:00+00:00,caliper,5\n",
            ["line 2", "width_mm"],
        ),
        ("animals", "facility_id,project,sex\nA-2,P001,X\n", ["line 2", "sex", "M, F or O"]),
        (
            "charges",
            "project,service,quantity,at\nP001,none,1,2026-03-16T09:00:00+00:00\n",
            ["line 2", "service", "none"],
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


def test_the_documented_columns_are_the_imported_ones():
    from pathlib import Path

    from positrix.facility.imports import KINDS

    text = (Path(__file__).resolve().parents[2] / "docs" / "facility.md").read_text()
    text = text.split("## CSV imports", 1)[1].split("\n## ", 1)[0]
    for kind, columns in KINDS.items():
        (row,) = [line for line in text.splitlines() if line.startswith(f"| `{kind}` |")]
        shown = [cell.strip("`?") for cell in row.split("|")[2].strip().split(", ")]
        assert shown == [c.name for c in columns], kind
