"""The decay store (release only below the limit, ten half-lives by default) and the
ledger's received / dispensed / injected / in stock / waste, each decayed by the decay law."""

from __future__ import annotations

from datetime import timedelta

import pytest

from positrix.errors import PositrixError
from positrix.facility.access import AccessError
from positrix.facility.animals import create_batch, record_session, register_animal
from positrix.facility.ledger import radioactive_stock, waste_in_store
from positrix.facility.waste import release_after, release_waste, store_waste
from tests.facility.conftest import T

F18 = 109.77 * 60.0  # F-18 half-life (s), NUBASE/DDEP 109.77 min


def test_waste_waits_ten_half_lives_by_default(facility):
    session, users = facility
    waste = store_waste(session, users["sam"], nuclide="18F", activity_bq=8e6, measured_at=T)
    assert waste.nuclide == "F-18" and waste.release_limit_bq == pytest.approx(8e6 / 1024)
    # t = T½ · log2(A0 / A_limit) = 10 T½; 1 s tolerance for the stored half-life's digits
    assert (release_after(waste) - T).total_seconds() == pytest.approx(10 * F18, abs=1.0)
    with pytest.raises(PositrixError, match="keep it stored until") as err:
        release_waste(session, users["sam"], waste.id, at=T + timedelta(seconds=9 * F18))
    assert "15.62 kBq" in str(err.value)  # 8 MBq / 2^9 = 15.625 kBq still there
    released = release_waste(
        session, users["sam"], waste.id, at=T + timedelta(seconds=10 * F18 + 5)
    )
    assert released.released_by_id == users["sam"].id
    with pytest.raises(PositrixError, match="was released"):
        release_waste(session, users["sam"], waste.id, at=T + timedelta(days=2))


def test_an_explicit_release_limit(facility):
    session, users = facility
    waste = store_waste(
        session, users["sam"], nuclide="F-18", activity_bq=4e6, measured_at=T, release_limit_bq=1e6
    )
    assert (release_after(waste) - T).total_seconds() == pytest.approx(2 * F18, abs=1.0)


def test_only_staff_handle_waste(facility):
    session, users = facility
    with pytest.raises(AccessError):
        store_waste(session, users["rui"], nuclide="F-18", activity_bq=1e6, measured_at=T)
    with pytest.raises(PositrixError, match="> 0"):
        store_waste(session, users["sam"], nuclide="F-18", activity_bq=0.0, measured_at=T)


def test_the_ledger_accounts_for_every_becquerel(facility):
    session, users = facility
    sam = users["sam"]
    create_batch(
        session, sam, "FDG-9", tracer="FDG", nuclide="F-18", eos_time=T, eos_activity_bq=40e6
    )
    register_animal(session, sam, "m1", project="P001")
    record_session(
        session,
        sam,
        "m1",
        instrument="inveon",
        start=T,
        batch="FDG-9",
        injection_time=T,
        injected_before_bq=10e6,
        injected_before_time=T,
        residual_bq=1e6,
        residual_time=T,
    )
    store_waste(session, sam, nuclide="F-18", activity_bq=1e6, measured_at=T, container="vial")
    half = T + timedelta(seconds=F18)
    (row,) = radioactive_stock(session, sam, half)
    # one half-life later every activity has halved (A = A0 · 2^-t/T½)
    assert row["received_bq"] == pytest.approx(20e6, rel=1e-6)
    assert row["dispensed_bq"] == pytest.approx(5e6, rel=1e-6)
    assert row["injected_bq"] == pytest.approx(4.5e6, rel=1e-6)  # (10 − 1) / 2
    assert row["in_stock_bq"] == pytest.approx(15e6, rel=1e-6)
    assert row["waste_bq"] == pytest.approx(0.5e6, rel=1e-6) and row["containers"] == 1
    (container,) = waste_in_store(session, sam, half)
    assert container["container"] == "vial" and not container["releasable"]
    before = radioactive_stock(session, sam, T - timedelta(minutes=1))
    assert before == []  # nothing had arrived
    with pytest.raises(AccessError):
        radioactive_stock(session, users["pia"], half)
