"""Radioactive waste stored for decay: recorded with its activity and the time it was
measured, released only once it has decayed below its release limit.

The default limit is 2⁻¹⁰ of the stored activity (the "ten half-lives" rule of decay-in-
storage); a facility with a clearance level per nuclide gives it instead.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from positrix.errors import PositrixError
from positrix.facility.access import NotFoundError, require_role
from positrix.facility.audit import record
from positrix.facility.models import User, Waste
from positrix.physics.decay import activity_at
from positrix.physics.nuclides import get_nuclide
from positrix.physics.units import format_activity

__all__ = ["HALF_LIVES_TO_STORE", "release_after", "release_waste", "store_waste", "waste_activity"]

#: Half-lives a container is stored by default before release.
HALF_LIVES_TO_STORE = 10


def waste_activity(waste: Waste, at: datetime) -> float:
    """The container's activity at ``at`` (Bq), decayed from its measurement."""
    return float(
        activity_at(waste.activity_bq, waste.nuclide, measured_at=waste.measured_at, at=at)
    )


def release_after(waste: Waste) -> datetime:
    """When the container's activity reaches its release limit: t = T½ · log₂(A₀ / A_limit).

    Examples
    --------
    >>> from datetime import UTC
    >>> w = Waste(nuclide="F-18", activity_bq=1.024e6, release_limit_bq=1.0e3,
    ...           measured_at=datetime(2026, 1, 1, tzinfo=UTC))
    >>> round((release_after(w) - w.measured_at).total_seconds() / 60, 1)  # 10 T½ of 109.77 min
    1097.7
    """
    half_life_s = get_nuclide(waste.nuclide).half_life_s
    ratio = waste.activity_bq / waste.release_limit_bq
    return waste.measured_at + timedelta(seconds=half_life_s * max(math.log2(ratio), 0.0))


def store_waste(
    session: Session,
    actor: User,
    *,
    nuclide: str,
    activity_bq: float,
    measured_at: datetime,
    container: str = "",
    release_limit_bq: float | None = None,
) -> Waste:
    """Record a waste container put in the decay store (staff or admin)."""
    require_role(actor, "staff")
    name = get_nuclide(nuclide).name
    if not (math.isfinite(activity_bq) and activity_bq > 0):
        raise PositrixError("the waste activity must be > 0", field="--activity", fix="check it")
    limit = activity_bq / 2**HALF_LIVES_TO_STORE if release_limit_bq is None else release_limit_bq
    if not (math.isfinite(limit) and limit > 0):
        raise PositrixError(
            "the release limit must be > 0", field="--release-below", fix="check it"
        )
    waste = Waste(
        nuclide=name,
        activity_bq=activity_bq,
        measured_at=measured_at,
        container=container,
        release_limit_bq=limit,
        stored_by_id=actor.id,
    )
    session.add(waste)
    session.flush()
    record(
        session,
        actor.username,
        "store-waste",
        "waste",
        waste.id,
        after={
            "nuclide": name,
            "activity_bq": activity_bq,
            "measured_at": measured_at,
            "container": container,
            "release_limit_bq": limit,
        },
    )
    return waste


def release_waste(session: Session, actor: User, waste_id: int, *, at: datetime) -> Waste:
    """Release a container from the decay store (staff or admin) once it is below its limit.

    Raises
    ------
    PositrixError
        When it is still above its limit (naming the activity and the date it may go) or was
        already released.
    """
    require_role(actor, "staff")
    waste = session.get(Waste, waste_id)
    if waste is None:
        raise NotFoundError(f"no waste container {waste_id}", field="waste", fix="check the id")
    if waste.released_at is not None:
        raise PositrixError(
            f"waste {waste_id} was released on {waste.released_at.isoformat()}",
            field="waste",
            fix="nothing to do",
        )
    left = waste_activity(waste, at)
    if left > waste.release_limit_bq * (1 + 1e-9):
        raise PositrixError(
            f"waste {waste_id} still holds {format_activity(left)} at {at.isoformat()}, above "
            f"its release limit of {format_activity(waste.release_limit_bq)}",
            field="--at",
            fix="keep it stored until "
            + release_after(waste).astimezone(at.tzinfo).isoformat(timespec="minutes"),
        )
    waste.released_at, waste.released_by_id = at, actor.id
    session.flush()
    record(
        session,
        actor.username,
        "release-waste",
        "waste",
        waste.id,
        before={"released_at": None},
        after={"released_at": at, "activity_bq": left},
    )
    return waste
