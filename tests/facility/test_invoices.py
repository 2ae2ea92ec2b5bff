"""Invoices: the same money as the hours report, the draft → approved → sent life, who may do
which step, service charges at the project's tier, and the PDF."""

from __future__ import annotations

from datetime import timedelta

import pytest

from positrix.errors import PositrixError
from positrix.facility.access import AccessError, NotFoundError
from positrix.facility.bookings import book, cancel, record_usage
from positrix.facility.invoices import (
    approve_invoice,
    draft_invoice,
    get_invoice,
    invoice_as_dict,
    month_bounds,
    send_invoice,
)
from positrix.facility.models import Booking
from positrix.facility.reports import report_hours
from positrix.facility.services import add_charge, create_service
from tests.facility.conftest import T

H = timedelta(hours=1)


def _month_of_work(session, users):
    """Three bookings of P001 in March 2026: used longer, cancelled, no-show; one charge."""
    sam, rui = users["sam"], users["rui"]
    kept = book(session, rui, instrument="inveon", project="P001", user="rui", start=T, end=T + H)
    record_usage(session, sam, kept.id, start=T, end=T + H + timedelta(minutes=11))
    dropped = book(
        session,
        rui,
        instrument="inveon",
        project="P001",
        user="rui",
        start=T + 2 * H,
        end=T + 3 * H,
    )
    cancel(session, rui, dropped.id)
    absent = book(
        session,
        rui,
        instrument="inveon",
        project="P001",
        user="rui",
        start=T + 4 * H,
        end=T + 4 * H + timedelta(minutes=20),
    )
    session.get(Booking, absent.id).status = "no-show"
    create_service(session, sam, "fdg-dose", name="FDG dose", unit="dose", rates=(35, 60, 90))
    add_charge(session, sam, "P001", "fdg-dose", quantity=3, at=T, note="3 mice")
    session.commit()


def test_the_invoice_bills_what_the_hours_report_counts(facility):
    session, users = facility
    _month_of_work(session, users)
    invoice = invoice_as_dict(draft_invoice(session, users["sam"], "P001", "2026-03"))
    # booked 60, used 71 → 75 min; cancelled → nothing; no-show 20 → the 30 min minimum;
    # internal rate 120/h: 150 + 60; 3 FDG doses at 35 = 105
    amounts = {line["reference"].split()[0]: [] for line in invoice["lines"]}
    for line in invoice["lines"]:
        amounts[line["reference"].split()[0]].append(line["amount"])
    assert sorted(amounts["booking"]) == [60.0, 150.0]
    assert amounts["charge"] == [105.0]
    assert invoice["total"] == pytest.approx(315.0, abs=1e-9)
    start, end = month_bounds("2026-03")
    (row,) = report_hours(session, users["sam"], start=start, end=end, by="project")
    assert sum(amounts["booking"]) == pytest.approx(row["amount"], abs=0.01)
    assert any("no-show" in line["description"] for line in invoice["lines"])


def test_external_projects_pay_external_prices(facility):
    session, users = facility
    _month_of_work(session, users)
    session.get(Booking, 1).project.rate_tier = "external"
    invoice = draft_invoice(session, users["sam"], "P001", "2026-03")
    # 1.25 h + 0.5 h at 200/h + 3 doses at 60
    assert invoice.total == pytest.approx(1.75 * 200 + 3 * 60, abs=1e-9)


def test_draft_approve_send_and_who_may(facility):
    session, users = facility
    _month_of_work(session, users)
    with pytest.raises(AccessError):
        draft_invoice(session, users["rui"], "P001", "2026-03")  # researchers do not bill
    draft_invoice(session, users["sam"], "P001", "2026-03")
    assert get_invoice(session, users["rui"], "P001", "2026-03").status == "draft"
    with pytest.raises(NotFoundError):
        get_invoice(session, users["out"], "P001", "2026-03")  # not a member: not shown
    with pytest.raises(PositrixError, match="draft"):
        send_invoice(session, users["sam"], "P001", "2026-03")  # not yet approved
    with pytest.raises(AccessError, match="PI"):
        approve_invoice(session, users["sam"], "P001", "2026-03")  # staff do not approve
    with pytest.raises(AccessError, match="PI"):
        approve_invoice(session, users["rui"], "P001", "2026-03")
    approved = approve_invoice(session, users["pia"], "P001", "2026-03")
    assert approved.status == "approved" and approved.approved_by_id == users["pia"].id
    with pytest.raises(PositrixError, match="cannot change"):
        draft_invoice(session, users["sam"], "P001", "2026-03")  # frozen once approved
    with pytest.raises(AccessError):
        send_invoice(session, users["pia"], "P001", "2026-03")  # staff send
    assert send_invoice(session, users["sam"], "P001", "2026-03").status == "sent"
    with pytest.raises(PositrixError, match="sent"):
        approve_invoice(session, users["pia"], "P001", "2026-03")


def test_a_redraft_follows_the_bookings(facility):
    session, users = facility
    _month_of_work(session, users)
    first = draft_invoice(session, users["sam"], "P001", "2026-03").total
    book(
        session,
        users["rui"],
        instrument="inveon",
        project="P001",
        user="rui",
        start=T + 6 * H,
        end=T + 7 * H,
    )
    again = draft_invoice(session, users["sam"], "P001", "2026-03")
    assert again.total == pytest.approx(first + 120.0)
    assert len(again.lines) == 4


def test_bad_months_are_refused():
    for text in ("2026-13", "March", "2026/03"):
        with pytest.raises(PositrixError, match="YYYY-MM"):
            month_bounds(text)
    start, end = month_bounds("2026-12")
    assert (end - start).days == 31


def test_the_pdf(facility, tmp_path):
    from positrix.errors import OverwriteError
    from positrix.facility.invoice_pdf import write_invoice_pdf

    session, users = facility
    _month_of_work(session, users)
    invoice = invoice_as_dict(draft_invoice(session, users["sam"], "P001", "2026-03"))
    path = write_invoice_pdf(invoice, tmp_path / "inv.pdf")
    assert path.read_bytes()[:5] == b"%PDF-" and path.stat().st_size > 2000
    with pytest.raises(OverwriteError):
        write_invoice_pdf(invoice, path)
