"""Electron stopping power and CSDA range in water against NIST ESTAR; β spectrum shape."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from positrix.physics.electrons import (
    beta_spectrum,
    csda_range_g_cm2,
    energy_at_range,
    stopping_power_water,
)

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "nuclides.csv"


@pytest.mark.parametrize(
    ("energy", "estar", "tolerance"),
    # NIST ESTAR liquid water, collision stopping power (MeV cm²/g)
    [(0.01, 22.56, 0.002), (0.1, 4.115, 0.002), (1.0, 1.849, 0.006)],
)
def test_collision_stopping_power_matches_estar(energy, estar, tolerance):
    assert float(stopping_power_water(energy)) == pytest.approx(estar, rel=tolerance)


@pytest.mark.parametrize(
    ("energy", "estar", "tolerance"),
    # NIST ESTAR liquid water CSDA ranges (g/cm²); ESTAR includes radiative losses, left out
    # here (0.7 % of the stopping power at 1 MeV, 1.5 % at 3 MeV): within 1 % to 1.5 MeV,
    # 1.5 % above
    [
        (0.1, 0.01431, 0.01),
        (0.3, 0.08421, 0.01),
        (0.5, 0.1766, 0.01),
        (1.0, 0.4367, 0.01),
        (1.5, 0.7143, 0.01),
        (2.0, 0.9785, 0.015),
        (3.0, 1.514, 0.015),
    ],
)
def test_csda_range_matches_estar(energy, estar, tolerance):
    assert float(csda_range_g_cm2(energy)) == pytest.approx(estar, rel=tolerance)


def test_csda_range_at_mean_positron_energy_matches_the_reference_table():
    if not REFERENCE.exists():
        pytest.skip("../shared/reference is not next to this checkout")
    with REFERENCE.open(encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["mean_Ebp_keV_ENSDF"]]
    assert len(rows) >= 12
    for row in rows:
        energy = float(row["mean_Ebp_keV_ENSDF"]) / 1000
        mm = 10 * float(csda_range_g_cm2(energy))
        # the reference's CSDA column within 2 % below 1 MeV; above (Rb-82 1.48 MeV, Tb-152
        # 1.14 MeV) the reference is 3-4 % below ESTAR's own table (7.03 and 5.15 mm by
        # interpolating ESTAR), which the test above checks
        tolerance = 0.02 if energy < 1.0 else 0.045
        assert mm == pytest.approx(float(row["CSDA_water_at_Emean_mm"]), rel=tolerance), row


def test_range_inverts():
    energies = np.geomspace(0.005, 3.0, 50)
    assert energy_at_range(csda_range_g_cm2(energies)) == pytest.approx(energies, rel=1e-6)


@pytest.mark.parametrize(
    ("end_point", "z", "ensdf_mean"),
    # allowed β+ transitions: the allowed shape with the Fermi function gives ENSDF's mean
    # energy within 1 % (F-18 249.8, C-11 385.7, Ga-68 main branch 836.0 keV)
    [(0.6335, 8, 0.2498), (0.9604, 5, 0.3857), (1.8991, 30, 0.83602)],
)
def test_allowed_positron_spectrum_mean(end_point, z, ensdf_mean):
    t, p = beta_spectrum(end_point, z, positron=True)
    assert p.sum() == pytest.approx(1.0, rel=1e-12)
    assert float((t * p).sum()) == pytest.approx(ensdf_mean, rel=0.01)
