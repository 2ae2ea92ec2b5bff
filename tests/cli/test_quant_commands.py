"""positrix stats / tac / lesion / response / biodist through main()."""

import json

import numpy as np
import pytest

from positrix.cli.main import main
from positrix.image import frame
from positrix.io import save
from positrix.quant.labels import LabelImage, save_labels
from positrix.simulation.demo_mouse import ORGANS, demo_mouse_study
from tests.conftest import make_pet


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("quant")
    study = demo_mouse_study(frames="2x60s,1x600s", pet_voxel_mm=1.0, ct_voxel_mm=2.0)
    save(study.pet, folder / "pet.nii.gz")
    save(frame(study.pet, -1), folder / "late.nii.gz")
    names = {n: name for n, name in enumerate(study.label_names, start=1)}
    save_labels(LabelImage(study.labels, study.pet.grid, names), folder / "labels.nii.gz")
    return folder


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_stats_json_keys(files, capsys):
    code, out, _ = run(capsys, "stats", files / "pet.nii.gz", "--voi", files / "labels.nii.gz",
                       "--unit", "SUVbw", "--json")  # fmt: skip
    rows = json.loads(out)
    assert code == 0 and len(rows) == 8 * 3
    assert set(rows[0]) >= {"region", "frame", "mean", "sd", "median", "min", "max", "peak",
                            "volume_ml", "n_voxels", "unit"}  # fmt: skip
    assert {r["unit"] for r in rows} == {"SUVbw"}


def test_stats_with_a_shape_and_text_output(files, capsys):
    centre = ",".join(str(v) for v in ORGANS["tumour"][0])
    code, out, _ = run(capsys, "stats", files / "late.nii.gz", "--voi",
                       f"tumour=sphere:{centre},2", "--peak-ml", "0.02")  # fmt: skip
    assert code == 0 and "tumour" in out and "mL" in out and "Bq/mL" in out


def test_tac_table_and_plot(files, capsys, tmp_path):
    code, _, _ = run(capsys, "tac", files / "pet.nii.gz", "--voi", files / "labels.nii.gz",
                       "-o", tmp_path / "t.csv", "--plot", tmp_path / "t.png")  # fmt: skip
    assert code == 0 and (tmp_path / "t.png").exists()
    header = (tmp_path / "t.csv").read_text().splitlines()[1].split(",")
    assert header[:4] == ["frame_start_s", "frame_duration_s", "frame_mid_s", "body"]
    code, _, err = run(capsys, "tac", files / "pet.nii.gz", "--voi", files / "labels.nii.gz",
                       "-o", tmp_path / "t.csv")  # fmt: skip
    assert code == 2 and "--force" in err


def test_lesion_response_chain(files, capsys, tmp_path):
    seed = ",".join(str(v) for v in ORGANS["tumour"][0])
    code, out, _ = run(capsys, "lesion", files / "pet.nii.gz", "--seed", seed, "--json")
    metrics = json.loads(out)
    assert code == 0
    assert set(metrics) >= {"suv_max", "suv_peak", "suv_mean", "mtv_ml", "tlg"}
    (tmp_path / "base.json").write_text(out)
    follow = {**metrics, "suv_peak": metrics["suv_peak"] * 0.5}
    (tmp_path / "follow.json").write_text(json.dumps(follow))
    code, out, _ = run(capsys, "response", tmp_path / "base.json", tmp_path / "follow.json",
                       "--criteria", "percist", "--json")  # fmt: skip
    assert code == 0 and json.loads(out)["category"] == "PMR"


def test_biodist_gamma_counter_table(capsys, tmp_path):
    table = tmp_path / "counts.csv"
    table.write_text(
        "animal,group,timepoint,organ,weight_g,counts,measured_at,standard_fraction\n"
        "s,A,1h,standard,0,10000,2026-01-01T12:00:00,0.01\n"
        "m1,A,1h,tumour,0.2,3000,2026-01-01T12:00:00,\n"
        "m2,A,1h,tumour,0.25,3000,2026-01-01T12:00:00,\n"
    )
    code, out, _ = run(capsys, "biodist", table, "--nuclide", "F-18", "--by", "group,organ",
                       "--json", "--plot", tmp_path / "bars.png")  # fmt: skip
    (row,) = json.loads(out)
    assert code == 0 and row["n"] == 2 and row["mean"] == pytest.approx((1.5 + 1.2) / 2)
    code, _, err = run(capsys, "biodist", table)
    assert code == 2 and "--nuclide" in err


@pytest.mark.parametrize(("argv", "words"), [
    (["stats", "X", "--voi", "sphere:1,2"], ["no such file"]),
    (["lesion", "X", "--seed", "1,2"], ["no such file"]),
])  # fmt: skip
def test_bad_input_exits_2(capsys, argv, words):
    code, _, err = run(capsys, *argv)
    assert code == 2 and all(w in err for w in words) and "Traceback" not in err


