"""Cases found in review of the quantification package; each once gave a wrong number."""

import json

import numpy as np
import pytest

from positrix.cli.main import main
from positrix.errors import MissingFieldError, PositrixError
from positrix.image import Grid, Image, Subject, affine_from_spacing, frame
from positrix.io import save
from positrix.io.dicom import write_dicom
from positrix.quant.biodist import gamma_counter_uptake
from positrix.quant.labels import LabelImage, load_labels, transfer_voi
from positrix.quant.lesion import lesion_metrics
from positrix.quant.response import classify_response
from positrix.quant.seg import write_seg
from positrix.quant.stats import default_peak_ml, region_stats
from positrix.quant.units import convert_units
from positrix.quant.voi import box, cylinder, sphere
from positrix.simulation.demo_mouse import demo_mouse_study
from tests.conftest import make_pet

MM = Grid((30, 30, 30), affine_from_spacing([1.0] * 3, origin_mm=[-15.0] * 3))


def test_faces_through_voxel_centres():
    assert box(MM, (0, 0, 0), (4, 4, 4)).volume_ml == pytest.approx(0.064, rel=1e-12)
    assert box(MM, (0, 0, 0), (2, 2, 2)).volume_ml == pytest.approx(0.008, rel=1e-12)
    # r = 2.5 voxels: within the stated 1.5 % for small radii
    assert cylinder(MM, (0, 0, 0), 2.5, 4).volume_ml == pytest.approx(
        np.pi * 6.25 * 4e-3, rel=0.015
    )


def test_single_segment_seg(tmp_path):
    study = demo_mouse_study(frames="1x60s", pet_voxel_mm=1.0, ct_voxel_mm=2.0)
    pet = frame(study.pet, 0)
    write_dicom(pet, tmp_path / "pet")
    labels = LabelImage((study.labels == 8).astype(np.int32), pet.grid, {1: "tumour"})
    write_seg(labels, tmp_path / "pet", tmp_path / "seg.dcm")
    back = load_labels(tmp_path / "seg.dcm")
    assert back.names == {1: "tumour"} and back.labels.sum() == labels.labels.sum()


def test_region_growing_with_nan_or_empty_surroundings():
    data = np.zeros(MM.shape)
    hot = sphere(MM, (0, 0, 0), 2.0).mask() >= 0.5
    data[hot] = 10.0
    data[20, 15, 15] = np.nan  # 5 mm from the seed
    image = Image(data, MM.affine, unit="SUVbw")
    metrics = lesion_metrics(image, (0, 0, 0), peak_ml=0.01)
    assert metrics.mtv_ml == pytest.approx(hot.sum() * 1e-3)
    with pytest.raises(PositrixError, match="background"):
        lesion_metrics(image, (-12, -12, -12), peak_ml=0.01)  # empty corner


@pytest.mark.parametrize(
    ("criteria", "before", "after", "category"),
    [
        ("percist", 6.0, 4.2, "PMR"),
        ("percist", 3.3, 2.31, "PMR"),
        ("percist", 2.7, 3.51, "PMD"),
        ("eortc", 1.2, 1.5, "SMD"),
    ],
)
def test_response_exact_thresholds(criteria, before, after, category):
    key = "suv_peak" if criteria == "percist" else "suv_max"
    result = classify_response({key: before}, {key: after}, criteria=criteria)
    assert result.category == category


def test_response_units():
    with pytest.raises(PositrixError, match="different units"):
        classify_response({"suv_peak": 5, "unit": "%ID/g"}, {"suv_peak": 3, "unit": "SUVbw"})
    result = classify_response({"suv_peak": 5, "unit": "SUVbw"}, {"suv_peak": 3, "unit": "SUVbw"})
    assert "SUVbw peak" in result.reason and "defined on SUL" in result.reason


