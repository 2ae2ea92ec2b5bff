"""Hotel scans: two mice in one field of view become two studies, each with its own
activity, weight and injection; activity is conserved; touching animals are refused."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from positrix.errors import PositrixError
from positrix.image.image import Image
from positrix.image.subject import Subject
from positrix.io import load
from positrix.physics.injection import Injection
from positrix.physics.nuclides import get_nuclide
from positrix.pipeline.hotel import HotelAnimal, split_hotel

T = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)


def _hotel(gap_mm: float = 30.0):
    """Two cylinders of radius 8 mm along z, centred at x = ±gap/2 (1 mm voxels)."""
    affine = np.diag([1.0, 1.0, 1.0, 1.0])
    affine[:3, 3] = [-31.5, -15.5, -11.5]
    x, y = np.meshgrid(np.arange(64) - 31.5, np.arange(32) - 15.5, indexing="ij")
    left = ((x + gap_mm / 2) ** 2 + y**2 < 64)[..., None] & np.ones(24, bool)
    right = ((x - gap_mm / 2) ** 2 + y**2 < 64)[..., None] & np.ones(24, bool)
    hu = np.where(left | right, 0.0, -1000.0).astype(np.float32)
    activity = np.where(left, 1e5, np.where(right, 2e5, 0.0)).astype(np.float32)
    ct = Image(hu, affine, unit="HU", modality="CT")
    pet = Image(activity, affine, unit="Bq/mL", modality="PT")
    return pet, ct


def _animals():
    f18 = get_nuclide("F-18")
    return [
        HotelAnimal(
            2,
            Subject(id="M-right", weight_g=25.0),
            Injection(
                nuclide=f18,
                tracer="FDG",
                injection_time=T,
                activity_before_bq=8e6,
                activity_before_time=T,
            ),
        ),
        HotelAnimal(
            1,
            Subject(id="M-left", weight_g=20.0),
            Injection(
                nuclide=f18,
                tracer="FDG",
                injection_time=T,
                activity_before_bq=5e6,
                activity_before_time=T,
            ),
        ),
    ]


def test_two_mice_become_two_studies_with_their_own_weights(tmp_path):
    pet, ct = _hotel()
    folders = split_hotel(pet, ct, _animals(), tmp_path)
    assert [f.name for f in folders] == ["position-1", "position-2"]
    first, second = (load(f / "pet.nii.gz") for f in folders)
    # position 1 is the first along x: the left mouse, 100 kBq/mL, 20 g, 5 MBq
    assert first.subject.id == "M-left" and first.subject.weight_g == 20.0
    assert first.injection.activity_before_bq == 5e6
    assert float(first.data.max()) == pytest.approx(1e5) and float(second.data.max()) == 2e5
    # every becquerel of the hotel is in exactly one of the two studies (1 mm³ voxels)
    total = float(pet.data.sum())
    assert float(first.data.sum()) + float(second.data.sum()) == pytest.approx(total, rel=1e-6)
    assert (folders[0] / "ct.nii.gz").exists()


def test_touching_animals_are_refused(tmp_path):
    pet, ct = _hotel(gap_mm=10.0)  # the cylinders overlap: one body on the CT
    with pytest.raises(PositrixError, match="1 separate bodies"):
        split_hotel(pet, ct, _animals(), tmp_path)
    with pytest.raises(PositrixError, match="twice"):
        split_hotel(pet, ct, [_animals()[0], _animals()[0]], tmp_path)


def test_the_command_line(tmp_path, capsys):
    from positrix.cli.main import main
    from positrix.io import save

    pet, ct = _hotel()
    save(pet, tmp_path / "hotel-pet.nii.gz")
    save(ct, tmp_path / "hotel-ct.nii.gz")
    table = tmp_path / "animals.csv"
    table.write_text(
        "position,animal,weight_g,tracer,nuclide,injected,injection_time\n"
        "1,M-left,20,FDG,F-18,5 MBq,2026-03-16T10:00:00+01:00\n"
        "2,M-right,25,FDG,F-18,8 MBq,2026-03-16T10:00:00+01:00\n"
    )

    def split(out: str) -> int:
        return main(
            [
                "hotel",
                str(tmp_path / "hotel-pet.nii.gz"),
                "--ct",
                str(tmp_path / "hotel-ct.nii.gz"),
                "--animals",
                str(table),
                "--out",
                str(tmp_path / out),
            ]
        )

    assert split("split") == 0
    first = load(tmp_path / "split" / "position-1" / "pet.nii.gz")
    assert first.subject.weight_g == 20.0 and first.injection.activity_before_bq == 5e6
    table.write_text("position,animal\n1,M\n")
    assert split("x") == 2
    assert "no weight_g" in capsys.readouterr().err
