"""Monthly invoices: staff draft them from the month's bookings (billable time at the
project's tier) and service charges, the project's PI approves them, staff send them.

A draft can be redrafted (its lines are recomputed); an approved or sent invoice is frozen.
The instrument lines use the same billable-time rule as the hours report, so an invoice's
instrument total equals that report's amount for the project and month.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from positrix.errors import PositrixError
from positrix.facility.access import AccessError, NotFoundError, require_project, require_role
from positrix.facility.audit import record
from positrix.facility.billing import billable_minutes
from positrix.facility.models import Booking, Charge, Invoice, InvoiceLine, Project, Usage, User

__all__ = [
    "approve_invoice",
    "draft_invoice",
    "get_invoice",
    "invoice_as_dict",
    "month_bounds",
    "send_invoice",
]


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """``YYYY-MM`` → its first instant and the next month's first instant (UTC).

    Examples
    --------
    >>> [t.isoformat() for t in month_bounds("2026-12")]
    ['2026-12-01T00:00:00+00:00', '2027-01-01T00:00:00+00:00']
    """
    try:
        start = datetime.strptime(month.strip(), "%Y-%m").replace(tzinfo=UTC)
    except ValueError:
        raise PositrixError(
            f"'{month}' is not a month", field="--month", fix="write YYYY-MM, e.g. 2026-03"
        ) from None
    following = start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)
    return start, following


def _minutes(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 60.0


def _booking_lines(session: Session, project: Project, start: datetime,
                   end: datetime) -> list[InvoiceLine]:  # fmt: skip
    query = (
        select(Booking, Usage)
        .outerjoin(Usage, Usage.booking_id == Booking.id)
        .where(
            Booking.project_id == project.id,
            Booking.status != "cancelled",
            Booking.start >= start,
            Booking.start < end,
        )
        .order_by(Booking.start)
    )
    lines = []
    for booking, usage in session.execute(query):
        device = booking.instrument
        used = _minutes(usage.start, usage.end) if usage is not None else None
        minutes = billable_minutes(
            _minutes(booking.start, booking.end),
            used,
            minimum_min=device.min_billable_min,
            step_min=device.step_min,
        )
        price = device.rate(project.rate_tier)
        state = " (no-show)" if booking.status == "no-show" else ""
        lines.append(
            InvoiceLine(
                reference=f"booking {booking.id}",
                description=f"{device.name} {booking.start:%Y-%m-%d %H:%M} UTC{state}",
                quantity=minutes / 60.0,
                unit="h",
                unit_price=price,
                amount=round(minutes / 60.0 * price, 2),
            )
        )
    return lines


def _charge_lines(session: Session, project: Project, start: datetime,
                  end: datetime) -> list[InvoiceLine]:  # fmt: skip
    query = (
        select(Charge)
        .where(Charge.project_id == project.id, Charge.at >= start, Charge.at < end)
        .order_by(Charge.at, Charge.id)
    )
    lines = []
    for charge in session.scalars(query):
        price = charge.service.rate(project.rate_tier)
        note = f": {charge.note}" if charge.note else ""
        lines.append(
            InvoiceLine(
                reference=f"charge {charge.id}",
                description=f"{charge.service.name} {charge.at:%Y-%m-%d}{note}"[:300],
                quantity=charge.quantity,
                unit=charge.service.unit,
                unit_price=price,
                amount=round(charge.quantity * price, 2),
            )
        )
    return lines


def _find(session: Session, project: Project, month: str) -> Invoice | None:
    query = select(Invoice).where(Invoice.project_id == project.id, Invoice.month == month)
    return session.scalars(query).first()


def draft_invoice(session: Session, actor: User, project: str, month: str) -> Invoice:
    """Draft (or redraft) ``project``'s invoice for ``month`` (staff or admin).

    Raises
    ------
    PositrixError
        When the invoice was already approved or sent (it is frozen).
    """
    require_role(actor, "staff")
    target = require_project(session, actor, project)
    start, end = month_bounds(month)
    invoice = _find(session, target, month)
    if invoice is not None and invoice.status != "draft":
        raise PositrixError(
            f"the invoice of {project} for {month} is {invoice.status}; it cannot change",
            field="status",
            fix="add a correction to the next month's invoice",
        )
    with session.no_autoflush:
        lines = _booking_lines(session, target, start, end)
        lines += _charge_lines(session, target, start, end)
    if invoice is None and not lines:
        raise PositrixError(
            f"{project} has no bookings or charges in {month}: nothing to invoice",
            field="--month",
            fix="check the project and the month",
        )
    if invoice is None:
        invoice = Invoice(
            project_id=target.id,
            month=month,
            rate_tier=target.rate_tier,
            drafted_at=datetime.now(UTC),
        )
        session.add(invoice)
    invoice.lines = lines
    invoice.rate_tier = target.rate_tier
    invoice.total = round(sum(line.amount for line in invoice.lines), 2)
    invoice.drafted_at = datetime.now(UTC)
    session.flush()
    record(
        session,
        actor.username,
        "draft-invoice",
        "invoices",
        invoice.id,
        after={
            "project": project,
            "month": month,
            "lines": len(invoice.lines),
            "total": invoice.total,
        },
    )
    return invoice


def get_invoice(session: Session, actor: User, project: str, month: str) -> Invoice:
    """The invoice, for the project's members, staff and admin."""
    target = require_project(session, actor, project)
    month_bounds(month)
    invoice = _find(session, target, month)
    if invoice is None:
        raise NotFoundError(
            f"no invoice of {project} for {month}",
            field="invoice",
            fix="staff draft it with positrix facility invoice PROJECT --month YYYY-MM",
        )
    return invoice