def test_bad_voi_spec(files, capsys):
    code, _, err = run(capsys, "stats", files / "late.nii.gz", "--voi", "sphere:1,2")
    assert code == 2 and "needs 4 numbers" in err


def test_stats_prints_frame_times_min_and_explains_a_peak_above_max(tmp_path, capsys):
    from positrix.cli.quant import format_stats
    from positrix.quant.stats import RegionStats

    row = RegionStats("tumour", 1, 5.0, 1.0, 5.0, 2.0, 8.0, 9.5, 0.1, 10, None, "SUVbw",
                      frame_start_s=60.0, frame_duration_s=60.0, peak_ml=0.02)  # fmt: skip
    text = format_stats([row])
    assert "60–120" in text and " min " in text.splitlines()[0]
    assert "9.5*" in text and "peak sphere reaches beyond the VOI" in text
    assert row.to_dict()["note"] and row.to_dict()["frame_start_s"] == 60.0


def test_lesion_sul_takes_height_and_sex_on_the_command_line(tmp_path, capsys):
    from positrix.cli.main import main

    pet = tmp_path / "pet.nii.gz"
    save(make_pet(), pet)
    code = main(["lesion", str(pet), "--seed", "7,-6,24", "--unit", "SUL", "--json"])
    assert code == 2 and "--height" in capsys.readouterr().err
    code = main(["lesion", str(pet), "--seed", "7,-6,24", "--unit", "SUL", "--height", "9.5cm",
                 "--json"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0 and json.loads(out)["unit"] == "SUL"  # make_pet's subject is female


def test_plots_carry_readable_units_title_n_and_animals(tmp_path, capsys):
    from pathlib import Path

    from positrix.quant.tac import TACs, plot_tacs
    from tests.conftest import T0

    examples = Path(__file__).resolve().parents[2] / "docs" / "examples"
    svg = tmp_path / "b.svg"
    code = main(["biodist", str(examples / "biodist.csv"), "--nuclide", "F-18", "--plot",
                 str(svg)])  # fmt: skip
    text = svg.read_text()
    assert code == 0 and text.count("n=3") == 6  # 3 organs × 2 groups, 3 animals each
    from positrix.image.frames import FrameTable

    frames = FrameTable.from_spec("3x60s", acquisition_start=T0)
    tacs = TACs(frames, ("a",), np.array([[2.0e7], [3.0e7], [2.5e7]]), "Bq/mL")
    plot_tacs(tacs, tmp_path / "t.svg", title="mouse 7, FDG")
    text = (tmp_path / "t.svg").read_text()
    assert "MBq/mL" in text and "mouse 7, FDG" in text and "1e7" not in text


def test_snapshot_draws_slices_mip_and_a_colour_bar_in_the_unit(tmp_path, capsys):
    pet = make_pet(shape=(12, 10, 8))
    save(pet, tmp_path / "pet.nii.gz")
    ct = pet.replace(data=np.zeros(pet.spatial_shape), unit="HU", modality="CT", frames=None,
                     decay_reference=None)  # fmt: skip
    save(ct, tmp_path / "ct.nii.gz")
    svg = tmp_path / "s.svg"
    code = main(["snapshot", str(tmp_path / "pet.nii.gz"), "--ct", str(tmp_path / "ct.nii.gz"),
                 "--mip", "-o", str(svg)])  # fmt: skip
    text = svg.read_text()
    assert code == 0 and "coronal MIP" in text and "axial" in text and "sagittal" in text
    assert "kBq/mL" in text  # values up to 5000 Bq/mL are shown in kBq/mL
    assert main(["snapshot", str(tmp_path / "pet.nii.gz"), "-o", str(svg)]) == 2  # exists


def test_hottest_point_is_the_maximum():
    from positrix.reports.snapshot import hottest_point_mm

    pet = make_pet(shape=(12, 10, 8))
    data = np.zeros(pet.spatial_shape)
    data[3, 4, 5] = 100.0
    image = pet.replace(data=data, frames=None, decay_reference=None)
    expected = image.affine[:3, :3] @ [3, 4, 5] + image.affine[:3, 3]
    assert np.allclose(hottest_point_mm(image), expected)  # exact voxel centre (mm)


def test_snapshot_orientation_does_not_depend_on_the_file_axes():
    from positrix.reports.snapshot import _ascending

    pet = make_pet(shape=(6, 5, 4))
    image = pet.replace(frames=None, decay_reference=None, data=pet.data[..., 0])
    flipped = _ascending(image)  # make_pet has negative x and y steps
    assert np.all(np.diag(flipped.affine)[:3] > 0)
    # the same world point holds the same value in both
    ijk = np.array([1, 2, 3])
    world = image.affine[:3, :3] @ ijk + image.affine[:3, 3]
    back = np.linalg.solve(flipped.affine[:3, :3], world - flipped.affine[:3, 3])
    assert np.allclose(back, np.round(back))
    assert flipped.data[tuple(np.round(back).astype(int))] == image.data[tuple(ijk)]
