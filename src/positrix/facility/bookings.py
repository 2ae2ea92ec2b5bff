"""Instruments, trainings, bookings and usage, with the rules a booking must meet.

A new booking needs: a project the actor may change, with an ethics protocol valid through the
booking; a user who belongs to the project and is trained on the instrument until the
booking's day; a slot that overlaps no active booking of that instrument.  The overlap rule is
also the database's own (a trigger on SQLite, an exclusion constraint on PostgreSQL), so that
of two concurrent writers exactly one wins.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from positrix.errors import PositrixError
from positrix.facility.access import (
    NotFoundError,
    find,
    is_member,
    require_project,
    require_role,
)
from positrix.facility.audit import record
from positrix.facility.models import ACTIVE_BOOKING, Booking, Instrument, Training, Usage, User
from positrix.facility.people import get_user

__all__ = [
    "BookingConflict",
    "add_training",
    "book",
    "cancel",
    "create_instrument",
    "get_instrument",
    "record_usage",
]


class BookingConflict(PositrixError):
    """The slot overlaps an active booking of the instrument."""


def get_instrument(session: Session, name: str) -> Instrument:
    """The instrument ``name``, or a clear error."""
    found: Instrument = find(
        session, Instrument.name, name, what="instrument", fix="check the name"
    )
    return found


def create_instrument(session: Session, actor: User, name: str, **fields: Any) -> Instrument:
    """Add an instrument (staff or admin); ``fields``: modality, rates, billing minimum/step."""
    require_role(actor, "staff")
    instrument = Instrument(name=name, **fields)
    session.add(instrument)
    session.flush()
    record(
        session,
        actor.username,
        "create",
        "instruments",
        instrument.id,
        after={"name": name, **fields},
    )
    return instrument


def add_training(
    session: Session,
    actor: User,
    username: str,
    instrument: str,
    *,
    level: str = "independent",
    expires: date | None = None,
) -> Training:
    """Record that a user is trained on an instrument (staff or admin)."""
    require_role(actor, "staff")
    user, device = get_user(session, username), get_instrument(session, instrument)
    training = Training(user_id=user.id, instrument_id=device.id, level=level, expires=expires)
    session.add(training)
    session.flush()
    record(
        session,
        actor.username,
        "create",
        "trainings",
        training.id,
        after={"user": username, "instrument": instrument, "level": level, "expires": expires},
    )
    return training


def _check_gates(session: Session, project: Any, user: User, device: Instrument,
                 start: datetime, end: datetime) -> None:  # fmt: skip
    """Protocol valid through the booking, user a member and trained until its day."""
    if project.status != "active":
        raise PositrixError(f"project {project.code} is closed", field="project", fix="reopen it")
    if project.protocol_expiry is None or project.protocol_expiry < end.date():
        when = project.protocol_expiry.isoformat() if project.protocol_expiry else "not recorded"
        raise PositrixError(
            f"the animal-ethics protocol of {project.code} is not valid on {end.date()} "
            f"(expiry: {when})",
            field="protocol_expiry",
            fix="renew the protocol and record its new expiry",
        )
    if not is_member(session, user, project):
        raise PositrixError(
            f"{user.username} is not a member of {project.code}",
            field="user",
            fix="ask the project's PI to add them",
        )
    training = session.scalar(
        select(Training).where(Training.user_id == user.id, Training.instrument_id == device.id)
    )
    if training is None or (training.expires is not None and training.expires < start.date()):
        raise PositrixError(
            f"{user.username} is not trained on {device.name} on {start.date()}",
            field="training",
            fix="book an assisted session with staff, or renew the training",
        )


def _collision(session: Session, device: Instrument, start: datetime, end: datetime,
               ignore: int | None = None) -> Booking | None:  # fmt: skip
    query = select(Booking).where(
        Booking.instrument_id == device.id,
        Booking.status.in_(ACTIVE_BOOKING),
        Booking.start < end,
        Booking.end > start,
    )
    if ignore is not None:
        query = query.where(Booking.id != ignore)
    return session.scalars(query.order_by(Booking.start).limit(1)).first()


def _conflict(other: Booking) -> BookingConflict:
    return BookingConflict(
        f"the slot overlaps booking {other.id} ({other.start.isoformat()} to "
        f"{other.end.isoformat()})",
        field="start/end",
        fix="choose a free slot",
    )


def book(
    session: Session,
    actor: User,
    *,
    instrument: str,
    project: str,
    user: str,
    start: datetime,
    end: datetime,
    assisted: bool = False,
    status: str = "approved",
) -> Booking:
    """Reserve ``instrument`` for ``project`` from ``start`` to ``end`` (aware date-times).

    Raises
    ------
    BookingConflict
        Naming the booking it collides with (also when a concurrent writer won the slot).
    PositrixError
        For a closed project, an expired protocol, a user who is not a member or not trained,
        or an end before the start.
    """
    if not start < end:
        raise PositrixError("the booking ends before it starts", field="end", fix="swap them")
    target = require_project(session, actor, project, write=True)
    booker, device = get_user(session, user), get_instrument(session, instrument)
    if actor.role not in ("admin", "staff") and actor.id != booker.id:
        require_role(actor, "staff")  # a researcher books for themself only
    _check_gates(session, target, booker, device, start, end)
    other = _collision(session, device, start, end)
    if other is not None:
        raise _conflict(other)
    booking = Booking(
        instrument_id=device.id,
        project_id=target.id,
        user_id=booker.id,
        start=start,
        end=end,
        status=status,
        assisted=assisted,
    )
    try:
        with session.begin_nested():
            session.add(booking)
            session.flush()
    except IntegrityError:  # a concurrent writer took the slot first: the database said no
        other = _collision(session, device, start, end)
        if other is None:
            raise
        raise _conflict(other) from None
    record(
        session,
        actor.username,
        "book",
        "bookings",
        booking.id,
        after={
            "instrument": instrument,
            "project": project,
            "user": user,
            "start": start,
            "end": end,
            "status": status,
        },
    )
    return booking


def cancel(session: Session, actor: User, booking_id: int) -> Booking:
    """Cancel a booking (its project's members, staff or admin); it frees the slot."""
    booking = session.get(Booking, booking_id)
    if booking is None:
        raise NotFoundError(f"no booking {booking_id}", field="booking", fix="check the id")
    require_project(session, actor, booking.project.code, write=True)
    before = booking.status
    booking.status = "cancelled"
    session.flush()
    record(
        session,
        actor.username,
        "cancel",
        "bookings",
        booking.id,
        before={"status": before},
        after={"status": "cancelled"},
    )
    return booking


def record_usage(
    session: Session,
    actor: User,
    booking_id: int,
    *,
    start: datetime,
    end: datetime,
    operator: str | None = None,
) -> Usage:
    """What was really used on a booking (staff or admin)."""
    require_role(actor, "staff")
    booking = session.get(Booking, booking_id)
    if booking is None:
        raise NotFoundError(f"no booking {booking_id}", field="booking_id", fix="check the id")
    if not start < end:
        raise PositrixError("the usage ends before it starts", field="end", fix="swap them")
    operator_id = get_user(session, operator).id if operator else None
    usage = Usage(booking_id=booking.id, start=start, end=end, operator_id=operator_id)
    session.add(usage)
    booking.status = "completed"
    session.flush()
    record(
        session,
        actor.username,
        "usage",
        "usage",
        usage.id,
        after={"booking": booking_id, "start": start, "end": end},
    )
    return usage
