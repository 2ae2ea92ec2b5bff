"""Atlases and spatial normalisation: labels land on the right voxels, failures say so."""

from __future__ import annotations

import time

import numpy as np
import pytest

from positrix.errors import PositrixError
from positrix.image.image import Image
from positrix.quant.atlas import builtin_atlas, get_atlas, load_atlas, save_atlas
from positrix.quant.normalise import locate_brain, normalise, to_template, warp_labels
from positrix.simulation.digital_brain import FDG_BRAIN_UPTAKE, digital_brain, simulate_brain_image
from positrix.simulation.shapes import Pose

POSE = Pose.from_angles(about_z_deg=6.0, tilt_x_deg=-4.0, translation_mm=(2.0, -3.0, 4.0))


@pytest.fixture(scope="module")
def atlas():
    return builtin_atlas("digital-mouse-brain")


@pytest.fixture(scope="module")
def subject():
    return simulate_brain_image(
        FDG_BRAIN_UPTAKE,
        pose=POSE,
        shape=(44, 40, 56),
        voxel_mm=0.5,
        fwhm_mm=1.4,
        noise_sd=0.05,
        seed=2,
    )


def _truth_labels(shape, affine):
    return digital_brain("mouse", pose=POSE).voxelise(shape, affine)


def test_builtin_atlases_hold_the_regions_at_their_volumes(atlas):
    names = set(atlas.labels.names.values())
    assert {"striatum_left", "striatum_right", "cortex", "cerebellum", "hippocampus_left"} <= names
    voxel_mm3 = atlas.template.voxel_volume_ml * 1000.0
    striatum = np.count_nonzero(atlas.labels.labels == atlas.index("striatum_left")) * voxel_mm3
    assert striatum == pytest.approx(8.3, rel=0.05)  # the analytic ellipsoid, 4/3 π abc
    assert atlas.mask.sum() * atlas.template.voxel_volume_ml == pytest.approx(0.43, abs=0.03)
    rat = builtin_atlas("digital-rat-brain")
    assert rat.mask.sum() * rat.template.voxel_volume_ml == pytest.approx(0.43 * 1.65**3, rel=0.08)


def test_atlas_folder_round_trip_and_errors(atlas, tmp_path):
    save_atlas(atlas, tmp_path / "a")
    for name in ("template.nii.gz", "labels.nii.gz", "labels.tsv", "mask.nii.gz", "atlas.toml"):
        assert (tmp_path / "a" / name).exists()
    header = (tmp_path / "a" / "labels.tsv").read_text().splitlines()[0]
    assert header == "index\tname"
    back = get_atlas(tmp_path / "a")
    assert back.species == "mouse"
    assert np.array_equal(back.labels.labels, atlas.labels.labels)
    assert back.labels.names == atlas.labels.names
    (tmp_path / "a" / "labels.tsv").unlink()
    with pytest.raises(PositrixError, match=r"labels\.tsv"):
        load_atlas(tmp_path / "a")
    with pytest.raises(PositrixError, match=r"no built-in atlas|no atlas folder"):
        get_atlas("digital-cat-brain")


def test_normalisation_puts_the_labels_on_the_subject(atlas, subject):
    start = time.perf_counter()
    result = normalise(subject, atlas)
    elapsed = time.perf_counter() - start
    assert elapsed <= 30.0  # issue 18: one mouse PET ≤ 30 s
    truth = _truth_labels(subject.spatial_shape, subject.affine)
    assert np.allclose(result.location.centre_mm, POSE.translation_mm, atol=1.0)
    for voi in warp_labels(result, subject):
        if voi.name not in ("striatum_left", "striatum_right", "cortex", "cerebellum"):
            continue
        mine = np.zeros(truth.labels.size, dtype=bool)
        mine[voi.index] = True
        theirs = (truth.labels == truth.label_names.index(voi.name) + 1).ravel()
        dice = 2.0 * np.count_nonzero(mine & theirs) / (mine.sum() + theirs.sum())
        assert dice >= 0.8, (voi.name, dice)  # 0.5 mm voxels: boundary voxels limit Dice


def test_fraction_labels_sum_to_whole_voxels(atlas, subject):
    result = normalise(subject, atlas)
    vois = warp_labels(result, subject, fractions=True)
    total = np.zeros(int(np.prod(subject.spatial_shape)))
    for voi in vois:
        total[voi.index] += voi.weight
    assert total.max() == pytest.approx(1.0, abs=0.02)  # partitions of unity inside
    striatum = next(v for v in vois if v.name == "striatum_left")
    assert striatum.weight.sum() * subject.voxel_volume_ml * 1000 == pytest.approx(8.3, rel=0.1)


def test_template_space_image_matches_the_template(atlas, subject):
    result = normalise(subject, atlas)
    moved = np.asarray(to_template(result, subject).data)
    template = np.asarray(atlas.template.data)
    inside = atlas.mask
    # the subject is noisier and blurrier (1.4 vs 1.0 mm) than the template: r ≥ 0.85
    assert np.corrcoef(moved[inside], template[inside])[0, 1] >= 0.85


def test_a_rat_subject_with_the_mouse_atlas_is_refused(atlas):
    rat = simulate_brain_image(
        FDG_BRAIN_UPTAKE, species="rat", shape=(64, 56, 80), voxel_mm=0.6, fwhm_mm=1.8
    )
    with pytest.raises(PositrixError, match="another species"):
        normalise(rat, atlas)


def test_no_brain_is_refused(atlas):
    noise = np.random.default_rng(0).random((40, 40, 40)).astype(np.float32)
    with pytest.raises(PositrixError, match="no brain found"):
        locate_brain(Image(noise, np.diag([0.5, 0.5, 0.5, 1.0]), unit="Bq/mL"), atlas)


def test_bspline_normalisation_runs_and_inverts(atlas):
    """B-spline stages are for MR/CT-driven normalisation; on PET alone they fit noise
    (docs/neuro.md), but labels must still land and template space must still invert."""
    subject = simulate_brain_image(
        FDG_BRAIN_UPTAKE,
        pose=POSE,
        shape=(28, 26, 36),
        voxel_mm=0.8,
        fwhm_mm=1.6,
        noise_sd=0.05,
        seed=2,
    )
    result = normalise(subject, atlas, kind="bspline")
    truth = _truth_labels(subject.spatial_shape, subject.affine)
    striatum = next(v for v in warp_labels(result, subject) if v.name == "striatum_left")
    mine = np.zeros(truth.labels.size, dtype=bool)
    mine[striatum.index] = True
    theirs = (truth.labels == truth.label_names.index("striatum_left") + 1).ravel()
    assert 2.0 * np.count_nonzero(mine & theirs) / (mine.sum() + theirs.sum()) >= 0.7
    moved = np.asarray(to_template(result, subject).data)
    assert np.corrcoef(moved[atlas.mask], np.asarray(atlas.template.data)[atlas.mask])[0, 1] >= 0.8
