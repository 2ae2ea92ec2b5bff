"""Analyses (processing runs) and publications: what a project got out of the facility.

An analysis records its pipeline and version, parameters, inputs and outputs (by checksum),
the analyst and the hours spent; with a ``service`` those hours are charged to the project.
Publications that credit the facility are what it reports to its funders.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from positrix.errors import PositrixError
from positrix.facility.access import FACILITY_ROLES, require_project
from positrix.facility.audit import record
from positrix.facility.models import Analysis, Membership, Project, Publication, User
from positrix.facility.services import add_charge

__all__ = ["add_publication", "list_publications", "record_analysis"]


def record_analysis(
    session: Session,
    actor: User,
    project: str,
    *,
    pipeline: str,
    version: str,
    at: datetime,
    parameters: dict[str, Any] | None = None,
    inputs: list[str] | None = None,
    outputs: list[str] | None = None,
    hours: float = 0.0,
    status: str = "done",
    service: str | None = None,
) -> Analysis:
    """Record an analysis of ``project`` by ``actor`` (members, staff, admin); ``inputs`` and
    ``outputs`` are SHA-256s (or paths); with ``service``, ``hours`` are charged as it."""
    target = require_project(session, actor, project, write=True)
    if not (math.isfinite(hours) and hours >= 0):
        raise PositrixError("the hours must be ≥ 0", field="hours", fix="check them")
    analysis = Analysis(
        project_id=target.id,
        pipeline=pipeline,
        version=version,
        parameters=json.dumps(parameters or {}, sort_keys=True, default=str),
        inputs=json.dumps(inputs or []),
        outputs=json.dumps(outputs or []),
        analyst_id=actor.id,
        hours=hours,
        status=status,
        at=at,
    )
    session.add(analysis)
    session.flush()
    record(
        session,
        actor.username,
        "analysis",
        "analyses",
        analysis.id,
        after={"project": project, "pipeline": pipeline, "version": version, "hours": hours},
    )
    if service is not None and hours > 0:
        add_charge(
            session,
            actor,
            project,
            service,
            quantity=hours,
            at=at,
            note=f"analysis {analysis.id} ({pipeline} {version})",
        )
    return analysis


def add_publication(
    session: Session, actor: User, project: str, *, doi: str, year: int, title: str = "",
    journal: str = ""
) -> Publication:  # fmt: skip
    """Credit a publication to ``project`` (members, staff, admin); a DOI is recorded once."""
    target = require_project(session, actor, project, write=True)
    doi = doi.strip().removeprefix("https://doi.org/").lower()
    if not doi.startswith("10."):
        raise PositrixError(f"'{doi}' is not a DOI", field="doi", fix="write it as 10.xxxx/…")
    publication = Publication(
        project_id=target.id, doi=doi, title=title, journal=journal, year=year
    )
    session.add(publication)
    session.flush()
    record(
        session,
        actor.username,
        "create",
        "publications",
        publication.id,
        after={"project": project, "doi": doi, "year": year},
    )
    return publication


def list_publications(session: Session, actor: User, *, year: int | None = None
                      ) -> list[dict[str, Any]]:  # fmt: skip
    """Publications the actor may see (all for staff), newest first."""
    query = select(Publication, Project.code).join(Project, Project.id == Publication.project_id)
    if actor.role not in FACILITY_ROLES:
        mine = select(Membership.project_id).where(Membership.user_id == actor.id)
        query = query.where(Publication.project_id.in_(mine))
    if year is not None:
        query = query.where(Publication.year == year)
    return [
        {"project": code, "doi": p.doi, "year": p.year, "title": p.title, "journal": p.journal}
        for p, code in session.execute(query.order_by(Publication.year.desc(), Publication.id))
    ]
