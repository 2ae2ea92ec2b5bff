"""What the DICOM node received, in the facility database: instances with their archive path
and checksum, routed to a project or waiting in triage; what C-FIND answers from."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from positrix.facility.access import require_project, require_role
from positrix.facility.audit import record
from positrix.facility.models import DicomInstance, Project, User

__all__ = ["assign_study", "find_series", "find_studies", "record_instances", "triage"]

#: Who the audit names for what the node itself writes.
NODE_ACTOR = "dicom-node"


def record_instances(session: Session, rows: Sequence[dict[str, Any]], *, calling_ae: str) -> int:
    """Insert received instances (one audit entry for the batch); a row whose ``project``
    code is unknown goes to triage.  Returns how many were written."""
    if not rows:
        return 0
    codes = {r["project"] for r in rows if r.get("project")}
    ids = dict(
        session.execute(select(Project.code, Project.id).where(Project.code.in_(codes))).all()
    )
    now = datetime.now(UTC)
    records = []
    for row in rows:
        project_id = ids.get(row.pop("project", None) or "")
        records.append(
            row
            | {
                "project_id": project_id,
                "calling_ae": calling_ae,
                "received_at": now,
                "status": "routed" if project_id else "triage",
            }
        )
    session.execute(insert(DicomInstance), records)
    studies = sorted({r["study_uid"] for r in records})
    record(
        session,
        NODE_ACTOR,
        "receive",
        "dicom_instances",
        None,
        after={"from": calling_ae, "instances": len(records), "studies": studies[:20]},
    )
    return len(records)


def triage(session: Session, actor: User) -> list[dict[str, Any]]:
    """Studies no rule routed (staff): study UID, patient, description, instances."""
    require_role(actor, "staff")
    query = (
        select(
            DicomInstance.study_uid,
            DicomInstance.patient_id,
            DicomInstance.study_description,
            DicomInstance.accession,
            func.count(DicomInstance.id),
        )
        .where(DicomInstance.status == "triage")
        .group_by(
            DicomInstance.study_uid,
            DicomInstance.patient_id,
            DicomInstance.study_description,
            DicomInstance.accession,
        )
    )
    return [
        {"study_uid": s, "patient_id": p, "study_description": d, "accession": a, "instances": n}
        for s, p, d, a, n in session.execute(query)
    ]


def assign_study(session: Session, actor: User, study_uid: str, *, project: str,
                 animal: str = "") -> int:  # fmt: skip
    """Staff assign a study to a project (and animal); returns the instances moved."""
    require_role(actor, "staff")
    target = require_project(session, actor, project)
    moved = session.execute(  # type: ignore[attr-defined]
        update(DicomInstance)
        .where(DicomInstance.study_uid == study_uid)
        .values(project_id=target.id, animal=animal, status="routed")
    ).rowcount
    record(
        session,
        actor.username,
        "assign-study",
        "dicom_instances",
        None,
        after={"study_uid": study_uid, "project": project, "animal": animal, "instances": moved},
    )
    return int(moved or 0)


def find_studies(session: Session, filters: dict[str, str]) -> list[dict[str, Any]]:
    """Study-level answers for C-FIND (``patient_id``, ``study_uid`` exact when given)."""
    query = select(
        DicomInstance.study_uid,
        DicomInstance.patient_id,
        DicomInstance.study_date,
        DicomInstance.study_description,
        DicomInstance.accession,
        func.count(DicomInstance.id),
        func.count(func.distinct(DicomInstance.series_uid)),
    ).group_by(
        DicomInstance.study_uid,
        DicomInstance.patient_id,
        DicomInstance.study_date,
        DicomInstance.study_description,
        DicomInstance.accession,
    )
    for key in ("patient_id", "study_uid"):
        if filters.get(key):
            query = query.where(getattr(DicomInstance, key) == filters[key])
    rows = session.execute(query).all()
    modalities = _modalities(session, [r[0] for r in rows])
    return [
        {
            "study_uid": s,
            "patient_id": p,
            "study_date": d,
            "study_description": t,
            "accession": a,
            "instances": n,
            "series": k,
            "modalities": modalities.get(s, []),
        }
        for s, p, d, t, a, n, k in rows
    ]


def _modalities(session: Session, studies: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    query = select(DicomInstance.study_uid, DicomInstance.modality).distinct()
    for study, modality in session.execute(query.where(DicomInstance.study_uid.in_(studies))):
        out.setdefault(study, []).append(modality)
    return {k: sorted(v) for k, v in out.items()}


def find_series(session: Session, study_uid: str) -> list[dict[str, Any]]:
    """Series-level answers for C-FIND within a study."""
    query = (
        select(DicomInstance.series_uid, DicomInstance.modality, func.count(DicomInstance.id))
        .where(DicomInstance.study_uid == study_uid)
        .group_by(DicomInstance.series_uid, DicomInstance.modality)
    )
    return [{"series_uid": s, "modality": m, "instances": n} for s, m, n in session.execute(query)]
