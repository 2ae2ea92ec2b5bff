"""Server-rendered pages (Jinja2).  Each handler gets its user from :mod:`positrix.web.deps`,
asks the service layer (which decides what that user may see) and renders a template; forms
post back with the session's CSRF token and every write goes through the service layer."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from positrix.errors import PositrixError
from positrix.facility import queries
from positrix.facility.access import require_role
from positrix.facility.bookings import add_training, book, cancel, record_usage
from positrix.facility.invoices import (
    approve_invoice,
    draft_invoice,
    get_invoice,
    invoice_as_dict,
    send_invoice,
)
from positrix.facility.models import AuditEntry, Instrument, Training, User
from positrix.facility.people import create_user
from positrix.facility.reports import GROUPINGS, report_hours
from positrix.web.deps import (
    DB,
    MaybeUser,
    PageUser,
    check_csrf,
    day_start,
    form_value,
    moment,
    write,
)
from positrix.web.login import log_in, log_out

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _render(request: Request, name: str, user: User | None, **context: Any) -> HTMLResponse:
    templates = request.app.state.templates
    context |= {
        "user": user,
        "csrf": getattr(request.state, "csrf", ""),
        "note": request.query_params.get("note", ""),
        "error": request.query_params.get("error", ""),
    }
    return templates.TemplateResponse(request, name, context)


def _back(path: str, *, note: str = "", error: str = "") -> RedirectResponse:
    query = f"note={quote(note)}" if note else f"error={quote(error)}" if error else ""
    joiner = "&" if "?" in path else "?"
    return RedirectResponse(path + (joiner + query if query else ""), status_code=303)


async def _form(request: Request) -> Any:
    form = await request.form()
    check_csrf(request, form_value(form, "csrf"))
    return form


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, user: MaybeUser, next: str = "/") -> Response:
    """The login form."""
    return _render(request, "login.html", user, next=next)


@router.post("/login")
async def login(request: Request, session: DB) -> Response:
    """Check the password, set the session cookie, go where the user was going."""
    form = await request.form()
    target = form_value(form, "next") or "/"
    if not target.startswith("/") or target.startswith("//"):
        target = "/"  # never redirect off-site
    response = RedirectResponse(target, status_code=303)
    from fastapi import HTTPException

    try:
        log_in(
            request, response, session, form_value(form, "username"), form_value(form, "password")
        )
    except HTTPException as err:
        return _back(f"/login?next={quote(target)}", error=str(err.detail))
    return response


@router.post("/logout")
async def logout(request: Request, user: PageUser) -> Response:
    """End the session."""
    await _form(request)
    response = RedirectResponse("/login", status_code=303)
    log_out(response)
    return response


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, session: DB, user: PageUser) -> Response:
    """Projects, next bookings, recent sessions."""
    data = queries.dashboard(session, user, now=datetime.now(UTC))
    return _render(request, "dashboard.html", user, **data)


@router.get("/projects/{code}", response_class=HTMLResponse)
def project(code: str, request: Request, session: DB, user: PageUser) -> Response:
    """One project."""
    return _render(request, "project.html", user, p=queries.project_page(session, user, code))


@router.get("/animals/{facility_id}", response_class=HTMLResponse)
def animal(facility_id: str, request: Request, session: DB, user: PageUser) -> Response:
    """One animal's timeline."""
    data = queries.animal_page(session, user, facility_id)
    return _render(request, "animal.html", user, a=data)


@router.get("/sessions/{session_id}", response_class=HTMLResponse)
def imaging_session(session_id: int, request: Request, session: DB, user: PageUser) -> Response:
    """One imaging session with the PET/CT viewer."""
    from positrix.web.viewer import UNITS

    data = queries.session_page(session, user, session_id)
    pet = next((s["id"] for s in data["series"] if s["modality"] == "PT"), None)
    ct = next((s["id"] for s in data["series"] if s["modality"] == "CT"), None)
    return _render(request, "session.html", user, s=data, pet=pet, ct=ct, units=UNITS)


def _monday(text: str | None) -> date:
    day = date.fromisoformat(text) if text else datetime.now(UTC).date()
    return day - timedelta(days=day.weekday())


@router.get("/calendar", response_class=HTMLResponse)
def calendar(request: Request, session: DB, user: PageUser, instrument: str = "",
             week: str = "") -> Response:  # fmt: skip
    """An instrument's week: bookings per day, the booking form."""
    names = list(session.scalars(select(Instrument.name).order_by(Instrument.name)))
    chosen = instrument or (names[0] if names else "")
    try:
        monday = _monday(week or None)
    except ValueError:
        raise PositrixError(f"'{week}' is not a date", field="week", fix="YYYY-MM-DD") from None
    start = datetime.combine(monday, datetime.min.time(), UTC)
    rows = queries.week_of_bookings(session, user, chosen, start) if chosen else []
    days = [monday + timedelta(days=k) for k in range(7)]
    by_day = {d.isoformat(): [r for r in rows if r["start"][:10] == d.isoformat()] for d in days}
    mine = queries.dashboard(session, user, now=start)["projects"]
    return _render(
        request,
        "calendar.html",
        user,
        instruments=names,
        instrument=chosen,
        days=days,
        by_day=by_day,
        projects=mine,
        previous=(monday - timedelta(days=7)).isoformat(),
        following=(monday + timedelta(days=7)).isoformat(),
        week=monday.isoformat(),
    )


