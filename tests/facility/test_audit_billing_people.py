"""The audit chain, billable time, passwords and the schema's migrations."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from positrix.errors import PositrixError
from positrix.facility.audit import verify_chain
from positrix.facility.billing import billable_minutes
from positrix.facility.models import AuditEntry, User
from positrix.facility.people import check_password, set_password
from positrix.facility.schema import current_revision, head_revision, init_database
from tests.facility.conftest import T, book_slot


def test_every_write_is_in_an_intact_chain(facility):
    session, users = facility
    book_slot(session, users, T, T + timedelta(hours=1))
    session.commit()
    report = verify_chain(session)
    actions = [e.action for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert report.ok and report.entries == len(actions) and actions[-1] == "book"


@pytest.mark.parametrize("tamper", ["edit", "delete"])
def test_an_edited_or_deleted_entry_breaks_the_chain(facility, tamper):
    session, _ = facility
    victim = session.scalars(select(AuditEntry.id).order_by(AuditEntry.id).offset(2)).first()
    if tamper == "edit":
        session.execute(text("UPDATE audit SET actor = 'mallory' WHERE id = :i"), {"i": victim})
    else:
        session.execute(text("DELETE FROM audit WHERE id = :i"), {"i": victim})
    session.commit()
    session.expire_all()
    report = verify_chain(session)
    assert not report.ok
    assert report.broken_at == (victim if tamper == "edit" else victim + 1)


@pytest.mark.parametrize(
    ("booked", "used", "expected"),
    [(20, None, 30), (20, 10, 30), (60, 71, 75), (60, 45, 60), (61, None, 75), (45, 45, 45)],
)
def test_billable_time_is_the_longer_at_least_the_minimum_rounded_up(booked, used, expected):
    assert billable_minutes(booked, used, minimum_min=30, step_min=15) == expected


def test_passwords_are_hashed_with_argon2_and_checked(facility):
    session, users = facility
    set_password(session, users["rui"], "rui", "correct horse battery")
    stored = session.scalar(select(User.password_hash).where(User.username == "rui"))
    assert stored.startswith("$argon2") and "correct horse" not in stored
    assert check_password(session, "rui", "correct horse battery").username == "rui"
    assert check_password(session, "rui", "wrong horse battery") is None
    with pytest.raises(PositrixError, match="shorter"):
        set_password(session, users["rui"], "rui", "short")
    with pytest.raises(PositrixError):
        set_password(session, users["rui"], "pia", "someone else's password")
    log = " ".join(e.after + e.before for e in session.scalars(select(AuditEntry)))
    assert "argon2" not in log and "horse" not in log


def test_a_newer_schema_is_refused_and_head_is_idempotent(engine):
    assert current_revision(engine) == head_revision()
    assert init_database(engine) == head_revision()  # a second init changes nothing
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(PositrixError, match="newer than this Positrix"):
        init_database(engine)
