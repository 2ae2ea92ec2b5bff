"""Calibration records: the factor computed by the decay law, the one in force at a time,
audit entries, staff only; on SQLite and PostgreSQL."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest

from positrix.facility.access import AccessError, NotFoundError
from positrix.facility.calibrations import (
    calibration_in_force,
    list_calibrations,
    record_dose_calibrator,
    record_scanner_calibration,
)
from tests.facility.conftest import T

F18 = 6586.2  # ENSDF, the nuclide table


def test_scanner_cross_calibration_decays_the_phantom_activity(facility):
    session, users = facility
    # 40 MBq at T in 20 mL; the image (decay-corrected to T + one half-life) reads 0.95 MBq/mL:
    # true = 2 MBq/mL · 1/2 = 1 MBq/mL → factor 1/0.95
    made = record_scanner_calibration(
        session,
        users["sam"],
        instrument="inveon",
        nuclide="18F",
        activity_bq=40e6,
        activity_time=T,
        volume_ml=20.0,
        image_mean_bq_ml=0.95e6,
        image_time=T + timedelta(seconds=F18),
    )
    assert made.factor == pytest.approx(1 / 0.95, rel=1e-12)
    later = record_scanner_calibration(
        session,
        users["sam"],
        instrument="inveon",
        nuclide="F-18",
        activity_bq=20e6,
        activity_time=T + timedelta(days=30),
        volume_ml=20.0,
        image_mean_bq_ml=1.02e6,
        image_time=T + timedelta(days=30),
    )
    session.commit()
    found = calibration_in_force(
        session, kind="scanner", device="inveon", nuclide="F-18", at=T + timedelta(days=10)
    )
    assert found is not None and found.id == made.id
    assert calibration_in_force(session, kind="scanner", device="inveon", nuclide="F-18",
                                at=T + timedelta(days=31)).id == later.id  # fmt: skip
    assert calibration_in_force(session, kind="scanner", device="inveon", nuclide="Ga-68",
                                at=T + timedelta(days=31)) is None  # fmt: skip


def test_dose_calibrator_factor_and_listing(facility):
    session, users = facility
    # a Ge-68 reference (certified 10 MBq a 270.93-day half-life earlier) reads 5.2 MBq
    half = 270.93 * 86400
    made = record_dose_calibrator(
        session,
        users["sam"],
        device="CRC-1",
        nuclide="Ge-68",
        setting="#455",
        reading_bq=5.2e6,
        reading_time=T,
        reference_bq=10e6,
        reference_time=T - timedelta(seconds=half),
    )
    session.commit()
    assert made.factor == pytest.approx(5.0 / 5.2, rel=1e-9)
    rows = list_calibrations(session, users["sam"])
    assert rows[0]["setting"] == "#455" and rows[0]["details"]["reading_bq"] == 5.2e6
    assert math.isclose(rows[0]["factor"], made.factor)


def test_rules(facility):
    session, users = facility
    with pytest.raises(AccessError):
        list_calibrations(session, users["rui"])
    with pytest.raises(NotFoundError, match="no instrument"):
        record_scanner_calibration(
            session,
            users["sam"],
            instrument="nope",
            nuclide="F-18",
            activity_bq=1e6,
            activity_time=T,
            volume_ml=1.0,
            image_mean_bq_ml=1e6,
            image_time=T,
        )
