"""ENSDF decay radiations: the table reproduces ENSDF's own summaries (β+ intensity, mean
β energy, annihilation = 2 × β+) and the best-known lines."""

from __future__ import annotations

import pytest

from positrix.errors import PositrixError
from positrix.physics.emissions import (
    emissions,
    energy_per_decay_MeV,
    non_penetrating_MeV,
    prompt_gammas,
)
from positrix.physics.nuclides import get_nuclide

POSITRON_EMITTERS = [
    "F-18",
    "C-11",
    "N-13",
    "O-15",
    "Ga-68",
    "Cu-64",
    "Zr-89",
    "Rb-82",
    "I-124",
    "Sc-44",
    "Y-86",
    "Tb-152",
    "Na-22",
]


#: Different ENSDF evaluations behind the two tables (documented in data/README.md):
#: NuDat's decay radiations give Y-86 27.75 % and Na-22 89.96 % β+ per decay.
OTHER_EVALUATION = {"Y-86": 0.16, "Na-22": 0.005}


@pytest.mark.parametrize("name", POSITRON_EMITTERS)
def test_beta_plus_branches_add_up_to_the_tables_positron_fraction(name):
    branches = emissions(name, radiation="beta+")
    total = sum(row.intensity for row in branches)
    # same ENSDF evaluation; the nuclide table rounds to 4-5 digits (rel 2e-3)
    tolerance = OTHER_EVALUATION.get(name, 2e-3)
    assert total == pytest.approx(get_nuclide(name).beta_plus_fraction, rel=tolerance)
    annihilation = sum(row.intensity for row in emissions(name, radiation="annihilation"))
    # two 511 keV photons per positron; ENSDF rounds the annihilation line to 2 digits
    # (Tb-152: 41 % for 2 × 20.27 %)
    assert annihilation == pytest.approx(2.0 * total, rel=0.015)


@pytest.mark.parametrize(
    ("name", "mean_keV"),
    # ENSDF mean energies per decay: Lu-177 133.6 keV (β−), Y-90 932.4 (tolerance 1e-3),
    # F-18 249.8 keV per positron (× 0.9673 per decay)
    [("Lu-177", 133.6), ("Y-90", 932.4), ("F-18", 249.8 * 0.9673)],
)
def test_mean_beta_energy_per_decay_matches_ensdf(name, mean_keV):
    energy = energy_per_decay_MeV(name)
    assert 1000 * (energy["beta-"] + energy["beta+"]) == pytest.approx(mean_keV, rel=1e-3)


def test_best_known_lines():
    tc = [row for row in emissions("99mTc", radiation="gamma") if row.energy_keV > 100]
    assert [(round(r.energy_keV, 1), r.intensity) for r in tc] == [(140.5, 0.89)]  # ENSDF 89 %
    lines, in_window = prompt_gammas("I-124")
    assert any(round(r.energy_keV, 1) == 602.7 and r.intensity == 0.629 for r in lines)
    assert in_window == pytest.approx(0.6438, abs=1e-3)  # 602.7 (62.9 %) + 541, 592, 609, 645 keV
    assert prompt_gammas("F-18")[1] == 0.0  # a pure positron emitter has none
    alphas = emissions("Ac-225", radiation="alpha")
    assert max(alphas, key=lambda r: r.intensity).energy_keV == 5830.0  # 50.7 %, ENSDF


def test_alpha_chain_members_have_their_branchings():
    bi = energy_per_decay_MeV("Bi-213")
    assert sum(r.intensity for r in emissions("Bi-213", radiation="alpha")) == pytest.approx(
        0.0214, rel=0.01
    )  # α branch 2.14 % (ENSDF)
    assert bi["alpha"] > 0 and bi["beta-"] > 0
    assert non_penetrating_MeV("Po-213") == pytest.approx(8.376, rel=1e-3)  # 8376 keV α, 100 %


def test_bad_requests_are_named():
    with pytest.raises(PositrixError, match="ENSDF only"):
        emissions("F-18", dataset="ICRP-107")
    with pytest.raises(PositrixError, match="unknown radiation"):
        emissions("F-18", radiation="neutrino")
    with pytest.raises(PositrixError, match="positron emitter"):
        prompt_gammas("I-131")
