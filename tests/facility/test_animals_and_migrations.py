"""Batches, animals, sessions (the dose must come from what the batch still had) and the
upgrade of a filled database from the first migration to head."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from positrix.errors import PositrixError
from positrix.facility.animals import (
    available_activity_bq,
    create_batch,
    record_session,
    register_animal,
)
from positrix.facility.db import make_engine
from positrix.facility.models import Booking, Project, User
from positrix.facility.schema import current_revision, head_revision, init_database
from tests.facility.conftest import T

F18 = 6586.2  # s (ENSDF)


def test_a_dose_must_come_from_what_the_batch_still_had(facility):
    session, users = facility
    sam = users["sam"]
    batch = create_batch(
        session, sam, "FDG-0316", tracer="FDG", nuclide="F-18", eos_time=T, eos_activity_bq=20e6
    )
    for name in ("m1", "m2"):
        register_animal(session, users["rui"], name, project="P001", strain="BALB/c", sex="F")
    one_half_life = T + timedelta(seconds=F18)
    # at one half-life 10 MBq are left: draw 6 MBq, then only 4 MBq remain
    record_session(
        session,
        sam,
        "m1",
        instrument="inveon",
        start=one_half_life,
        batch="FDG-0316",
        injection_time=one_half_life,
        injected_before_bq=6e6,
    )
    left = available_activity_bq(session, batch, one_half_life)
    assert left == pytest.approx(4e6, rel=1e-9)
    with pytest.raises(PositrixError, match="less than the 5 MBq this draw would take"):
        record_session(
            session,
            sam,
            "m2",
            instrument="inveon",
            start=one_half_life,
            batch="FDG-0316",
            injection_time=one_half_life,
            injected_before_bq=5e6,
        )
    with pytest.raises(PositrixError, match="before the end of synthesis"):
        record_session(
            session,
            sam,
            "m2",
            instrument="inveon",
            start=T,
            batch="FDG-0316",
            injection_time=T - timedelta(minutes=5),
            injected_before_bq=1e6,
        )
    # another half-life later the 4 MBq left are 2 MBq: 2 MBq can still be drawn
    later = one_half_life + timedelta(seconds=F18)
    record_session(
        session,
        sam,
        "m2",
        instrument="inveon",
        start=later,
        batch="FDG-0316",
        injection_time=later,
        injected_before_bq=2e6 * (1 - 1e-12),
    )


def test_researchers_register_animals_only_in_their_projects(facility):
    session, users = facility
    with pytest.raises(PositrixError, match="no project"):
        register_animal(session, users["out"], "x1", project="P001")


def test_a_filled_first_schema_upgrades_to_head_with_its_data(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    assert init_database(engine, revision="0001") == "0001"
    with engine.begin() as connection:  # SQL of the first schema (today's models are newer)
        connection.execute(
            text(
                'INSERT INTO users (username, full_name, email, role, "group") VALUES '
                "('admin', '', '', 'admin', ''), ('pia', 'Pia', '', 'pi', 'Lab P')"
            )
        )
        connection.execute(
            text(
                'INSERT INTO projects (code, title, pi_id, rate_tier, "grant", protocol, status)'
                " VALUES ('OLD1', 'old', 2, 'external', 'G-1', 'ETH-1', 'active')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO instruments (name, modality, rate_internal, rate_external,"
                " rate_industry, min_billable_min, step_min)"
                " VALUES ('inveon', 'PET/CT', 1, 2, 3, 30, 15)"
            )
        )
        connection.execute(
            text(
                'INSERT INTO bookings (instrument_id, project_id, user_id, start, "end", status,'
                " assisted) VALUES (1, 1, 2, '2026-01-05 09:00:00.000000',"
                " '2026-01-05 10:00:00.000000', 'completed', 0)"
            )
        )
    assert init_database(engine) == head_revision() != "0001"
    with Session(engine) as session:
        project = session.scalar(select(Project))
        assert (project.code, project.rate_tier, project.grant) == ("OLD1", "external", "G-1")
        assert project.radiation_permit == ""  # a new column, filled for old rows
        assert session.scalar(select(func.count(User.id))) == 2
        booking = session.scalar(select(Booking))
        assert booking.start.isoformat() == "2026-01-05T09:00:00+00:00"
        assert session.execute(text("SELECT count(*) FROM animals")).scalar() == 0
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_the_ledger_and_back_dated_draws(facility):
    from positrix.facility.ledger import radioactive_stock

    session, users = facility
    sam = users["sam"]
    create_batch(
        session, sam, "FDG-1", tracer="FDG", nuclide="F-18", eos_time=T, eos_activity_bq=20e6
    )
    for name in ("a", "b", "c"):
        register_animal(session, sam, name, project="P001")
    half = T + timedelta(seconds=F18)
    record_session(
        session,
        sam,
        "a",
        instrument="inveon",
        start=half,
        batch="FDG-1",
        injection_time=half,
        injected_before_bq=9e6,
    )
    (row,) = radioactive_stock(session, sam, half)
    # one half-life: 10 MBq received (decayed), 9 MBq drawn, 1 MBq in stock
    assert row["received_bq"] == pytest.approx(10e6, rel=1e-9)
    assert row["dispensed_bq"] == pytest.approx(9e6, rel=1e-9)
    assert row["in_stock_bq"] == pytest.approx(1e6, rel=1e-9)
    (early,) = radioactive_stock(session, sam, T + timedelta(minutes=1))
    assert early["dispensed_bq"] == 0.0  # a later draw does not count before it happens
    # a back-dated draw of 12 MBq at EOS would leave too little for the later 9 MBq draw:
    # at one half-life 10 − 6 (the 12 MBq decayed) = 4 MBq < 9 MBq
    with pytest.raises(PositrixError, match="less than"):
        record_session(
            session,
            sam,
            "b",
            instrument="inveon",
            start=T,
            batch="FDG-1",
            injection_time=T,
            injected_before_bq=12e6,
        )
    record_session(
        session,
        sam,
        "c",
        instrument="inveon",
        start=T,
        batch="FDG-1",
        injection_time=T,
        injected_before_bq=1.9e6,
    )
    with pytest.raises(PositrixError):
        radioactive_stock(session, users["rui"], half)  # staff only
