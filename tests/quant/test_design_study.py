"""Design comparison: analytic sensitivity, and stages recomputed only when their keys change."""

import dataclasses

import numpy as np
import pytest

from positrix.geometry.scanner import load_scanner
from positrix.quant.nema.design_study import analytic_sensitivity, compare_designs

TINY = load_scanner("docs/examples/countrate/tiny4.toml")


def test_analytic_sensitivity_of_a_ring():
    z = np.array([-20.0, -4.0, 0.0, 4.0, 6.0, 20.0])  # the rings reach ±8 mm
    s = analytic_sensitivity(TINY, z)
    radius = TINY.ring_diameter_mm / 2 + TINY.mean_doi_mm
    # at the centre: both photons of a pair reach the ring for |cot θ| ≤ L/R
    half = TINY.axial_fov_mm / 2
    packing = 3.8 * 3.8 / (4.0 * 4.0)
    covered = 64 * 4.0 / (2 * 8 * 40.5 * np.tan(np.pi / 8))
    expected = (
        100 * TINY.detection_efficiency**2 * packing * covered * half / np.hypot(half, radius)
    )
    assert s[2] == pytest.approx(expected, rel=1e-12)
    assert s[1] == pytest.approx(s[3]) and s[0] == s[5] == 0.0  # symmetric; zero outside
    assert s[2] > s[3] > s[4] > 0


def test_a_changed_dead_time_redoes_only_the_count_rates(tmp_path):
    slow = dataclasses.replace(TINY, name="slow", dead_time_ns=900.0)
    results, computed = compare_designs([TINY, slow], cache_dir=tmp_path, fast=True)
    # the second design differs only in dead time: its geometry stages come from the first
    assert computed == [("tiny4", "sensitivity"), ("tiny4", "resolution"),
                        ("tiny4", "count_rates"), ("tiny4", "image_quality"),
                        ("slow", "count_rates")]  # fmt: skip
    # tiny4's 16 mm axial field of view cannot hold the 50 mm IQ phantom: said, not skipped
    assert results["tiny4"]["image_quality"] == {
        "measured": False,
        "reason": "the IQ phantom (50 mm long) is longer than the axial field of view (16.0 mm)",
    }
    again, computed = compare_designs([TINY, slow], cache_dir=tmp_path, fast=True)
    assert computed == [] and again == results  # everything from the cache, unchanged
    slower = dataclasses.replace(slow, dead_time_ns=1800.0)
    changed, computed = compare_designs([TINY, slower], cache_dir=tmp_path, fast=True)
    assert computed == [("slow", "count_rates")]
    assert changed["slow"]["sensitivity"] == results["slow"]["sensitivity"]
    # a longer dead time lowers the peak NECR and moves it to lower activity
    before = results["slow"]["count_rates"]["mouse"]
    after = changed["slow"]["count_rates"]["mouse"]
    assert after["peak_necr_kcps"] < before["peak_necr_kcps"]
    assert after["peak_necr_activity_MBq"] < before["peak_necr_activity_MBq"]
    # DOI layers change the resolution stage only
    layered = dataclasses.replace(TINY, doi_layers=2)
    _, computed = compare_designs([layered], cache_dir=tmp_path, fast=True)
    assert computed == [("tiny4", "resolution")]
    # another noise seed is another realisation: nothing is taken from the cache
    _, computed = compare_designs([TINY], cache_dir=tmp_path, fast=True, seed=1)
    assert len(computed) == 4
