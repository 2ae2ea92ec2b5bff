"""Tracer batches, animals and imaging sessions with their injections.

An injection must come from a batch that still had that much: the batch's activity at the end
of synthesis, decayed to the moment of the draw, less every earlier draw decayed likewise,
must cover the syringe activity.  Nothing is drawn before the end of synthesis.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from positrix.errors import PositrixError
from positrix.facility.access import find, require_project, require_role
from positrix.facility.audit import record
from positrix.facility.bookings import get_instrument
from positrix.facility.models import Animal, ImagingSession, Project, TracerBatch, User
from positrix.physics.decay import activity_at
from positrix.physics.nuclides import get_nuclide
from positrix.physics.units import format_activity

__all__ = [
    "available_activity_bq",
    "create_batch",
    "record_session",
    "register_animal",
]


def create_batch(
    session: Session,
    actor: User,
    lot: str,
    *,
    tracer: str,
    nuclide: str,
    eos_time: datetime,
    eos_activity_bq: float,
    molar_activity_gbq_per_umol: float | None = None,
) -> TracerBatch:
    """Record a radiotracer batch (staff or admin)."""
    require_role(actor, "staff")
    name = get_nuclide(nuclide).name
    if not (math.isfinite(eos_activity_bq) and eos_activity_bq > 0):
        raise PositrixError("the batch activity must be > 0", field="eos_activity", fix="check it")
    batch = TracerBatch(
        lot=lot,
        tracer=tracer,
        nuclide=name,
        eos_time=eos_time,
        eos_activity_bq=eos_activity_bq,
        molar_activity_gbq_per_umol=molar_activity_gbq_per_umol,
    )
    session.add(batch)
    session.flush()
    record(
        session,
        actor.username,
        "create",
        "tracer_batches",
        batch.id,
        after={
            "lot": lot,
            "tracer": tracer,
            "nuclide": name,
            "eos_time": eos_time,
            "eos_activity_bq": eos_activity_bq,
        },
    )
    return batch


def register_animal(
    session: Session, actor: User, facility_id: str, *, project: str, **fields: Any
) -> Animal:
    """Add an animal to a project the actor may change; ``fields``: species, strain, sex,
    date_of_birth, genetic_modification, source, cohort."""
    target = require_project(session, actor, project, write=True)
    animal = Animal(facility_id=facility_id, project_id=target.id, **fields)
    session.add(animal)
    session.flush()
    record(
        session,
        actor.username,
        "create",
        "animals",
        animal.id,
        after={"facility_id": facility_id, "project": project, **fields},
    )
    return animal


def _decayed(activity_bq: float, nuclide: str, since: datetime, at: datetime) -> float:
    return float(activity_at(activity_bq, nuclide, measured_at=since, at=at))


def available_activity_bq(
    session: Session, batch: TracerBatch, at: datetime, *, excluding: int | None = None
) -> float:
    """What is left of ``batch`` at ``at``: its EOS activity less the draws made up to
    ``at``, all decayed to ``at``."""
    left = _decayed(batch.eos_activity_bq, batch.nuclide, batch.eos_time, at)
    draws = session.execute(
        select(
            ImagingSession.id,
            ImagingSession.injected_before_bq,
            ImagingSession.injected_before_time,
            ImagingSession.injection_time,
        ).where(ImagingSession.batch_id == batch.id)
    )
    for session_id, drawn, measured, injected in draws:
        when = measured or injected
        if session_id == excluding or drawn is None or when is None or when > at:
            continue
        left -= _decayed(drawn, batch.nuclide, when, at)
    return left


def record_session(
    session: Session,
    actor: User,
    animal: str,
    *,
    instrument: str,
    start: datetime,
    batch: str | None = None,
    injection_time: datetime | None = None,
    injected_before_bq: float | None = None,
    injected_before_time: datetime | None = None,
    residual_bq: float = 0.0,
    residual_time: datetime | None = None,
    **conditions: Any,
) -> ImagingSession:
    """Record an imaging session; ``conditions``: weight_g, anaesthesia, fasting_h,
    glucose_mmol_l, warming, hotel_position, booking_id, operator_id.

    Raises
    ------
    PositrixError
        When the batch had less left than the syringe held, the draw precedes the end of
        synthesis, or the injection is incomplete.
    """
    found: Animal = find(
        session, Animal.facility_id, animal, what="animal", fix="register it first"
    )
    project = session.get(Project, found.project_id)
    assert project is not None
    require_project(session, actor, project.code, write=True)
    device = get_instrument(session, instrument)
    source = _batch(session, batch) if batch else None
    if source is not None:
        _check_draw(session, source, injection_time, injected_before_bq, injected_before_time)
    scan = ImagingSession(
        animal_id=found.id,
        instrument_id=device.id,
        start=start,
        batch_id=source.id if source else None,
        injection_time=injection_time,
        injected_before_bq=injected_before_bq,
        injected_before_time=injected_before_time,
        residual_bq=residual_bq,
        residual_time=residual_time,
        **conditions,
    )
    session.add(scan)
    session.flush()
    record(
        session,
        actor.username,
        "create",
        "imaging_sessions",
        scan.id,
        after={
            "animal": animal,
            "instrument": instrument,
            "start": start,
            "batch": batch,
            "injected_before_bq": injected_before_bq,
        },
    )
    return scan


def _batch(session: Session, lot: str) -> TracerBatch:
    found: TracerBatch = find(
        session, TracerBatch.lot, lot, what="tracer batch", fix="record the batch first"
    )
    return found


def _check_draw(
    session: Session,
    batch: TracerBatch,
    injection_time: datetime | None,
    drawn_bq: float | None,
    measured: datetime | None,
) -> None:
    if injection_time is None or drawn_bq is None:
        raise PositrixError(
            "an injection from a batch needs its time and the syringe activity",
            field="injection",
            fix="give the injection time and the activity before injection",
        )
    when = measured or injection_time
    if when < batch.eos_time:
        raise PositrixError(
            f"the dose was measured at {when.isoformat()}, before the end of synthesis of "
            f"{batch.lot} ({batch.eos_time.isoformat()})",
            field="injected_before_time",
            fix="check the times (and their UTC offsets)",
        )
    # the stock changes only at draws: it must cover this draw at its time and stay ≥ 0 at
    # every later draw already recorded (a back-dated entry must not overdraw the batch)
    later = session.scalars(
        select(
            func.coalesce(ImagingSession.injected_before_time, ImagingSession.injection_time)
        ).where(ImagingSession.batch_id == batch.id)
    )
    for moment in sorted({when, *(t for t in later if t is not None and t > when)}):
        left = available_activity_bq(session, batch, moment)
        needed = _decayed(drawn_bq, batch.nuclide, when, moment)
        if needed > left * (1 + 1e-9):
            raise PositrixError(
                f"batch {batch.lot} had {format_activity(max(left, 0.0))} left at "
                f"{moment.isoformat()}, less than the {format_activity(needed)} this draw "
                "would take",
                field="injected_before_bq",
                fix="check the activity, its unit, its time and the batch",
            )