def test_biodistribution_standards_per_session():
    # Zr-89 cohorts on day 0 and day 3, each with its own 1 % standard counted with it:
    # tumour 5e4 / (1e4 / 0.01) = 5 %ID, 0.5 g → 10 %ID/g in both cohorts
    rows = []
    for group, day in (("A", "01"), ("B", "04")):
        when = f"2026-01-{day}T12:00:00"
        rows += [
            dict(
                animal="s" + group,
                group=group,
                timepoint="24h",
                organ="standard",
                weight_g="0",
                counts="10000",
                measured_at=when,
                standard_fraction="0.01",
            ),
            dict(
                animal="m" + group,
                group=group,
                timepoint="24h",
                organ="tumour",
                weight_g="0.5",
                counts="50000",
                measured_at=when,
                standard_fraction="",
            ),
        ]
    out = gamma_counter_uptake(rows, "Zr-89")
    assert [r["percent_id_per_g"] for r in out] == pytest.approx([10.0, 10.0])
    with pytest.raises(PositrixError, match="no standard for group 'A'"):
        gamma_counter_uptake([rows[0] | {"group": "B"}, rows[1]], "Zr-89")


def test_peak_ignores_a_far_nan_voxel():
    grid = Grid((40, 40, 40), affine_from_spacing([0.5] * 3, origin_mm=[-9.75] * 3))
    data = np.full(grid.shape, 1000.0)
    data[13, 13, 13] = np.nan
    (row,) = region_stats(
        Image(data, grid.affine, unit="Bq/mL"), [sphere(grid, (0, 0, 0), 3.0)], peak_ml=0.5
    )
    assert np.isfinite(row.peak) and row.peak <= 1000.0 + 1e-6


def test_transfer_onto_a_flipped_grid_keeps_volume():
    fine = Grid((80, 80, 80), affine_from_spacing([0.25] * 3, origin_mm=[-9.875] * 3))
    flipped = np.diag([-0.8, -0.8, -0.8, 1.0])
    flipped[:3, 3] = 9.6
    moved = transfer_voi(sphere(fine, (0, 0, 0), 3.0), Grid((25, 25, 25), flipped))
    assert moved.volume_ml == pytest.approx(4 / 3 * np.pi * 27e-3, rel=0.01)


def test_sul_needs_a_male_or_female_subject():
    pet = make_pet(frames="1x60s")
    for sex, ok in (("male", True), ("m", True), ("Female", True), ("O", False)):
        subject = Subject(weight_g=80000.0, height_cm=180.0, sex=sex)
        if ok:
            convert_units(pet.replace(subject=subject), "SUL")
        else:
            with pytest.raises(MissingFieldError, match="sex"):
                convert_units(pet.replace(subject=subject), "SUL")


@pytest.mark.parametrize("species", ["mouse", "Mus musculus", "mus musculus", "MOUSE"])
def test_species_names_for_the_peak_default(species):
    image = Image(np.ones((2, 2, 2)), np.eye(4), unit="Bq/mL", subject=Subject(species=species))
    assert default_peak_ml(image) == 0.02


def test_cli_negative_seed_frame_range_and_strict_json(tmp_path, capsys):
    late = frame(demo_mouse_study(frames="1x60s", pet_voxel_mm=1.0, ct_voxel_mm=2.0).pet, 0)
    save(late, tmp_path / "p.nii.gz")
    assert main(["lesion", str(tmp_path / "p.nii.gz"), "--seed", "9", "-4", "-14", "--json"]) == 0
    assert main(["lesion", str(tmp_path / "p.nii.gz"), "--seed=9,-4,-14", "--json"]) == 0
    capsys.readouterr()
    assert main(["lesion", str(tmp_path / "p.nii.gz"), "--seed", "9,-4,-14", "--frame", "3"]) == 2
    assert "frame 3" in capsys.readouterr().err
    main(["stats", str(tmp_path / "p.nii.gz"), "--voi", "one=sphere:0.4,0,-1.6,0.2", "--json"])
    out = capsys.readouterr().out
    json.loads(out, parse_constant=lambda name: pytest.fail(f"non-strict JSON: {name}"))
    from positrix.cli.output import print_json

    print_json({"sd": float("nan"), "values": [1.0, float("inf")]})
    assert json.loads(capsys.readouterr().out) == {"sd": None, "values": [1.0, None]}
