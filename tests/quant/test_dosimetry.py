"""Organ and voxel dosimetry from tables and images, against closed forms."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from positrix.errors import PositrixError
from positrix.image.frames import FrameTable
from positrix.image.image import Image
from positrix.physics.dose_kernel import MEV_TO_J
from positrix.physics.emissions import non_penetrating_MeV
from positrix.physics.injection import Injection
from positrix.physics.nuclides import get_nuclide
from positrix.quant.dosimetry import read_tissue_doses, read_uptake_table, time_integrated
from positrix.quant.voxel_dose import voxel_dose

LU177 = 574067.52
T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def _table(tmp_path, *, corrected: bool) -> str:
    # kidneys clear biologically with T½ = 24 h: %IA(t) = 10 e^{-λb t} decay-corrected
    lam_b, lam_p = math.log(2) / 86400.0, math.log(2) / LU177
    lines = ["organ,time_h,percent_id_per_g,mass_g"]
    for hours in np.linspace(0.0, 400.0, 401):
        value = 10.0 * math.exp(-lam_b * hours * 3600) / 0.4
        if not corrected:
            value *= math.exp(-lam_p * hours * 3600)
        lines.append(f"kidneys,{hours},{value!r},0.4")
    path = tmp_path / f"biod-{corrected}.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("corrected", [True, False])
def test_tiac_of_a_mono_exponential_organ(tmp_path, corrected):
    curves = read_uptake_table(
        _table(tmp_path, corrected=corrected), nuclide="Lu-177", decay_corrected=corrected
    )
    (result,) = time_integrated(curves, nuclide="Lu-177")
    lam = math.log(2) / 86400.0 + math.log(2) / LU177
    # ∫ 0.1 e^{-(λb+λp) t} dt in h; 1-h trapezoids: (λΔt)²/12 ≈ 1e-4 relative
    assert result.tiac_h == pytest.approx(0.1 / lam / 3600.0, rel=2e-4)
    assert result.mass_g == pytest.approx(0.4)


def test_table_errors_name_file_line_and_column(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("organ,time_h,percent_ia\nliver,1,abc\n", encoding="utf-8")
    with pytest.raises(PositrixError, match="line 2: percent_ia 'abc'"):
        read_uptake_table(path, nuclide="F-18", decay_corrected=True)
    path.write_text("organ,hours,percent_ia\nliver,1,3\n", encoding="utf-8")
    with pytest.raises(PositrixError, match="time_h"):
        read_uptake_table(path, nuclide="F-18", decay_corrected=True)
    path.write_text("organ,time_h,activity_MBq\nliver,1,3\n", encoding="utf-8")
    with pytest.raises(PositrixError, match="--injected"):
        read_uptake_table(path, nuclide="F-18", decay_corrected=True)


def test_tissue_doses_weight_alpha(tmp_path):
    path = tmp_path / "doses.csv"
    path.write_text("tissue,dose_mGy,radiation\nliver,1,other\nliver,0.1,alpha\n", "utf-8")
    assert read_tissue_doses(path) == {"liver": pytest.approx(1e-3 + 20 * 1e-4, rel=1e-12)}


def _pet(value_bq_ml: float, scan_after_s: float, *, corrected: bool) -> Image:
    nuclide = get_nuclide("F-18")
    start = T0 + timedelta(seconds=scan_after_s)
    return Image(
        np.full((30, 30, 30), value_bq_ml, dtype=np.float32),
        np.diag([0.5, 0.5, 0.5, 1.0]),
        unit="kBq/mL",
        frames=FrameTable.from_durations([600.0], acquisition_start=start),
        decay_reference=T0 if corrected else None,
        injection=Injection(nuclide=nuclide, injection_time=T0),
    )


def test_voxel_dose_of_a_uniform_single_time_point():
    # 100 kBq/mL physically present at the frame's mid-time (1 h + 5 min after injection):
    # Ã per voxel = A·t/2 + A/λ (rise from 0, then physical decay), D = Ã Δ / m
    lam = math.log(2) / 6586.2
    t = 3600.0 + 300.0
    result = voxel_dose([_pet(100.0, 3600.0, corrected=False)])
    voxel_bq = 100e3 * 0.125e-3
    tia = voxel_bq * (t / 2 + 1 / lam)
    expected = tia * non_penetrating_MeV("F-18") * MEV_TO_J / (0.125e-3 * 1e-3)
    assert result.dose.unit == "Gy" and result.times_s == (t,)
    assert float(result.dose.data[15, 15, 15]) == pytest.approx(expected, rel=1e-6)  # float32


def test_decay_corrected_images_are_uncorrected():
    lam = math.log(2) / 6586.2
    t = 3600.0 + 300.0
    plain = voxel_dose([_pet(100.0, 3600.0, corrected=False)])
    corrected = voxel_dose([_pet(100.0 * math.exp(lam * t), 3600.0, corrected=True)])
    assert corrected.tia_bq_s[15, 15, 15] == pytest.approx(plain.tia_bq_s[15, 15, 15], rel=1e-6)


def test_images_on_different_grids_are_refused():
    a = _pet(1.0, 600.0, corrected=False)
    b = a.replace(affine=np.diag([0.6, 0.5, 0.5, 1.0]))
    with pytest.raises(PositrixError, match="different voxel grids"):
        voxel_dose([a, b])