@router.post("/calendar/book")
async def calendar_book(request: Request, session: DB, user: PageUser) -> Response:
    """Book from the calendar; a conflict comes back as a message naming the booking."""
    form = await _form(request)
    here = f"/calendar?instrument={quote(form_value(form, 'instrument'))}&week={form_value(form, 'week')}"  # noqa: E501
    try:
        start = moment(form_value(form, "start"), "start")
        end = moment(form_value(form, "end"), "end")
        made = write(
            session,
            lambda: book(
                session,
                user,
                instrument=form_value(form, "instrument"),
                project=form_value(form, "project"),
                user=form_value(form, "user") or user.username,
                start=start,
                end=end,
                assisted=form_value(form, "assisted") == "on",
            ),
        )
    except PositrixError as err:
        return _back(here, error=str(err))
    return _back(here, note=f"booking {made.id} made")


@router.post("/bookings/{booking_id}/cancel")
async def booking_cancel(booking_id: int, request: Request, session: DB,
                         user: PageUser) -> Response:  # fmt: skip
    """Cancel a booking."""
    form = await _form(request)
    write(session, lambda: cancel(session, user, booking_id))
    return _back(form_value(form, "back") or "/calendar", note=f"booking {booking_id} cancelled")


@router.post("/bookings/{booking_id}/usage")
async def booking_usage(booking_id: int, request: Request, session: DB,
                        user: PageUser) -> Response:  # fmt: skip
    """Record actual use (staff)."""
    form = await _form(request)
    start = moment(form_value(form, "start"), "start")
    end = moment(form_value(form, "end"), "end")
    write(
        session,
        lambda: record_usage(
            session,
            user,
            booking_id,
            start=start,
            end=end,
            operator=form_value(form, "operator") or None,
        ),
    )
    return _back(form_value(form, "back") or "/calendar", note=f"usage of {booking_id} recorded")


@router.get("/hours", response_class=HTMLResponse)
def hours(request: Request, session: DB, user: PageUser, start: str = "", end: str = "",
          by: str = "month") -> Response:  # fmt: skip
    """Service hours: a chart and a table (one's own projects unless staff)."""
    from positrix.web.charts import hours_chart

    today = datetime.now(UTC).date()
    first = start or date(today.year, 1, 1).isoformat()
    last = end or date(today.year + 1, 1, 1).isoformat()
    rows = report_hours(
        session,
        user,
        start=day_start(first, "start"),
        end=day_start(last, "end"),
        by=by,
    )
    return _render(
        request,
        "hours.html",
        user,
        rows=rows,
        by=by,
        start=first,
        end=last,
        groupings=GROUPINGS,
        chart=hours_chart(rows, by=by),
    )


@router.get("/projects/{code}/invoices/{month}", response_class=HTMLResponse)
def invoice(code: str, month: str, request: Request, session: DB, user: PageUser) -> Response:
    """A project's invoice of a month (PI: approve; staff: redraft, send)."""
    data = invoice_as_dict(get_invoice(session, user, code, month))
    return _render(
        request,
        "invoice.html",
        user,
        i=data,
        is_pi=queries.project_page(session, user, code)["is_pi"],
    )


@router.post("/projects/{code}/invoices/{month}/{step}")
async def invoice_step(code: str, month: str, step: str, request: Request, session: DB,
                       user: PageUser) -> Response:  # fmt: skip
    """Draft, approve or send."""
    await _form(request)
    steps = {"draft": draft_invoice, "approve": approve_invoice, "send": send_invoice}
    if step not in steps:
        raise PositrixError(f"unknown step '{step}'", field="step", fix="draft, approve, send")
    write(session, lambda: steps[step](session, user, code, month))
    return _back(f"/projects/{code}/invoices/{month}", note=f"invoice {step} done")


@router.get("/admin", response_class=HTMLResponse)
def admin(request: Request, session: DB, user: PageUser, verify: str = "") -> Response:
    """Users, trainings and the audit log (staff and admin)."""
    from positrix.facility.audit import verify_chain

    require_role(user, "staff")
    users = list(session.scalars(select(User).order_by(User.username)))
    trainings = session.execute(
        select(User.username, Instrument.name, Training.level, Training.expires)
        .join(User, User.id == Training.user_id)
        .join(Instrument, Instrument.id == Training.instrument_id)
        .order_by(User.username)
    ).all()
    audit = list(session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(50)))
    chain = verify_chain(session) if verify else None
    return _render(
        request, "admin.html", user, users=users, trainings=trainings, audit=audit, chain=chain
    )


@router.post("/admin/users")
async def admin_user(request: Request, session: DB, user: PageUser) -> Response:
    """Add a user (admin)."""
    form = await _form(request)
    write(
        session,
        lambda: create_user(
            session,
            user,
            form_value(form, "username"),
            role=form_value(form, "role") or "researcher",
            full_name=form_value(form, "full_name"),
            email=form_value(form, "email"),
        ),
    )
    return _back("/admin", note=f"user {form_value(form, 'username')} added")


@router.post("/admin/trainings")
async def admin_training(request: Request, session: DB, user: PageUser) -> Response:
    """Record a training (staff)."""
    form = await _form(request)
    expires = form_value(form, "expires")
    write(
        session,
        lambda: add_training(
            session,
            user,
            form_value(form, "username"),
            form_value(form, "instrument"),
            level=form_value(form, "level") or "independent",
            expires=date.fromisoformat(expires) if expires else None,
        ),
    )
    return _back("/admin", note="training recorded")
