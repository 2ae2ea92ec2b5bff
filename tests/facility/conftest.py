"""A small facility on a fresh SQLite database: admin, staff, a PI with a project, a
researcher, an outsider, a PET/CT with a trained researcher."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy.orm import Session

from positrix.facility.bookings import add_training, create_instrument
from positrix.facility.db import make_engine
from positrix.facility.people import add_member, create_project, create_user
from positrix.facility.schema import init_database

T = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)


@pytest.fixture
def engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'facility.db'}")
    init_database(engine)
    yield engine
    engine.dispose()


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
