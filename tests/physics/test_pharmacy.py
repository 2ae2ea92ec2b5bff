"""Radiopharmacy arithmetic against closed forms: a half-life doubles the draw, decay
correction of a yield, λ N_A, and the generator against the two-member Bateman solution
and radioactivedecay itself (same dataset, rel 1e-9)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from positrix.errors import PositrixError
from positrix.physics.pharmacy import (
    carrier_free_molar_activity,
    decay_to,
    draw_for_dose,
    elution,
    radiochemical_yield,
)

T = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
F18 = 6586.2  # s, ENSDF


def test_decay_runs_both_ways():
    later = decay_to(100e6, T, T + timedelta(seconds=F18), "F-18")
    assert later == pytest.approx(50e6, rel=1e-12)
    assert decay_to(later, T + timedelta(seconds=F18), T, "F-18") == pytest.approx(100e6, rel=1e-12)


def test_a_dose_one_half_life_after_the_draw_needs_twice_its_activity():
    draw = draw_for_dose(
        10e6,
        T + timedelta(seconds=2 * F18),
        stock_bq=8e9,
        stock_time=T,
        stock_volume_ml=10.0,
        draw_time=T + timedelta(seconds=F18),
        nuclide="F-18",
    )
    assert draw.activity_bq == pytest.approx(20e6, rel=1e-12)
    assert draw.stock_activity_bq == pytest.approx(4e9, rel=1e-12)
    assert draw.volume_ml == pytest.approx(20e6 / 4e8, rel=1e-12)
    with pytest.raises(PositrixError, match="the stock holds"):
        draw_for_dose(
            5e9,
            T + timedelta(hours=1),
            stock_bq=5e9,
            stock_time=T,
            stock_volume_ml=10.0,
            draw_time=T,
            nuclide="F-18",
        )


def test_radiochemical_yield_decay_corrected_is_the_measured_times_two_to_the_elapsed_half_lives():
    measured, corrected = radiochemical_yield(50e9, T, 20e9, T + timedelta(minutes=60), "F-18")
    assert measured == pytest.approx(0.4, rel=1e-12)
    assert corrected == pytest.approx(0.4 * 2 ** (3600 / F18), rel=1e-12)


def test_carrier_free_molar_activity_of_f18_is_63_tbq_per_umol():
    """λ N_A = ln2 / 6586.2 s × 6.02214076e23 /mol = 6.338e16 Bq/mol = 63.4 TBq/µmol."""
    value = carrier_free_molar_activity("F-18")
    assert value == pytest.approx(math.log(2) / F18 * 6.02214076e23, rel=1e-12)
    assert value / 1e12 / 1e6 == pytest.approx(63.38, rel=1e-3)


def test_a_generator_elution_follows_bateman_and_radioactivedecay():
    """Ge-68/Ga-68, 4 h after a complete elution: A_Ga = A_Ge λ_Ga/(λ_Ga − λ_Ge)
    (e^(−λ_Ge t) − e^(−λ_Ga t)) with ICRP-107 half-lives (rel 1e-9)."""
    import radioactivedecay as rd

    last = T - timedelta(hours=4)
    result = elution(1.85e9, last, last, T, efficiency=1.0, parent_in_eluate_bq=2e4)
    ge, ga = (math.log(2) / rd.Nuclide(n).half_life("s") for n in ("Ge-68", "Ga-68"))
    t = 4 * 3600.0
    bateman = 1.85e9 * ga / (ga - ge) * (math.exp(-ge * t) - math.exp(-ga * t))
    assert result.daughter_bq == pytest.approx(bateman, rel=1e-9)
    inventory = rd.Inventory({"Ge-68": 1.85e9}, "Bq").decay(t, "s").activities("Bq")
    assert result.daughter_bq == pytest.approx(inventory["Ga-68"], rel=1e-9)
    assert result.breakthrough_fraction == pytest.approx(2e4 / bateman, rel=1e-12)
    assert result.breakthrough_ok is False  # 2e4 / 1.7e9 > 0.001 %
    with pytest.raises(PositrixError, match="before the previous"):
        elution(1.85e9, T, T, last)
