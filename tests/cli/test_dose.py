"""``positrix dose``: the JSON contract, the models named, bad input answered."""

from __future__ import annotations

import json
import math

import pytest

from positrix.cli.main import main
from positrix.physics.dose_kernel import MEV_TO_J
from positrix.physics.emissions import non_penetrating_MeV

LU177 = 574067.52


@pytest.fixture
def biodistribution(tmp_path):
    # decay-corrected %ID/g of kidneys (0.35 g) at 1, 4, 24, 72 h; two mice at 1 h
    path = tmp_path / "biod.csv"
    path.write_text(
        "organ,time_h,percent_id_per_g,mass_g\n"
        "kidneys,1,20,0.35\nkidneys,1,22,0.35\nkidneys,4,15,0.35\n"
        "kidneys,24,6,0.35\nkidneys,72,1.5,0.35\n",
        encoding="utf-8",
    )
    return str(path)


def _expected_tiac_h(points):
    lam = math.log(2) / LU177
    t = [h * 3600 for h, _ in points]
    a = [f * math.exp(-lam * s) for (_, f), s in zip(points, t, strict=True)]
    area = a[0] * t[0] / 2 + sum(
        (a[i] + a[i + 1]) / 2 * (t[i + 1] - t[i]) for i in range(len(t) - 1)
    )
    return (area + a[-1] / lam) / 3600


def test_tia_json(biodistribution, capsys):
    assert main(["dose", "tia", biodistribution, "--nuclide", "Lu-177", "--decay-corrected",
                 "yes", "--json"]) == 0  # fmt: skip
    out = json.loads(capsys.readouterr().out)
    (kidneys,) = out["regions"]
    # %IA = %ID/g × 0.35 g; the two mice at 1 h averaged
    expected = _expected_tiac_h(
        [(1, 0.21 * 0.35), (4, 0.15 * 0.35), (24, 0.06 * 0.35), (72, 0.015 * 0.35)]
    )
    assert kidneys["tiac_h"] == pytest.approx(expected, rel=1e-12)
    assert out["dataset"] == "ENSDF" and kidneys["method"] == "trapezoid"


def test_organ_sphere_json(biodistribution, capsys):
    assert main(["dose", "organ", biodistribution, "--nuclide", "Lu-177", "--decay-corrected",
                 "yes", "--sphere", "--injected", "20MBq", "--json"]) == 0  # fmt: skip
    out = json.loads(capsys.readouterr().out)
    from positrix.physics.mird import sphere_s_value

    dose = out["targets"][0]["dose_Gy"]
    tia = out["tiac_h"]["kidneys"] * 3600 * 20e6
    assert out["unit"] == "Gy"
    assert dose == pytest.approx(tia * sphere_s_value("Lu-177", 0.35)["total"], rel=1e-12)


def test_effective(tmp_path, capsys):
    path = tmp_path / "doses.csv"
    path.write_text("tissue,dose_mSv\nliver,2\nkidneys,10\nlungs,1\n", encoding="utf-8")
    assert main(["dose", "effective", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    # 0.04·2 + 0.12·1 + 0.12·10 (kidneys, the only remainder tissue given) = 1.4 mSv
    assert out["effective_dose_Sv"] == pytest.approx(1.4e-3, rel=1e-12)
    assert out["complete"] is False and "red marrow" in out["missing_tissues"]


def test_voxel_cli(tmp_path, capsys):
    from datetime import UTC, datetime

    import numpy as np

    from positrix.image.frames import FrameTable
    from positrix.image.image import Image
    from positrix.io import save
    from positrix.physics.injection import Injection
    from positrix.physics.nuclides import get_nuclide

    t0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    pet = Image(
        np.full((24, 24, 24), 50.0, dtype=np.float32),
        np.diag([0.5, 0.5, 0.5, 1.0]),
        unit="kBq/mL",
        frames=FrameTable.from_durations([600.0], acquisition_start=t0),
        injection=Injection(nuclide=get_nuclide("F-18"), injection_time=t0),
    )
    save(pet, tmp_path / "pet.nii.gz")
    out_path = tmp_path / "dose.nii.gz"
    assert main(["dose", "voxel", str(tmp_path / "pet.nii.gz"), "-o", str(out_path),
                 "--json"]) == 0  # fmt: skip
    out = json.loads(capsys.readouterr().out)
    lam = math.log(2) / 6586.2
    tia = 50e3 * 0.125e-3 * (300.0 / 2 + 1 / lam)
    expected = tia * non_penetrating_MeV("F-18") * MEV_TO_J / 0.125e-6
    assert out["max_Gy"] == pytest.approx(expected, rel=1e-5) and out["single_time_point"]
    assert out_path.exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--sphere", "--s-values", "x.csv"], "either --s-values or --sphere"),
        (["--sphere", "--mass", "kidneys"], "ORGAN=MASS"),
    ],
)
def test_organ_errors(biodistribution, capsys, extra, message):
    assert main(["dose", "organ", biodistribution, "--nuclide", "Lu-177",
                 "--decay-corrected", "no", *extra]) == 2  # fmt: skip
    assert message in capsys.readouterr().err


def test_extrapolate_json(biodistribution, capsys):
    assert (
        main(
            [
                "dose",
                "extrapolate",
                biodistribution,
                "--nuclide",
                "Lu-177",
                "--decay-corrected",
                "yes",
                "--animal-mass",
                "25g",
                "--json",
            ]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    (kidneys,) = out["regions"]
    # %IA scaled by (310/73000)/(0.35/25) (ICRP 89 male), times by (73000/25)^¼
    factor = (310 / 73000) / (0.35 / 25)
    stretch = (73000 / 25) ** 0.25
    points = [
        (h * stretch, f * 0.35 * factor) for h, f in ((1, 0.21), (4, 0.15), (24, 0.06), (72, 0.015))
    ]
    assert kidneys["tiac_h"] == pytest.approx(_expected_tiac_h(points), rel=1e-12)
    assert kidneys["human_mass_g"] == 310.0 and out["time_scaling"] is True
