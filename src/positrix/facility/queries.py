"""What the pages show: read-side service functions, each checking who may see what.

A record of a project the actor may not see is "not found", exactly like one that does not
exist (:func:`positrix.facility.access.require_project`), for every kind of record: animals,
imaging sessions, series, invoices.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from positrix.facility.access import FACILITY_ROLES, NotFoundError, is_member, require_project
from positrix.facility.events import animal_history
from positrix.facility.models import (
    ACTIVE_BOOKING,
    Animal,
    Booking,
    ImagingSession,
    Instrument,
    Invoice,
    Membership,
    Project,
    Publication,
    Series,
    User,
)

__all__ = [
    "animal_page",
    "dashboard",
    "project_page",
    "session_page",
    "visible_project_ids",
    "visible_series",
    "visible_session",
    "week_of_bookings",
]


def visible_project_ids(session: Session, actor: User) -> Any:
    """A SELECT of the ids of the projects ``actor`` may see (every one for staff)."""
    if actor.role in FACILITY_ROLES:
        return select(Project.id)
    led = select(Project.id).where(Project.pi_id == actor.id)
    joined = select(Membership.project_id).where(Membership.user_id == actor.id)
    return led.union(joined)


def _booking(b: Booking, *, details: bool) -> dict[str, Any]:
    row = {
        "id": b.id,
        "instrument": b.instrument.name,
        "start": b.start.isoformat(),
        "end": b.end.isoformat(),
        "status": b.status,
    }
    if details:
        row |= {"project": b.project.code, "user": b.user.username, "assisted": b.assisted}
    return row


def _session_row(s: ImagingSession) -> dict[str, Any]:
    return {
        "id": s.id,
        "animal": s.animal.facility_id,
        "start": s.start.isoformat(),
        "instrument_id": s.instrument_id,
        "weight_g": s.weight_g,
    }


def dashboard(session: Session, actor: User, *, now: datetime) -> dict[str, Any]:
    """The actor's projects, their next bookings and recent imaging sessions."""
    mine = visible_project_ids(session, actor)
    projects = session.scalars(select(Project).where(Project.id.in_(mine)).order_by(Project.code))
    upcoming = session.scalars(
        select(Booking)
        .where(Booking.project_id.in_(mine), Booking.end >= now, Booking.status.in_(ACTIVE_BOOKING))
        .order_by(Booking.start)
        .limit(10)
    )
    recent = session.scalars(
        select(ImagingSession)
        .join(Animal, Animal.id == ImagingSession.animal_id)
        .where(Animal.project_id.in_(mine))
        .order_by(ImagingSession.start.desc())
        .limit(10)
    )
    return {
        "projects": [
            {"code": p.code, "title": p.title, "pi": p.pi.username, "status": p.status}
            for p in projects
        ],
        "bookings": [_booking(b, details=True) for b in upcoming],
        "sessions": [_session_row(s) for s in recent],
    }


def project_page(session: Session, actor: User, code: str) -> dict[str, Any]:
    """A project: fields, members, animals by cohort, sessions, series, invoices, papers."""
    project = require_project(session, actor, code)
    members = session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.project_id == project.id)
        .order_by(User.username)
    )
    animals = list(
        session.scalars(
            select(Animal).where(Animal.project_id == project.id).order_by(Animal.facility_id)
        )
    )
    cohorts: dict[str, list[str]] = {}
    for animal in animals:
        cohorts.setdefault(animal.cohort or "—", []).append(animal.facility_id)
    scans = session.scalars(
        select(ImagingSession)
        .join(Animal, Animal.id == ImagingSession.animal_id)
        .where(Animal.project_id == project.id)
        .order_by(ImagingSession.start.desc())
    )
    series = session.scalars(select(Series).where(Series.project_id == project.id))
    invoices = session.scalars(
        select(Invoice).where(Invoice.project_id == project.id).order_by(Invoice.month.desc())
    )
    papers = session.scalars(select(Publication).where(Publication.project_id == project.id))
    return {
        "code": project.code,
        "title": project.title,
        "pi": project.pi.username,
        "rate_tier": project.rate_tier,
        "grant": project.grant,
        "protocol": project.protocol,
        "protocol_expiry": project.protocol_expiry.isoformat() if project.protocol_expiry else None,
        "radiation_permit": project.radiation_permit,
        "status": project.status,
        "members": [
            {"username": u.username, "full_name": u.full_name, "role": u.role} for u in members
        ],
        "cohorts": cohorts,
        "sessions": [_session_row(s) for s in scans],
        "series": [
            {
                "id": s.id,
                "modality": s.modality,
                "sha256": s.sha256,
                "session": s.imaging_session_id,
            }
            for s in series
        ],
        "invoices": [{"month": i.month, "status": i.status, "total": i.total} for i in invoices],
        "publications": [{"doi": p.doi, "title": p.title, "year": p.year} for p in papers],
        "is_pi": project.pi_id == actor.id,
    }


