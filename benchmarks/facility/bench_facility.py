"""Facility database speed (issue goals in brackets), on SQLite and, when
``POSITRIX_TEST_POSTGRES_URL`` names a server (``.ci/postgres start``), on PostgreSQL:

- import of 100 000 bookings (one transaction)                  [≤ 20 s]
- ``report hours`` over 200 projects and 100 000 bookings         [≤ 0.5 s]
- 16 processes booking the same slot: one wins, 15 conflicts      [0 errors]
- 8 processes writing 1 000 bookings, one transaction each        [no "database is locked"]

Baseline in the same run: the same report computed in Python from the rows (what a
spreadsheet-style tool does), so the ratio shows what aggregating in the database buys.

Run: ``python benchmarks/facility/bench_facility.py``.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from positrix.facility.billing import billable_minutes
from positrix.facility.bookings import BookingConflict, add_training, book, create_instrument
from positrix.facility.db import make_engine
from positrix.facility.imports import import_csv
from positrix.facility.models import Booking, Instrument, Project
from positrix.facility.people import add_member, create_project, create_user, get_user
from positrix.facility.reports import report_hours
from positrix.facility.schema import init_database

N_PROJECTS, N_BOOKINGS, N_RACERS = 200, int(os.environ.get("BENCH_BOOKINGS", 100_000)), 16
N_WRITERS, N_WRITES = 8, 1000
T0 = datetime(2020, 1, 1, tzinfo=UTC)


def seed(engine, folder: Path) -> None:
    """200 projects on 4 instruments; 100 000 bookings written as a CSV and imported."""
    with Session(engine) as session, session.begin():
        admin = create_user(session, None, "admin", role="admin")
        create_user(session, admin, "pi", role="pi")
        create_user(session, admin, "rui", role="researcher")
        for n in range(4):
            create_instrument(
                session,
                admin,
                f"scanner{n}",
                rate_internal=100.0,
                rate_external=150.0,
                rate_industry=300.0,
            )
        add_training(session, admin, "rui", "scanner0")
        add_training(session, admin, "rui", "scanner1")
        for p in range(N_PROJECTS):
            create_project(
                session, admin, f"P{p:03d}", pi="pi", protocol="E", protocol_expiry=date(2099, 1, 1)
            )
        add_member(session, admin, "P000", "rui")
    lines = ["id,instrument,project,user,start,end,status"]
    for i in range(N_BOOKINGS):
        start = T0 + timedelta(hours=2 * (i // 4))
        lines.append(
            f"{i + 1},scanner{i % 4},P{i % N_PROJECTS:03d},pi,{start.isoformat()},"
            f"{(start + timedelta(minutes=50)).isoformat()},completed"
        )
    (folder / "bookings.csv").write_text("\n".join(lines) + "\n")


def python_report(engine) -> dict[str, float]:
    """The baseline: every row fetched and summed in Python."""
    totals: dict[str, float] = {}
    with Session(engine) as session:
        rows = session.execute(
            select(
                Project.code,
                Booking.start,
                Booking.end,
                Instrument.min_billable_min,
                Instrument.step_min,
            )
            .join(Project, Project.id == Booking.project_id)
            .join(Instrument, Instrument.id == Booking.instrument_id)
        )
        for code, start, end, minimum, step in rows:
            minutes = (end - start).total_seconds() / 60
            totals[code] = totals.get(code, 0.0) + billable_minutes(
                minutes, None, minimum_min=minimum, step_min=step
            )
    return totals


def racer(url: str, queue) -> None:  # type: ignore[no-untyped-def]
    """One of the processes that book the same slot."""
    engine = make_engine(url)
    start = datetime(2030, 1, 1, 9, tzinfo=UTC)
    with Session(engine) as session:
        try:
            book(
                session,
                get_user(session, "rui"),
                instrument="scanner0",
                project="P000",
                user="rui",
                start=start,
                end=start + timedelta(hours=1),
            )
            session.commit()
            queue.put("won")
        except BookingConflict:
            queue.put("conflict")
        except Exception as err:
            queue.put(f"error {type(err).__name__}: {err}")
    engine.dispose()


def writer(url: str, k: int, queue) -> None:  # type: ignore[no-untyped-def]
    """One of the writers: its share of 1 000 bookings in its own week, one per transaction."""
    engine = make_engine(url)
    results = []
    with Session(engine) as session:
        rui = get_user(session, "rui")
        for n in range(N_WRITES // N_WRITERS):
            start = datetime(2031, 1, 1, tzinfo=UTC) + timedelta(weeks=k, hours=n)
            try:
                book(
                    session,
                    rui,
                    instrument="scanner1",
                    project="P000",
                    user="rui",
                    start=start,
                    end=start + timedelta(minutes=50),
                )
                session.commit()
                results.append("ok")
            except Exception as err:
                session.rollback()
                results.append(f"error {type(err).__name__}: {str(err)[:80]}")
    engine.dispose()
    queue.put(results)


def _processes(url: str, target, args_of) -> list:  # type: ignore[no-untyped-def]
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    workers = [
        context.Process(target=target, args=(url, *args_of(k), queue)) for k in range(args_of.count)
    ]
    for worker in workers:
        worker.start()
    results = [queue.get() for _ in workers]
    for worker in workers:
        worker.join()
    return results


def run(url: str, folder: Path, label: str) -> None:
    """All three measurements on one database."""
    engine = make_engine(url)
    init_database(engine)
    seed(engine, folder)
    with Session(engine) as session, session.begin():
        admin = get_user(session, "admin")
        session.execute(text("SELECT 1"))
        started = time.perf_counter()
        import_csv(session, admin, "bookings", folder / "bookings.csv")
    imported = time.perf_counter() - started
    with Session(engine) as session, session.begin():
        get_user(session, "admin")  # warm the connection
        admin = get_user(session, "admin")
        started = time.perf_counter()
        rows = report_hours(session, admin, start=T0, end=T0 + timedelta(days=20000))
        in_sql = time.perf_counter() - started
    started = time.perf_counter()
    totals = python_report(engine)
    in_python = time.perf_counter() - started
    assert abs(sum(r["billable_h"] for r in rows) * 60 - sum(totals.values())) < 1
    results = _processes(url, racer, _Args(N_RACERS, lambda k: ()))
    started = time.perf_counter()  # baseline: one writer alone, its share, in its own weeks
    alone = _processes(url, writer, _Args(1, lambda k: (N_WRITERS + 1,)))[0]
    alone_rate = alone.count("ok") / (time.perf_counter() - started)
    started = time.perf_counter()
    written = [
        r for batch in _processes(url, writer, _Args(N_WRITERS, lambda k: (k,))) for r in batch
    ]
    writing = time.perf_counter() - started
    print(f"[{label}] import {N_BOOKINGS} bookings: {imported:.2f} s [≤ 20 s]")
    print(
        f"[{label}] report hours ({len(rows)} projects): {in_sql:.3f} s in SQL [≤ 0.5 s]; "
        f"{in_python:.3f} s fetching and summing in Python: {in_python / in_sql:.1f} ×"
    )
    print(
        f"[{label}] {N_RACERS} racers: {results.count('won')} won, "
        f"{results.count('conflict')} conflicts, "
        f"{sum(r.startswith('error') for r in results)} errors"
        + "".join(f"; {r}" for r in sorted(set(results)) if r.startswith("error"))
    )
    errors = [r for r in written if r != "ok"]
    locked = sum("locked" in r for r in errors)
    print(
        f"[{label}] {N_WRITERS} writers, {len(written)} bookings: {written.count('ok')} written "
        f"in {writing:.1f} s ({written.count('ok') / writing:.0f} /s, process start included), "
        f"{len(errors)} errors, {locked} 'database is locked'; one writer alone: "
        f"{alone_rate:.0f} /s, so {N_WRITERS} together write "
        f"{written.count('ok') / writing / alone_rate:.1f} × as fast"
        + "".join(f"; {r}" for r in sorted(set(errors))[:3])
    )
    engine.dispose()


class _Args:
    """How many processes, and each one's extra arguments."""

    def __init__(self, count: int, of) -> None:  # type: ignore[no-untyped-def]
        self.count, self.of = count, of

    def __call__(self, k: int) -> tuple:
        return self.of(k)


def main() -> None:
    """Run on SQLite, then on PostgreSQL when a server is given."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        run(f"sqlite:///{folder / 'bench.db'}", folder, "sqlite")
        server = os.environ.get("POSITRIX_TEST_POSTGRES_URL")
        if not server:
            print("[postgresql] skipped: set POSITRIX_TEST_POSTGRES_URL (.ci/postgres start)")
            return
        name = f"positrix_bench_{uuid.uuid4().hex[:8]}"
        admin = make_engine(server).execution_options(isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            run(server.rsplit("/", 1)[0] + "/" + name, folder, "postgresql")
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    sys.exit(main())
