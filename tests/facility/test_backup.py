"""Backup and restore: every row back, the audit chain intact, across engines; a damaged or
tampered file and a database with data are refused."""

from __future__ import annotations

import gzip
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from positrix.errors import FileFormatError, OverwriteError, PositrixError
from positrix.facility.backup import backup_database, restore_database
from positrix.facility.db import make_engine
from positrix.facility.models import AuditEntry, Base, Booking
from positrix.facility.schema import head_revision
from tests.facility.conftest import T, _postgres_database, book_slot


def _filled(facility):
    session, users = facility
    book_slot(session, users, T, T + timedelta(minutes=45))
    session.commit()


def _counts(engine):
    with Session(engine) as session:
        return {
            t.name: session.scalar(select(func.count()).select_from(t))
            for t in Base.metadata.sorted_tables
        }


def test_a_backup_restores_every_row_into_a_new_sqlite(facility, engine, tmp_path):
    _filled(facility)
    summary = backup_database(engine, tmp_path / "f.jsonl.gz")
    assert summary.schema == head_revision() and summary.rows["bookings"] == 1
    target = make_engine(f"sqlite:///{tmp_path / 'restored.db'}")
    restored = restore_database(target, tmp_path / "f.jsonl.gz")
    assert restored.total == summary.total
    assert _counts(target) == _counts(engine)
    with Session(target) as session:
        booking = session.scalar(select(Booking))
        assert booking.start == T and booking.end == T + timedelta(minutes=45)
        assert session.scalar(select(func.count(AuditEntry.id))) == summary.rows["audit"]
    with pytest.raises(PositrixError, match="already holds data"):
        restore_database(target, tmp_path / "f.jsonl.gz")
    target.dispose()
    with pytest.raises(OverwriteError):
        backup_database(engine, tmp_path / "f.jsonl.gz")


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_a_sqlite_backup_restores_into_postgresql(facility, tmp_path):
    session, _ = facility
    _filled(facility)
    backup_database(session.get_bind(), tmp_path / "f.jsonl.gz")
    databases = _postgres_database()
    url = next(databases)
    target = make_engine(url)
    try:
        restore_database(target, tmp_path / "f.jsonl.gz")
        assert _counts(target) == _counts(session.get_bind())
        with Session(target) as fresh:  # the id sequences moved on: new rows get new ids
            from positrix.facility.people import create_user, get_user

            made = create_user(fresh, get_user(fresh, "admin"), "newcomer")
            fresh.commit()
            assert made.id == 7
    finally:
        target.dispose()
        next(databases, None)


def test_a_damaged_backup_is_refused(facility, engine, tmp_path):
    _filled(facility)
    path = tmp_path / "f.jsonl.gz"
    backup_database(engine, path)
    lines = gzip.decompress(path.read_bytes()).decode().splitlines(keepends=True)
    edited = [line.replace('"rui"', '"eve"') for line in lines]  # a row changed
    (tmp_path / "edited.jsonl.gz").write_bytes(gzip.compress("".join(edited).encode()))
    truncated = lines[: len(lines) // 2]
    (tmp_path / "cut.jsonl.gz").write_bytes(gzip.compress("".join(truncated).encode()))
    (tmp_path / "junk.jsonl.gz").write_bytes(b"not gzip at all")
    for name in ("edited", "cut", "junk"):
        target = make_engine(f"sqlite:///{tmp_path / (name + '.db')}")
        with pytest.raises(FileFormatError, match=f"{name}.jsonl.gz"):
            restore_database(target, tmp_path / f"{name}.jsonl.gz")
        target.dispose()
