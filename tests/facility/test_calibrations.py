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


def test_ct_hu_calibration_record_round_trips(facility):
    from positrix.facility.calibrations import ct_calibration_in_force, record_ct_calibration
    from positrix.recon.ct_calibration import HUCalibration

    session, users = facility
    first = HUCalibration(0.0683, 4e-6, 5.4, 6000, 2000, "50 kV, 0.5 mm Al")
    record_ct_calibration(
        session, users["sam"], instrument="inveon", calibration=first, measured_at=T
    )
    second = HUCalibration(0.0690, 1e-5, 5.1, 6000, 2000, "50 kV, 0.5 mm Al")
    record_ct_calibration(
        session,
        users["sam"],
        instrument="inveon",
        calibration=second,
        measured_at=T + timedelta(days=7),
    )
    session.commit()
    found = ct_calibration_in_force(session, instrument="inveon", at=T + timedelta(days=1))
    assert found == first  # µ of air and the noise come back from the record's details
    assert ct_calibration_in_force(session, instrument="inveon", at=T + timedelta(days=8)) == second
    assert ct_calibration_in_force(session, instrument="inveon", at=T - timedelta(days=1)) is None
    with pytest.raises(AccessError):
        record_ct_calibration(
            session, users["rui"], instrument="inveon", calibration=first, measured_at=T
        )
    with pytest.raises(NotFoundError):
        record_ct_calibration(
            session, users["sam"], instrument="nanoct", calibration=first, measured_at=T
        )
