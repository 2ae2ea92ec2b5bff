"""Service-hours reports aggregated by the database: booked, used and billable hours and the
amount per project, PI, instrument or month.

Billable time per booking is :func:`positrix.facility.billing.billable_minutes` written in SQL
(the longer of booked and used, at least the instrument's minimum, rounded up to its step);
cancelled bookings count nothing.  The database sums, so that 100 000 bookings take a
fraction of a second.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, Integer, case, cast, func, select
from sqlalchemy.orm import Session

from positrix.errors import PositrixError
from positrix.facility.access import FACILITY_ROLES
from positrix.facility.models import Booking, Instrument, Membership, Project, Usage, User

__all__ = ["GROUPINGS", "report_hours"]

#: What a report can be grouped by.
GROUPINGS = ("project", "pi", "instrument", "month")


def _minutes(dialect: str, start: Any, end: Any) -> Any:
    if dialect == "postgresql":
        return func.extract("epoch", end - start) / 60.0
    return (func.julianday(end) - func.julianday(start)) * 1440.0


def _greatest(dialect: str, *values: Any) -> Any:
    return func.greatest(*values) if dialect == "postgresql" else func.max(*values)


def _group_key(dialect: str, by: str) -> Any:
    if by == "project":
        return Project.code
    if by == "pi":
        return User.username
    if by == "instrument":
        return Instrument.name
    if dialect == "postgresql":
        return func.to_char(Booking.start, "YYYY-MM")
    return func.strftime("%Y-%m", Booking.start)


def report_hours(
    session: Session, actor: User, *, start: datetime, end: datetime, by: str = "project"
) -> list[dict[str, Any]]:
    """Hours and amounts of the bookings that start in ``[start, end)``, grouped by ``by``.

    Returns
    -------
    list of dict
        One per group, sorted by key: ``key, bookings, booked_h, used_h, billable_h,
        amount`` (amount in the facility's currency, at each project's rate tier).
    """
    if by not in GROUPINGS:
        raise PositrixError(f"cannot group by '{by}'", field="--by", fix=", ".join(GROUPINGS))
    if not start < end:
        raise PositrixError("the period ends before it starts", field="--to", fix="swap them")
    dialect = session.get_bind().dialect.name
    booked = _minutes(dialect, Booking.start, Booking.end)
    used = func.coalesce(_minutes(dialect, Usage.start, Usage.end), 0.0)
    longest = _greatest(dialect, booked, used, cast(Instrument.min_billable_min, Float()))
    billable = _ceil_to_step(dialect, longest, Instrument.step_min)
    rate = case(
        (Project.rate_tier == "external", Instrument.rate_external),
        (Project.rate_tier == "industry", Instrument.rate_industry),
        else_=Instrument.rate_internal,
    )
    key = _group_key(dialect, by).label("key")
    query = (
        select(
            key,
            func.count(Booking.id),
            func.sum(booked),
            func.sum(used),
            func.sum(billable),
            func.sum(billable * rate / 60.0),
        )
        .join(Instrument, Instrument.id == Booking.instrument_id)
        .join(Project, Project.id == Booking.project_id)
        .join(User, User.id == Project.pi_id)
        .outerjoin(Usage, Usage.booking_id == Booking.id)
        .where(Booking.status != "cancelled", Booking.start >= start, Booking.start < end)
        .group_by(key)
        .order_by(key)
    )
    if actor.role not in FACILITY_ROLES:
        mine = select(Membership.project_id).where(Membership.user_id == actor.id)
        query = query.where(Booking.project_id.in_(mine))
    return [
        {
            "key": str(row[0]),
            "bookings": int(row[1]),
            "booked_h": round(float(row[2] or 0.0) / 60.0, 4),
            "used_h": round(float(row[3] or 0.0) / 60.0, 4),
            "billable_h": round(float(row[4] or 0.0) / 60.0, 4),
            "amount": round(float(row[5] or 0.0), 2),
        }
        for row in session.execute(query)
    ]


def _ceil_to_step(dialect: str, minutes: Any, step: Any) -> Any:
    """``ceil(minutes / step) · step``; a hair below a whole step (float noise) counts as it."""
    ratio = minutes / step - 1e-6
    if dialect == "postgresql":
        return func.ceil(ratio) * step
    whole = cast(ratio, Integer())  # SQLite: CAST truncates towards 0
    return (whole + case((ratio > whole, 1), else_=0)) * step
