"""Booking rules: overlap (also between concurrent writers), protocol, membership, training,
access; each test fails if its rule is removed."""

from __future__ import annotations

import multiprocessing
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from positrix.errors import PositrixError
from positrix.facility.access import AccessError, NotFoundError
from positrix.facility.bookings import BookingConflict, book, cancel
from positrix.facility.models import Booking
from tests.facility.conftest import T

H = timedelta(hours=1)


def _book(session, actor, start, end, **extra):
    fields = {"instrument": "inveon", "project": "P001", "user": "rui", **extra}
    return book(session, actor, start=start, end=end, **fields)


def test_overlap_is_refused_naming_the_booking(facility):
    session, users = facility
    first = _book(session, users["rui"], T, T + 2 * H)
    with pytest.raises(BookingConflict, match=f"booking {first.id}"):
        _book(session, users["rui"], T + H, T + 3 * H)
    _book(session, users["rui"], T + 2 * H, T + 3 * H)  # touching is not overlapping
    cancel(session, users["rui"], first.id)
    _book(session, users["rui"], T, T + H)  # a cancelled booking frees its slot


def test_the_database_itself_refuses_an_overlap(facility):
    # the rule holds even for a writer that skips the service layer
    session, users = facility
    first = _book(session, users["rui"], T, T + 2 * H)
    clash = Booking(
        instrument_id=first.instrument_id,
        project_id=first.project_id,
        user_id=first.user_id,
        start=T + H,
        end=T + 3 * H,
        status="approved",
    )
    session.add(clash)
    with pytest.raises(Exception, match="overlap"):  # trigger or exclusion constraint
        session.flush()


def test_protocol_membership_and_training_gate_new_bookings(facility):
    session, users = facility
    late = T.replace(year=2027)
    with pytest.raises(PositrixError, match="protocol"):
        _book(session, users["rui"], late, late + H)  # protocol expires 2026-12-31
    after_training = T.replace(month=7)
    with pytest.raises(PositrixError, match="not trained"):
        _book(session, users["rui"], after_training, after_training + H)  # expired 2026-06-30
    with pytest.raises(PositrixError, match="not a member"):
        _book(session, users["sam"], T, T + H, user="out")
    with pytest.raises(PositrixError, match="ends before"):
        _book(session, users["rui"], T + H, T)


def test_access_researchers_see_only_their_projects(facility):
    session, users = facility
    with pytest.raises(NotFoundError, match="no project 'P001'"):
        _book(session, users["out"], T, T + H, user="out")  # same message as a missing one
    with pytest.raises(AccessError):
        _book(session, users["vic"], T, T + H, user="vic")  # a viewer only looks
    with pytest.raises(AccessError):
        _book(session, users["rui"], T, T + H, user="pia")  # researchers book for themselves
    assert _book(session, users["sam"], T, T + H, user="pia").id  # staff book for anyone


def _race(url, start_iso, queue):
    from datetime import datetime

    from positrix.facility.db import make_engine
    from positrix.facility.people import get_user

    engine = make_engine(url)
    start = datetime.fromisoformat(start_iso)
    with Session(engine) as session:
        try:
            book(
                session,
                get_user(session, "rui"),
                instrument="inveon",
                project="P001",
                user="rui",
                start=start,
                end=start + timedelta(hours=1),
            )
            session.commit()
            queue.put("won")
        except BookingConflict:
            queue.put("conflict")
        except Exception as err:  # anything else is a failure of the rule
            queue.put(f"error {type(err).__name__}: {err}")
    engine.dispose()


def test_concurrent_writers_exactly_one_wins(facility, engine):
    url = engine.url.render_as_string(hide_password=False)
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    workers = [context.Process(target=_race, args=(url, T.isoformat(), queue)) for _ in range(6)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    results = sorted(queue.get(timeout=5) for _ in workers)
    assert results == ["conflict"] * 5 + ["won"], results
    session, _ = facility
    assert session.scalar(select(Booking).where(Booking.start == T)) is not None
