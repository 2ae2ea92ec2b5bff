"""What the DICOM node received, in the facility database: instances with their archive path
and checksum, routed to a project or waiting in triage; what C-FIND answers from."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from positrix.errors import PositrixError
from positrix.facility.access import require_project, require_role
from positrix.facility.audit import record
from positrix.facility.models import Analysis, Animal, DicomInstance, ImagingSession, Project, User

__all__ = [
    "assign_study",
    "find_series",
    "find_studies",
    "hotel_sessions",
    "record_instances",
    "record_node_analysis",
    "triage",
]

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


def record_node_analysis(session: Session, study_uid: str, *, pipeline: str, version: str,
                         parameters: dict[str, Any], output: str, status: str,
                         ) -> Analysis | None:  # fmt: skip
    """Record the node's own run of a protocol on a routed study (no analyst, no hours: it
    ran by itself) under the study's project; ``None`` when the study is not routed."""
    project_id = session.scalar(
        select(DicomInstance.project_id)
        .where(DicomInstance.study_uid == study_uid, DicomInstance.project_id.is_not(None))
        .limit(1)
    )
    if project_id is None:
        return None
    analysis = Analysis(
        project_id=project_id,
        pipeline=pipeline,
        version=version,
        parameters=json.dumps(parameters, sort_keys=True, default=str),
        inputs=json.dumps([f"StudyInstanceUID {study_uid}"]),
        outputs=json.dumps([output]),
        analyst_id=None,
        hours=0.0,
        status=status,
        at=datetime.now(UTC),
    )
    session.add(analysis)
    session.flush()
    record(
        session,
        NODE_ACTOR,
        "analysis",
        "analyses",
        analysis.id,
        after={"study": study_uid, "pipeline": pipeline, "status": status},
    )
    return analysis


def hotel_sessions(session: Session, study_uid: str) -> list[dict[str, Any]]:
    """The animals of a routed study when it is a hotel scan: the imaging sessions of the
    study's project on the study's date that share one scan (instrument and start) and
    record hotel positions, two or more of them; ``[]`` for a one-animal study.

    Raises
    ------
    PositrixError
        When that day holds several hotel scans of the project (which one is this study?)
        or a hotel position is not a whole number.
    """
    from datetime import timedelta

    row = session.execute(
        select(DicomInstance.project_id, DicomInstance.study_date)
        .where(DicomInstance.study_uid == study_uid, DicomInstance.project_id.is_not(None))
        .limit(1)
    ).first()
    if row is None or len(row.study_date) != 8:
        return []
    day = datetime.strptime(row.study_date, "%Y%m%d").replace(tzinfo=UTC)
    scans = session.execute(
        select(ImagingSession, Animal)
        .join(Animal, Animal.id == ImagingSession.animal_id)
        .where(
            Animal.project_id == row.project_id,
            ImagingSession.hotel_position != "",
            ImagingSession.start >= day,
            ImagingSession.start < day + timedelta(days=1),
        )
        .order_by(ImagingSession.start, ImagingSession.hotel_position)
    ).all()
    groups: dict[tuple[int, datetime], list[Any]] = {}
    for scan, animal in scans:
        groups.setdefault((scan.instrument_id, scan.start), []).append((scan, animal))
    hotels = [g for g in groups.values() if len(g) >= 2]
    if len(hotels) > 1:
        raise PositrixError(
            f"{len(hotels)} hotel scans of this project on {row.study_date}: which one is "
            f"study {study_uid} cannot be told from its date",
            field="hotel_position",
            fix="split it with positrix hotel, giving the animals of this scan",
        )
    return [_hotel_row(scan, animal) for scan, animal in (hotels[0] if hotels else [])]


def _hotel_row(scan: ImagingSession, animal: Animal) -> dict[str, Any]:
    try:
        position = int(scan.hotel_position)
    except ValueError:
        raise PositrixError(
            f"hotel position '{scan.hotel_position}' of {animal.facility_id} is not a number",
            field="hotel_position",
            fix="number the hotel's positions 1, 2, … along its axis",
        ) from None
    return {
        "position": position,
        "animal": animal.facility_id,
        "species": animal.species,
        "strain": animal.strain,
        "sex": animal.sex,
        "weight_g": scan.weight_g,
        "tracer": scan.batch.tracer if scan.batch else None,
        "nuclide": scan.batch.nuclide if scan.batch else None,
        "injection_time": scan.injection_time,
        "injected_before_bq": scan.injected_before_bq,
        "injected_before_time": scan.injected_before_time,
        "residual_bq": scan.residual_bq,
        "residual_time": scan.residual_time,
    }
