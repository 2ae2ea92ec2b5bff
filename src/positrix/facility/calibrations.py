"""Calibration records: the scanner × nuclide cross-calibration with the dose calibrator,
the dose calibrator's own factor per nuclide, and a CT's Hounsfield calibration (µ of water
as the factor, µ of air in the details, the tube setting); the one in force at a time is
the latest measured before it.  Reconstruction and quantification read it with
:func:`calibration_in_force` and :func:`ct_calibration_in_force`."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from positrix.errors import PositrixError
from positrix.facility.access import NotFoundError, require_role
from positrix.facility.audit import record
from positrix.facility.models import Calibration, Instrument, User
from positrix.physics.calibration import dose_calibrator_factor, scanner_cross_calibration
from positrix.physics.nuclides import get_nuclide
from positrix.recon.ct_calibration import HUCalibration

__all__ = [
    "calibration_in_force",
    "ct_calibration_in_force",
    "list_calibrations",
    "record_ct_calibration",
    "record_dose_calibrator",
    "record_scanner_calibration",
]


def _store(session: Session, actor: User, row: Calibration, details: dict[str, Any]) -> Calibration:
    row.details = json.dumps(details, sort_keys=True, default=str)
    row.recorded_by_id = actor.id
    session.add(row)
    session.flush()
    record(
        session,
        actor.username,
        f"calibrate-{row.kind}",
        "calibrations",
        row.id,
        after={
            "device": row.device,
            "nuclide": row.nuclide,
            "factor": row.factor,
            "setting": row.setting,
            "measured_at": row.measured_at,
            **details,
        },
    )
    return row


def record_scanner_calibration(
    session: Session,
    actor: User,
    *,
    instrument: str,
    nuclide: str,
    activity_bq: float,
    activity_time: datetime,
    volume_ml: float,
    image_mean_bq_ml: float,
    image_time: datetime,
) -> Calibration:
    """Compute and record a scanner's cross-calibration factor (staff or admin)."""
    require_role(actor, "staff")
    if session.scalar(select(Instrument).where(Instrument.name == instrument)) is None:
        raise NotFoundError(
            f"no instrument '{instrument}'",
            field="--instrument",
            fix="use an instrument's name from the facility database",
        )
    name = get_nuclide(nuclide).name
    factor = scanner_cross_calibration(
        activity_bq,
        activity_time,
        volume_ml=volume_ml,
        image_mean_bq_ml=image_mean_bq_ml,
        image_time=image_time,
        nuclide=name,
    )
    row = Calibration(
        kind="scanner",
        device=instrument,
        nuclide=name,
        factor=factor,
        setting="",
        measured_at=image_time,
    )
    return _store(
        session,
        actor,
        row,
        {
            "activity_bq": activity_bq,
            "activity_time": activity_time,
            "volume_ml": volume_ml,
            "image_mean_bq_ml": image_mean_bq_ml,
        },
    )


def record_dose_calibrator(
    session: Session,
    actor: User,
    *,
    device: str,
    nuclide: str,
    setting: str,
    reading_bq: float,
    reading_time: datetime,
    reference_bq: float,
    reference_time: datetime,
) -> Calibration:
    """Record a dose calibrator's setting and factor for a nuclide (staff or admin)."""
    require_role(actor, "staff")
    if not device.strip():
        raise PositrixError("the dose calibrator needs a name", field="--device", fix="e.g. CRC-1")
    name = get_nuclide(nuclide).name
    factor = dose_calibrator_factor(
        reading_bq,
        reading_time,
        reference_bq=reference_bq,
        reference_time=reference_time,
        nuclide=name,
    )
    row = Calibration(
        kind="dose_calibrator",
        device=device.strip(),
        nuclide=name,
        factor=factor,
        setting=setting,
        measured_at=reading_time,
    )
    return _store(
        session,
        actor,
        row,
        {
            "reading_bq": reading_bq,
            "reference_bq": reference_bq,
            "reference_time": reference_time,
        },
    )


def _instrument(session: Session, name: str) -> None:
    if session.scalar(select(Instrument).where(Instrument.name == name)) is None:
        raise NotFoundError(
            f"no instrument '{name}'",
            field="--instrument",
            fix="use an instrument's name from the facility database",
        )


def record_ct_calibration(
    session: Session,
    actor: User,
    *,
    instrument: str,
    calibration: HUCalibration,
    measured_at: datetime,
) -> Calibration:
    """Record a CT's Hounsfield calibration from a water/air phantom (staff or admin)."""
    require_role(actor, "staff")
    _instrument(session, instrument)
    row = Calibration(
        kind="ct_hu",
        device=instrument,
        nuclide="",
        factor=calibration.mu_water_per_mm,
        setting=calibration.setting[:40],
        measured_at=measured_at,
    )
    return _store(
        session,
        actor,
        row,
        {
            "mu_air_per_mm": calibration.mu_air_per_mm,
            "water_sd_hu": calibration.water_sd_hu,
            "water_voxels": calibration.water_voxels,
            "air_voxels": calibration.air_voxels,
        },
    )


def ct_calibration_in_force(
    session: Session, *, instrument: str, at: datetime, setting: str | None = None
) -> HUCalibration | None:
    """The CT calibration of ``instrument`` in force at ``at`` (of that tube ``setting``
    when given), or ``None``."""
    query = select(Calibration).where(
        Calibration.kind == "ct_hu",
        Calibration.device == instrument,
        Calibration.measured_at <= at,
    )
    if setting is not None:
        query = query.where(Calibration.setting == setting)
    row = session.scalar(
        query.order_by(Calibration.measured_at.desc(), Calibration.id.desc()).limit(1)
    )
    if row is None:
        return None
    details = json.loads(row.details or "{}")
    return HUCalibration(
        row.factor,
        float(details["mu_air_per_mm"]),
        float(details.get("water_sd_hu", 0.0)),
        int(details.get("water_voxels", 0)),
        int(details.get("air_voxels", 0)),
        row.setting,
    )


def calibration_in_force(
    session: Session, *, kind: str, device: str, nuclide: str, at: datetime
) -> Calibration | None:
    """The latest record of ``kind`` for ``device`` and ``nuclide`` measured at or before ``at``."""
    return session.scalar(
        select(Calibration)
        .where(
            Calibration.kind == kind,
            Calibration.device == device,
            Calibration.nuclide == get_nuclide(nuclide).name,
            Calibration.measured_at <= at,
        )
        .order_by(Calibration.measured_at.desc(), Calibration.id.desc())
        .limit(1)
    )


def list_calibrations(session: Session, actor: User) -> list[dict[str, Any]]:
    """Every record, newest first (staff or admin)."""
    require_role(actor, "staff")
    rows = session.scalars(
        select(Calibration).order_by(Calibration.measured_at.desc(), Calibration.id.desc())
    )
    return [
        {
            "id": r.id,
            "kind": r.kind,
            "device": r.device,
            "nuclide": r.nuclide,
            "factor": r.factor,
            "setting": r.setting,
            "measured_at": r.measured_at.isoformat(timespec="minutes"),
            "details": json.loads(r.details or "{}"),
        }
        for r in rows
    ]