def approve_invoice(session: Session, actor: User, project: str, month: str) -> Invoice:
    """The project's PI (or an admin) approves a draft."""
    invoice = get_invoice(session, actor, project, month)
    if actor.role != "admin" and invoice.project.pi_id != actor.id:
        raise AccessError(
            f"only the PI of {project} approves its invoices",
            field="role",
            fix=f"ask {invoice.project.pi.username}",
        )
    _advance(invoice, "draft", "approved")
    invoice.approved_by_id, invoice.approved_at = actor.id, datetime.now(UTC)
    session.flush()
    record(
        session,
        actor.username,
        "approve-invoice",
        "invoices",
        invoice.id,
        before={"status": "draft"},
        after={"status": "approved", "total": invoice.total},
    )
    return invoice


def send_invoice(session: Session, actor: User, project: str, month: str) -> Invoice:
    """Staff send an approved invoice to finance."""
    require_role(actor, "staff")
    invoice = get_invoice(session, actor, project, month)
    _advance(invoice, "approved", "sent")
    invoice.sent_at = datetime.now(UTC)
    session.flush()
    record(
        session,
        actor.username,
        "send-invoice",
        "invoices",
        invoice.id,
        before={"status": "approved"},
        after={"status": "sent"},
    )
    return invoice


def _advance(invoice: Invoice, expected: str, to: str) -> None:
    if invoice.status != expected:
        raise PositrixError(
            f"the invoice is {invoice.status}, not {expected}; it cannot become {to}",
            field="status",
            fix="draft → approved (by the PI) → sent (by staff)",
        )
    invoice.status = to


def invoice_as_dict(invoice: Invoice) -> dict[str, Any]:
    """The invoice as plain data (what ``--json`` prints and the PDF shows)."""
    project = invoice.project
    return {
        "project": project.code,
        "title": project.title,
        "pi": project.pi.full_name or project.pi.username,
        "grant": project.grant,
        "month": invoice.month,
        "status": invoice.status,
        "rate_tier": invoice.rate_tier,
        "drafted_at": invoice.drafted_at.isoformat(),
        "approved_at": invoice.approved_at.isoformat() if invoice.approved_at else None,
        "sent_at": invoice.sent_at.isoformat() if invoice.sent_at else None,
        "total": invoice.total,
        "lines": [
            {
                "reference": line.reference,
                "description": line.description,
                "quantity": round(line.quantity, 4),
                "unit": line.unit,
                "unit_price": line.unit_price,
                "amount": line.amount,
            }
            for line in invoice.lines
        ],
    }
