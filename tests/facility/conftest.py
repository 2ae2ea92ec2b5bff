"""A small facility on a fresh database of each engine: SQLite always; PostgreSQL when
``POSITRIX_TEST_POSTGRES_URL`` names a server (``.ci/run`` starts one, and there a missing
server fails the tests instead of skipping them).

The people: admin, staff, a PI with a project, a researcher, an outsider, a viewer; a PET/CT
on which the researcher is trained.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from positrix.facility.bookings import add_training, create_instrument
from positrix.facility.db import make_engine
from positrix.facility.people import add_member, create_project, create_user
from positrix.facility.schema import init_database

T = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)
POSTGRES = os.environ.get("POSITRIX_TEST_POSTGRES_URL")
ENGINES = ["sqlite", "postgresql"]


def _postgres_database():
    """A fresh database on the test server; yields its URL and drops it afterwards."""
    if not POSTGRES:
        if os.environ.get("POSITRIX_REQUIRE_TOOLS"):
            pytest.fail("POSITRIX_TEST_POSTGRES_URL is not set (.ci/run starts PostgreSQL)")
        pytest.skip("no PostgreSQL server (set POSITRIX_TEST_POSTGRES_URL; .ci/run does)")
    name = f"positrix_test_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield POSTGRES.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=ENGINES)
def engine(request, tmp_path):
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'facility.db'}")
        init_database(engine)
        yield engine
        engine.dispose()
        return
    databases = _postgres_database()
    url = next(databases)
    engine = make_engine(url)
    init_database(engine)
    yield engine
    engine.dispose()
    next(databases, None)


@pytest.fixture
def facility(engine):
    """(session, users by name); the session is committed after set-up."""
    session = Session(engine)
    admin = create_user(session, None, "admin", role="admin")
    staff = create_user(session, admin, "sam", role="staff")
    users = {"admin": admin, "sam": staff}
    for name, role in (("pia", "pi"), ("rui", "researcher"), ("out", "researcher"),
                       ("vic", "viewer")):  # fmt: skip
        users[name] = create_user(session, admin, name, role=role)
    create_project(
        session, staff, "P001", pi="pia", protocol="ETH-12", protocol_expiry=date(2026, 12, 31)
    )
    add_member(session, users["pia"], "P001", "rui")
    add_member(session, users["pia"], "P001", "vic")
    create_instrument(
        session,
        staff,
        "inveon",
        modality="PET/CT",
        rate_internal=120.0,
        rate_external=200.0,
        rate_industry=400.0,
    )
    add_training(session, staff, "rui", "inveon", expires=date(2026, 6, 30))
    add_training(session, staff, "pia", "inveon")
    session.commit()
    yield session, users
    session.close()


def book_slot(session, users, start, end):
    """Rui books the PET/CT for P001 (the set-up of many tests)."""
    from positrix.facility.bookings import book

    return book(
        session, users["rui"], instrument="inveon", project="P001", user="rui", start=start, end=end
    )


def small_facility(url: str) -> None:
    """A new database at ``url`` with an admin, a PI ``pia`` and her project P001."""
    engine = make_engine(url)
    init_database(engine)
    with Session(engine) as session, session.begin():
        admin = create_user(session, None, "admin", role="admin")
        create_user(session, admin, "pia", role="pi")
        create_project(session, admin, "P001", pi="pia")
    engine.dispose()
