import numpy as np
import pytest

from positrix.image import frame
from positrix.quant.lesion import lesion_metrics
from positrix.quant.tac import extract_tacs, plot_tacs, write_tacs
from positrix.quant.voi import sphere
from positrix.simulation.demo_mouse import ORGANS, demo_mouse_study, organ_fractions


@pytest.fixture(scope="module")
def study():
    return demo_mouse_study(pet_voxel_mm=0.8)


def test_tac_of_an_organ_follows_its_truth(study):
    pet = study.pet
    centre = ORGANS["tumour"][0]
    tacs = extract_tacs(pet, [sphere(pet.grid, centre, 2.0, name="tumour")])
    # truth: decay-corrected concentration = A0 · mean fraction over the frame / volume
    volume = np.count_nonzero(study.labels == 8) * pet.voxel_volume_ml
    truth = []
    for start, duration in zip(pet.frames.start_s, pet.frames.duration_s, strict=True):
        t = start + (np.arange(int(duration)) + 0.5)
        decay = np.exp(-np.log(2) / 6586.2 * t)
        mean_activity = np.mean(organ_fractions(t / 60)["tumour"] * decay)
        truth.append(pet.injection.net_activity_bq * mean_activity / volume)
    corrections = pet.frames.decay_correction_factors("F-18")
    np.testing.assert_allclose(tacs.curve("tumour"), np.array(truth) * corrections, rtol=1e-4)


def test_tac_table_and_plot(study, tmp_path):
    pet = study.pet
    vois = [sphere(pet.grid, ORGANS[n][0], 2.0, name=n) for n in ("tumour", "brain")]
    tacs = extract_tacs(pet, vois, peak_ml=None)
    path = write_tacs(tacs, tmp_path / "tacs.tsv", statistics=True)
    lines = path.read_text().splitlines()
    assert lines[0] == "# unit: Bq/mL"
    header = lines[1].split("\t")
    assert header[:5] == ["frame_start_s", "frame_duration_s", "frame_mid_s", "tumour", "brain"]
    assert "tumour_sd" in header and len(lines) == 2 + pet.n_frames
    assert plot_tacs(tacs, tmp_path / "tacs.png").stat().st_size > 5000


def test_lesion_metrics_of_the_demo_tumour(study):
    late = frame(study.pet, -1)
    metrics = lesion_metrics(late, ORGANS["tumour"][0], peak_ml=0.02)
    tumour = study.labels == 8
    volume = np.count_nonzero(tumour) * late.voxel_volume_ml
    assert metrics.mtv_ml == pytest.approx(volume, rel=1e-9)  # uniform sphere: all of it
    # SUV of the uniform tumour: C · W / A(t_ref) with C = late.data in the tumour
    suv = float(late.data[tumour][0]) * 25.0 / late.injection.net_activity_bq
    assert metrics.suv_max == pytest.approx(suv, rel=1e-5)
    assert metrics.suv_mean == pytest.approx(suv, rel=1e-5)
    assert metrics.tlg == pytest.approx(volume * suv, rel=1e-5)
    assert metrics.suv_peak <= metrics.suv_max * (1 + 1e-9)
