"""MIRD: the sphere model's geometric escape law against Monte Carlo, S-value tables with
units, absorbed doses summed over sources with the α part kept apart."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from positrix.errors import PositrixError
from positrix.physics.dose_kernel import MEV_TO_J
from positrix.physics.emissions import energy_per_decay_MeV
from positrix.physics.mird import (
    _sphere_p,
    absorbed_doses,
    read_s_values,
    sphere_absorbed_fraction,
    sphere_s_value,
)


@pytest.mark.parametrize("distance", [0.3, 1.0, 1.7])
def test_escape_law_matches_monte_carlo(distance):
    # P(r): a point uniform in a unit sphere, moved r in a random direction, stays inside
    rng = np.random.default_rng(1)
    n = 400_000
    start = rng.normal(size=(n, 3))
    start *= (rng.random(n) ** (1 / 3) / np.linalg.norm(start, axis=1))[:, None]
    step = rng.normal(size=(n, 3))
    step /= np.linalg.norm(step, axis=1, keepdims=True)
    inside = np.mean(np.linalg.norm(start + distance * step, axis=1) <= 1.0)
    # binomial standard error ≤ 8e-4: 4 σ
    assert float(_sphere_p(np.array(distance), 1.0)) == pytest.approx(inside, abs=3.2e-3)


def test_alpha_emitter_keeps_its_alpha_energy():
    s = sphere_s_value("Ac-225", 0.1)
    alpha = energy_per_decay_MeV("Ac-225")["alpha"]
    assert s["alpha"] == pytest.approx(alpha * MEV_TO_J / 1e-4, rel=1e-12)
    assert s["photons_not_counted_MeV"] > 0


def test_absorbed_fraction_rises_with_mass_towards_one():
    fractions = [sphere_absorbed_fraction("Y-90", m) for m in (0.01, 0.1, 1.0, 10.0, 1000.0)]
    assert all(b > a for a, b in itertools.pairwise(fractions))
    assert 0.0 < fractions[0] < fractions[-1] < 1.0


def test_s_value_table_units_and_doses(tmp_path):
    table = tmp_path / "s.csv"
    table.write_text(
        "# mouse phantom (made up for the test)\n"
        "target,source,S_mGy_per_MBq_s,radiation\n"
        "kidneys,kidneys,2e-3,other\nliver,kidneys,1e-5,other\nkidneys,liver,1e-5,other\n"
        "liver,liver,5e-4,\nkidneys,kidneys_alpha,1e-2,alpha\n",
        encoding="utf-8",
    )
    s = read_s_values(table)
    assert s.values[("kidneys", "kidneys")] == pytest.approx(2e-3 * 1e-9, rel=1e-12)  # Gy/(Bq s)
    doses = absorbed_doses({"kidneys": 1e9, "liver": 2e9, "kidneys_alpha": 1e8}, s)
    assert doses["kidneys"]["other"] == pytest.approx(1e9 * 2e-12 + 2e9 * 1e-14, rel=1e-12)
    assert doses["kidneys"]["alpha"] == pytest.approx(1e8 * 1e-11, rel=1e-12)
    assert doses["liver"]["total"] == pytest.approx(1e9 * 1e-14 + 2e9 * 5e-13, rel=1e-12)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("target,source,S_Gy\nk,k,1\n", "unknown S-value unit"),
        ("organ,S_Gy_per_Bq_s\nk,1\n", "lack target, source"),
        ("target,source,S_Gy_per_Bq_s\nk,k,-1\n", "line 2"),
        ("target,source,S_Gy_per_Bq_s\nk,k,1\nk,k,2\n", "appears twice"),
    ],
)
def test_bad_tables_name_the_problem(tmp_path, text, message):
    table = tmp_path / "s.csv"
    table.write_text(text, encoding="utf-8")
    with pytest.raises(PositrixError, match=message):
        read_s_values(table)


def test_source_without_s_values_is_refused(tmp_path):
    table = tmp_path / "s.csv"
    table.write_text("target,source,S_Gy_per_Bq_s\nk,k,1\n", encoding="utf-8")
    with pytest.raises(PositrixError, match="no S-values for source region"):
        absorbed_doses({"spleen": 1.0}, read_s_values(table))
