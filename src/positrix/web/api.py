"""The JSON API under ``/api`` (OpenAPI at ``/api/openapi.json``).  Every write needs the
session's CSRF token in ``X-CSRF-Token`` (``POST /api/login`` returns it)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Header, Request, Response
from pydantic import BaseModel

from positrix.facility import queries
from positrix.facility.bookings import book, cancel, record_usage
from positrix.facility.invoices import approve_invoice, get_invoice, invoice_as_dict
from positrix.facility.reports import report_hours
from positrix.web.deps import DB, ApiUser, check_csrf, day_start, moment, write
from positrix.web.login import log_in, log_out

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["api"])


class Credentials(BaseModel):
    """``POST /api/login`` body."""

    username: str
    password: str


class NewBooking(BaseModel):
    """``POST /api/bookings`` body (times ISO 8601 with offset)."""

    instrument: str
    project: str
    user: str
    start: str
    end: str
    assisted: bool = False


class NewUsage(BaseModel):
    """``POST /api/bookings/{id}/usage`` body."""

    start: str
    end: str
    operator: str | None = None


@router.post("/login")
def login(body: Credentials, request: Request, response: Response, session: DB) -> dict[str, Any]:
    """Log in; the session cookie comes back, and the CSRF token for later writes."""
    user, csrf = log_in(request, response, session, body.username, body.password)
    return {"username": user.username, "role": user.role, "csrf": csrf}


@router.post("/logout")
def logout(response: Response, user: ApiUser) -> dict[str, str]:
    """Log out."""
    log_out(response)
    return {"username": user.username}


@router.get("/me")
def me(request: Request, user: ApiUser) -> dict[str, Any]:
    """Who is logged in (and the session's CSRF token)."""
    return {"username": user.username, "role": user.role, "csrf": request.state.csrf}


@router.get("/projects")
def projects(session: DB, user: ApiUser) -> list[dict[str, Any]]:
    """The projects the user may see, each with its ``code``."""
    return queries.dashboard(session, user, now=datetime.now(UTC))["projects"]


@router.get("/projects/{code}")
def project(code: str, session: DB, user: ApiUser) -> dict[str, Any]:
    """One project (404 for a project the user does not belong to, as for none)."""
    return queries.project_page(session, user, code)


@router.get("/animals/{facility_id}")
def animal(facility_id: str, session: DB, user: ApiUser) -> dict[str, Any]:
    """One animal with its timeline."""
    return queries.animal_page(session, user, facility_id)


@router.get("/sessions/{session_id}")
def imaging_session(session_id: int, session: DB, user: ApiUser) -> dict[str, Any]:
    """One imaging session with its injection and series."""
    return queries.session_page(session, user, session_id)


@router.get("/bookings")
def bookings(instrument: str, week: str, session: DB, user: ApiUser) -> list[dict[str, Any]]:
    """An instrument's bookings in the week starting ``week`` (a date, Monday)."""
    monday = day_start(week, "week")
    return queries.week_of_bookings(session, user, instrument, monday)


@router.post("/bookings", status_code=201)
def new_booking(body: NewBooking, request: Request, session: DB, user: ApiUser,
                x_csrf_token: str | None = Header(default=None)) -> dict[str, Any]:  # fmt: skip
    """Book a slot; a conflict answers 400 naming the booking it collides with."""
    check_csrf(request, x_csrf_token)
    start, end = moment(body.start, "start"), moment(body.end, "end")
    made = write(
        session,
        lambda: book(
            session,
            user,
            instrument=body.instrument,
            project=body.project,
            user=body.user,
            start=start,
            end=end,
            assisted=body.assisted,
        ),
    )
    return {"id": made.id, "start": made.start.isoformat(), "end": made.end.isoformat()}


@router.post("/bookings/{booking_id}/cancel")
def cancel_booking(booking_id: int, request: Request, session: DB, user: ApiUser,
                   x_csrf_token: str | None = Header(default=None)) -> dict[str, Any]:  # fmt: skip
    """Cancel a booking of one's project (staff: any)."""
    check_csrf(request, x_csrf_token)
    write(session, lambda: cancel(session, user, booking_id))
    return {"id": booking_id, "status": "cancelled"}


@router.post("/bookings/{booking_id}/usage")
def usage(booking_id: int, body: NewUsage, request: Request, session: DB, user: ApiUser,
          x_csrf_token: str | None = Header(default=None)) -> dict[str, Any]:  # fmt: skip
    """Record what was used (staff)."""
    check_csrf(request, x_csrf_token)
    start, end = moment(body.start, "start"), moment(body.end, "end")
    write(
        session,
        lambda: record_usage(
            session, user, booking_id, start=start, end=end, operator=body.operator
        ),
    )
    return {"booking": booking_id, "start": start.isoformat(), "end": end.isoformat()}


@router.get("/reports/hours")
def hours(start: str, end: str, session: DB, user: ApiUser,
          by: str = "project") -> list[dict[str, Any]]:  # fmt: skip
    """Booked, used and billable hours and amounts (only one's own projects unless staff)."""
    first, last = day_start(start, "start"), day_start(end, "end")
    return report_hours(session, user, start=first, end=last, by=by)


@router.get("/projects/{code}/invoices/{month}")
def invoice(code: str, month: str, session: DB, user: ApiUser) -> dict[str, Any]:
    """A project's invoice of a month."""
    return invoice_as_dict(get_invoice(session, user, code, month))


@router.post("/projects/{code}/invoices/{month}/approve")
def approve(code: str, month: str, request: Request, session: DB, user: ApiUser,
            x_csrf_token: str | None = Header(default=None)) -> dict[str, Any]:  # fmt: skip
    """The PI approves a draft invoice."""
    check_csrf(request, x_csrf_token)
    return invoice_as_dict(write(session, lambda: approve_invoice(session, user, code, month)))