def animal_page(session: Session, actor: User, facility_id: str) -> dict[str, Any]:
    """An animal: demographics, its timeline of events and its scans."""
    history = animal_history(session, actor, facility_id)  # checks access
    animal = session.scalars(select(Animal).where(Animal.facility_id == facility_id)).one()
    scans = session.scalars(
        select(ImagingSession)
        .where(ImagingSession.animal_id == animal.id)
        .order_by(ImagingSession.start)
    )
    project = session.get(Project, animal.project_id)
    assert project is not None
    return {
        "facility_id": animal.facility_id,
        "project": project.code,
        "species": animal.species,
        "strain": animal.strain,
        "sex": animal.sex,
        "cohort": animal.cohort,
        "date_of_birth": animal.date_of_birth.isoformat() if animal.date_of_birth else None,
        "genetic_modification": animal.genetic_modification,
        "source": animal.source,
        "endpoint": animal.endpoint.isoformat() if animal.endpoint else None,
        "events": history,
        "sessions": [_session_row(s) for s in scans],
    }


def visible_session(session: Session, actor: User, session_id: int) -> ImagingSession:
    """The imaging session if the actor may see its project, else :class:`NotFoundError`."""
    scan = session.get(ImagingSession, session_id)
    project = session.get(Project, scan.animal.project_id) if scan is not None else None
    if scan is None or project is None or not _sees(session, actor, project):
        raise NotFoundError(f"no imaging session {session_id}", field="session", fix="check it")
    return scan


def visible_series(session: Session, actor: User, series_id: int) -> Series:
    """The series if the actor may see its project, else :class:`NotFoundError`."""
    found = session.get(Series, series_id)
    project = session.get(Project, found.project_id) if found is not None else None
    if found is None or project is None or not _sees(session, actor, project):
        raise NotFoundError(f"no series {series_id}", field="series", fix="check the id")
    return found


def _sees(session: Session, actor: User, project: Project) -> bool:
    return actor.role in FACILITY_ROLES or is_member(session, actor, project)


def session_page(session: Session, actor: User, session_id: int) -> dict[str, Any]:
    """An imaging session: animal, conditions, injection (net dose), series."""
    scan = visible_session(session, actor, session_id)
    net = None
    if scan.injected_before_bq is not None:
        net = scan.injected_before_bq - (scan.residual_bq or 0.0)
    series = session.scalars(select(Series).where(Series.imaging_session_id == scan.id))
    device = session.get(Instrument, scan.instrument_id)
    return {
        "id": scan.id,
        "animal": scan.animal.facility_id,
        "project": session.get(Project, scan.animal.project_id).code,  # type: ignore[union-attr]
        "instrument": device.name if device else "",
        "start": scan.start.isoformat(),
        "weight_g": scan.weight_g,
        "anaesthesia": scan.anaesthesia,
        "fasting_h": scan.fasting_h,
        "glucose_mmol_l": scan.glucose_mmol_l,
        "warming": scan.warming,
        "batch": scan.batch.lot if scan.batch else None,
        "injection_time": scan.injection_time.isoformat() if scan.injection_time else None,
        "injected_before_bq": scan.injected_before_bq,
        "residual_bq": scan.residual_bq,
        "net_injected_bq": net,
        "injection_route": scan.injection_route,
        "hotel_position": scan.hotel_position,
        "notes": scan.notes,
        "series": [
            {"id": s.id, "modality": s.modality, "size_bytes": s.size_bytes, "sha256": s.sha256}
            for s in series
        ],
    }


def week_of_bookings(session: Session, actor: User, instrument: str,
                     monday: datetime) -> list[dict[str, Any]]:  # fmt: skip
    """The instrument's active and completed bookings in the week from ``monday``; project
    and user shown only for bookings the actor may see (others are just busy)."""
    device = session.scalars(select(Instrument).where(Instrument.name == instrument)).first()
    if device is None:
        raise NotFoundError(f"no instrument '{instrument}'", field="instrument", fix="check it")
    mine = set(session.scalars(visible_project_ids(session, actor)))
    rows = session.scalars(
        select(Booking)
        .where(
            Booking.instrument_id == device.id,
            Booking.status != "cancelled",
            Booking.end > monday,
            Booking.start < monday + timedelta(days=7),
        )
        .order_by(Booking.start)
    )
    return [_booking(b, details=b.project_id in mine) for b in rows]
