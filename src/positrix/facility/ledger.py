"""The radioactive material ledger at a moment, per nuclide: received (batches), dispensed
(syringes drawn), injected (net of residuals), held in stock, and waste in the decay store;
every activity decayed to that moment."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from positrix.facility.access import require_role
from positrix.facility.animals import available_activity_bq
from positrix.facility.models import ImagingSession, TracerBatch, User, Waste
from positrix.facility.waste import release_after, waste_activity
from positrix.physics.decay import activity_at

__all__ = ["radioactive_stock", "waste_in_store"]

_COLUMNS = ("received_bq", "dispensed_bq", "injected_bq", "in_stock_bq", "waste_bq")


def _row(totals: dict[str, dict[str, Any]], nuclide: str) -> dict[str, Any]:
    return totals.setdefault(
        nuclide, {"nuclide": nuclide, "batches": 0, "containers": 0} | dict.fromkeys(_COLUMNS, 0.0)
    )


def _decayed(activity_bq: float, nuclide: str, measured_at: datetime, at: datetime) -> float:
    return float(activity_at(activity_bq, nuclide, measured_at=measured_at, at=at))


def _injected(session: Session, batch: TracerBatch, at: datetime) -> float:
    """Net injected activity of a batch's draws made before ``at``, decayed to ``at``: the
    syringe before injection less its residual, each at its own time."""
    total = 0.0
    draws = session.execute(
        select(ImagingSession).where(
            ImagingSession.batch_id == batch.id, ImagingSession.injection_time <= at
        )
    ).scalars()
    for scan in draws:
        injected_at = scan.injection_time
        assert injected_at is not None  # selected by it
        syringe = scan.injected_before_bq or 0.0
        total += _decayed(syringe, batch.nuclide, scan.injected_before_time or injected_at, at)
        if scan.residual_bq:
            total -= _decayed(
                scan.residual_bq, batch.nuclide, scan.residual_time or injected_at, at
            )
    return total


def radioactive_stock(session: Session, actor: User, at: datetime) -> list[dict[str, Any]]:
    """The ledger at ``at``, per nuclide (staff or admin).

    Returns
    -------
    list of dict
        ``nuclide, batches, containers, received_bq, dispensed_bq, injected_bq, in_stock_bq,
        waste_bq``, all decayed to ``at`` (Bq): what the batches received before ``at``,
        what was drawn from them, what reached the animals, what the batches still hold and
        what the waste containers not yet released hold.
    """
    require_role(actor, "staff")
    totals: dict[str, dict[str, Any]] = {}
    for batch in session.scalars(select(TracerBatch).where(TracerBatch.eos_time <= at)):
        received = _decayed(batch.eos_activity_bq, batch.nuclide, batch.eos_time, at)
        left = available_activity_bq(session, batch, at)
        row = _row(totals, batch.nuclide)
        row["batches"] += 1
        row["received_bq"] += received
        row["dispensed_bq"] += received - left
        row["injected_bq"] += _injected(session, batch, at)
        row["in_stock_bq"] += left
    for waste in _stored(session, at):
        row = _row(totals, waste.nuclide)
        row["containers"] += 1
        row["waste_bq"] += waste_activity(waste, at)
    return [totals[name] for name in sorted(totals)]


def _stored(session: Session, at: datetime) -> list[Waste]:
    query = select(Waste).where(
        Waste.measured_at <= at, or_(Waste.released_at.is_(None), Waste.released_at > at)
    )
    return list(session.scalars(query.order_by(Waste.id)))


def waste_in_store(session: Session, actor: User, at: datetime) -> list[dict[str, Any]]:
    """The containers in the decay store at ``at`` (staff or admin): ``id, nuclide,
    container, activity_bq`` (decayed to ``at``), ``release_limit_bq, release_after`` and
    ``releasable``."""
    require_role(actor, "staff")
    rows = []
    for waste in _stored(session, at):
        left = waste_activity(waste, at)
        rows.append(
            {
                "id": waste.id,
                "nuclide": waste.nuclide,
                "container": waste.container,
                "activity_bq": left,
                "release_limit_bq": waste.release_limit_bq,
                "release_after": release_after(waste).isoformat(timespec="minutes"),
                "releasable": left <= waste.release_limit_bq * (1 + 1e-9),
            }
        )
    return rows
