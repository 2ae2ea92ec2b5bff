"""Priced services other than instrument time (tracer doses, analysis hours, reports,
gamma-counter samples) and the charges that record their delivery to a project."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from positrix.errors import PositrixError
from positrix.facility.access import find, require_project, require_role
from positrix.facility.audit import record
from positrix.facility.models import Charge, Service, User

__all__ = ["add_charge", "create_service", "get_service"]


def get_service(session: Session, code: str) -> Service:
    """The service ``code``, or a clear error."""
    found: Service = find(session, Service.code, code, what="service", fix="check the code")
    return found


def create_service(
    session: Session,
    actor: User,
    code: str,
    *,
    name: str = "",
    unit: str = "unit",
    rates: tuple[float, float, float],
) -> Service:
    """Add a service with its price per ``unit`` in the internal, external and industry
    tiers (staff or admin)."""
    require_role(actor, "staff")
    if not all(math.isfinite(r) and r >= 0 for r in rates):
        raise PositrixError(
            f"the rates of {code} must be numbers ≥ 0", field="rates", fix="check them"
        )
    service = Service(
        code=code,
        name=name or code,
        unit=unit,
        rate_internal=rates[0],
        rate_external=rates[1],
        rate_industry=rates[2],
    )
    session.add(service)
    session.flush()
    record(
        session,
        actor.username,
        "create",
        "services",
        service.id,
        after={"code": code, "unit": unit, "rates": list(rates)},
    )
    return service


def add_charge(
    session: Session,
    actor: User,
    project: str,
    service: str,
    *,
    quantity: float,
    at: datetime,
    note: str = "",
) -> Charge:
    """Charge ``quantity`` units of ``service`` to ``project`` at ``at`` (staff or admin)."""
    require_role(actor, "staff")
    target = require_project(session, actor, project)
    item = get_service(session, service)
    if not (math.isfinite(quantity) and quantity > 0):
        raise PositrixError(
            f"the quantity of {service} must be > 0", field="quantity", fix="check it"
        )
    charge = Charge(project_id=target.id, service_id=item.id, quantity=quantity, at=at, note=note)
    session.add(charge)
    session.flush()
    after: dict[str, Any] = {"project": project, "service": service, "quantity": quantity}
    record(session, actor.username, "charge", "charges", charge.id, after=after | {"at": at})
    return charge
