"""What happens to an animal between scans: weighings, caliper measurements, drug and
radiotherapy doses with their schedule, tumour implants, husbandry and its endpoint.

A caliper measurement gives the tumour volume by the modified ellipsoid formula
V = L · W² / 2 (L the longest diameter, W the perpendicular one; Tomayko & Reynolds 1989,
the convention of most tumour-growth studies).
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from positrix.errors import PositrixError
from positrix.facility.access import find, require_project
from positrix.facility.audit import record
from positrix.facility.models import ANIMAL_EVENTS, Animal, AnimalEvent, Project, User

__all__ = ["add_event", "animal_history", "tumour_volume_mm3"]

#: The values each kind of event needs.
_NEEDS = {
    "weight": ("weight_g",),
    "caliper": ("length_mm", "width_mm"),
    "drug": ("agent", "dose", "dose_unit"),
    "radiotherapy": ("dose", "dose_unit"),
    "implant": ("agent",),
    "husbandry": ("note",),
    "endpoint": (),
}
_NUMBERS = ("weight_g", "length_mm", "width_mm", "dose")


def tumour_volume_mm3(length_mm: float, width_mm: float) -> float:
    """Tumour volume from caliper diameters, V = L · W² / 2 (mm³).

    The longer diameter is taken as L whichever order they are given in.

    Examples
    --------
    >>> tumour_volume_mm3(10.0, 8.0)
    320.0
    >>> tumour_volume_mm3(8.0, 10.0)
    320.0
    """
    longest, shortest = max(length_mm, width_mm), min(length_mm, width_mm)
    return longest * shortest**2 / 2.0


def _animal(session: Session, actor: User, facility_id: str, *, write: bool) -> Animal:
    found: Animal = find(
        session, Animal.facility_id, facility_id, what="animal", fix="register it first"
    )
    project = session.get(Project, found.project_id)
    assert project is not None
    require_project(session, actor, project.code, write=write)
    return found


def add_event(
    session: Session, actor: User, animal: str, kind: str, *, at: datetime, **values: Any
) -> AnimalEvent:
    """Record an event of ``kind`` for ``animal`` (its project's members, staff, admin).

    ``values``: weight_g, length_mm, width_mm, agent, dose, dose_unit, route, schedule, note;
    each kind needs its own (a weighing its weight, a caliper measurement both diameters, a
    drug its agent, dose and unit).  An endpoint also sets the animal's endpoint date.
    """
    if kind not in ANIMAL_EVENTS:
        raise PositrixError(
            f"unknown event '{kind}'", field="kind", fix="one of " + ", ".join(ANIMAL_EVENTS)
        )
    missing = [name for name in _NEEDS[kind] if values.get(name) in (None, "")]
    if missing:
        raise PositrixError(
            f"a {kind} event needs {', '.join(missing)}", field=missing[0], fix="give it"
        )
    for name in _NUMBERS:
        number = values.get(name)
        if number is not None and not (math.isfinite(number) and number >= 0):
            raise PositrixError(f"{name} must be a number ≥ 0", field=name, fix="check it")
    target = _animal(session, actor, animal, write=True)
    event = AnimalEvent(animal_id=target.id, at=at, kind=kind, **values)
    session.add(event)
    if kind == "endpoint":
        target.endpoint = at.date()
    session.flush()
    record(
        session,
        actor.username,
        kind,
        "animal_events",
        event.id,
        after={"animal": animal, "at": at, **values},
    )
    return event


def animal_history(session: Session, actor: User, animal: str) -> list[dict[str, Any]]:
    """The animal's events in time order, caliper measurements with their volume (mm³)."""
    target = _animal(session, actor, animal, write=False)
    query = select(AnimalEvent).where(AnimalEvent.animal_id == target.id)
    rows = []
    for event in session.scalars(query.order_by(AnimalEvent.at, AnimalEvent.id)):
        row = {
            "at": event.at.isoformat(),
            "kind": event.kind,
            **{
                name: getattr(event, name)
                for name in (*_NUMBERS, "agent", "dose_unit", "route", "schedule", "note")
                if getattr(event, name) not in (None, "")
            },
        }
        if event.length_mm is not None and event.width_mm is not None:
            row["tumour_volume_mm3"] = tumour_volume_mm3(event.length_mm, event.width_mm)
        rows.append(row)
    return rows
