"""edit, resample, merge and split: metadata set on a copy, grids changed, frames moved."""

import hashlib
from datetime import timedelta

import numpy as np
import pytest

from positrix.cli.main import main
from positrix.io import load, save
from tests.conftest import T0, make_pet


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_edit_sets_subject_and_injection_on_a_copy(tmp_path, capsys):
    src = tmp_path / "pet.nii.gz"
    save(make_pet(), src)
    before = _digest(src), _digest(tmp_path / "pet.json")
    when = (T0 - timedelta(minutes=10)).isoformat()
    argv = ["edit", str(src), "-o", str(tmp_path / "e.nii.gz"), "--weight", "0.03kg"]
    argv += ["--height", "95mm", "--injected", f"10MBq@{when}", "--subject-id", "m42"]
    code = main(argv)
    assert code == 0
    edited = load(tmp_path / "e.nii.gz")
    assert edited.subject.weight_g == pytest.approx(30.0, rel=1e-12)
    assert edited.subject.height_cm == pytest.approx(9.5, rel=1e-12)
    assert edited.subject.id == "m42" and edited.subject.strain == "BALB/c"  # others kept
    assert edited.injection.activity_before_bq == pytest.approx(1e7, rel=1e-12)
    assert (_digest(src), _digest(tmp_path / "pet.json")) == before  # the input is untouched
    capsys.readouterr()
    assert main(["edit", str(src), "-o", str(src), "--weight", "25g"]) == 2
    assert main(["edit", str(src), "-o", str(tmp_path / "f.nii.gz"), "--injected", "10MBq"]) == 2
    assert "--injected" in capsys.readouterr().err


def test_resample_keeps_world_positions(tmp_path, capsys):
    pet = make_pet(shape=(8, 8, 6))
    data = np.zeros(pet.spatial_shape)
    data[2:6, 2:6, 1:5] = 7.0
    image = pet.replace(data=data, frames=None, decay_reference=None)
    save(image, tmp_path / "a.nii.gz")
    finer = image.replace(
        data=np.zeros((16, 16, 12)), affine=image.affine @ np.diag([0.5, 0.5, 0.5, 1.0])
    )
    save(finer, tmp_path / "like.nii.gz")
    out = tmp_path / "r.nii.gz"
    assert main(["resample", str(tmp_path / "a.nii.gz"), "--like", str(tmp_path / "like.nii.gz"),
                 "-o", str(out), "--interpolation", "nearest"]) == 0  # fmt: skip
    result = load(out)
    assert result.spatial_shape == (16, 16, 12) and result.unit == "Bq/mL"
    # nearest neighbour: only the input's values; the block's volume is kept (8·4³ voxels)
    assert set(np.unique(result.data)) <= {0.0, 7.0}
    kept = np.count_nonzero(result.data) * np.prod(result.voxel_size_mm)
    assert kept == pytest.approx(np.count_nonzero(data) * np.prod(image.voxel_size_mm), rel=0.2)


def test_split_then_merge_gives_back_the_dynamic_image(tmp_path, capsys):
    pet = make_pet()
    save(pet, tmp_path / "pet.nii.gz")
    assert main(["split", str(tmp_path / "pet.nii.gz"), "-o", str(tmp_path / "f")]) == 0
    parts = sorted((tmp_path / "f").glob("frame_*.nii.gz"))
    assert len(parts) == 3 and load(parts[1]).frames.start_s.tolist() == [60.0]
    assert main(["merge", *map(str, parts[::-1]), "-o", str(tmp_path / "m.nii.gz")]) == 0
    merged = load(tmp_path / "m.nii.gz")
    np.testing.assert_array_equal(merged.data, load(tmp_path / "pet.nii.gz").data)
    assert merged.frames.start_s.tolist() == pet.frames.start_s.tolist()
    assert merged.injection.net_activity_bq == pytest.approx(pet.injection.net_activity_bq)
    capsys.readouterr()
    assert main(["merge", str(parts[0]), str(parts[0]), "-o", str(tmp_path / "n.nii.gz")]) == 2
    assert "overlap" in capsys.readouterr().err


def test_edit_needs_the_scanner_zone_of_a_file_without_one(tmp_path, capsys):
    pet = make_pet()
    zoneless = pet.replace(metadata={**pet.metadata, "times": "no TimezoneOffsetFromUTC"})
    save(zoneless, tmp_path / "pet.nii.gz")
    when = "2026-05-01T09:20:00+01:00"  # 8 min before the injection on the scanner clock
    argv = ["edit", str(tmp_path / "pet.nii.gz"), "--injected", f"10MBq@{when}"]
    assert main([*argv, "-o", str(tmp_path / "a.nii.gz")]) == 2
    assert "--file-utc-offset" in capsys.readouterr().err
    assert main([*argv, "--file-utc-offset", "+01:00", "-o", str(tmp_path / "b.nii.gz")]) == 0
    edited = load(tmp_path / "b.nii.gz")
    # the file's clock (09:30 scan start) is now read as +01:00: 08:30 UTC
    assert edited.frames.acquisition_start.utcoffset() == timedelta(hours=1)
    assert edited.frames.acquisition_start.hour == pet.frames.acquisition_start.hour
    assert "times" not in edited.metadata


def test_resample_treats_whole_numbers_without_a_unit_as_labels(tmp_path, capsys):
    pet = make_pet(shape=(8, 8, 6))
    labels = np.zeros(pet.spatial_shape)
    labels[2:6, 2:6, 1:5] = 3
    save(
        pet.replace(data=labels, unit="unknown", frames=None, decay_reference=None),
        tmp_path / "seg.nii.gz",
    )
    like = pet.replace(
        data=np.zeros((16, 16, 12)),
        frames=None,
        decay_reference=None,
        affine=pet.affine @ np.diag([0.5, 0.5, 0.5, 1.0]),
    )
    save(like, tmp_path / "like.nii.gz")
    out = tmp_path / "r.nii.gz"
    argv = ["resample", str(tmp_path / "seg.nii.gz"), "--like", str(tmp_path / "like.nii.gz")]
    assert main([*argv, "-o", str(out)]) == 0
    assert set(np.unique(load(out).data)) == {0.0, 3.0}  # nearest neighbour: no fractions
