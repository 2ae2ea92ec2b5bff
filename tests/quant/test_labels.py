import numpy as np
import pytest

from positrix.errors import FileFormatError, PositrixError
from positrix.image import Grid, Image, affine_from_spacing, frame
from positrix.io.dicom import write_dicom
from positrix.quant.labels import LabelImage, load_labels, save_labels, transfer_voi
from positrix.quant.seg import read_seg, write_seg
from positrix.quant.threshold import grow_region, threshold_voi
from positrix.quant.voi import sphere
from positrix.simulation.demo_mouse import demo_mouse_study

FINE = Grid((80, 80, 80), affine_from_spacing([0.25] * 3, origin_mm=[-9.875] * 3))
COARSE = Grid((25, 25, 25), affine_from_spacing([0.8] * 3, origin_mm=[-9.6] * 3))


def test_transfer_keeps_volume_and_centre():
    drawn = sphere(FINE, (1.0, -0.5, 0.7), 4.0)
    moved = transfer_voi(drawn, COARSE)
    assert moved.volume_ml == pytest.approx(drawn.volume_ml, rel=0.01)

    def centroid(v):
        return (
            v.grid.index_to_world(np.array(np.unravel_index(v.index, v.grid.shape)).T)
            * v.weight[:, None]
        ).sum(0) / v.weight.sum()

    np.testing.assert_allclose(centroid(moved), centroid(drawn), atol=0.05)


def test_label_image_round_trip_with_table(tmp_path):
    labels = np.zeros(COARSE.shape, np.int32)
    labels[2:5, 2:5, 2:5], labels[10:12, 10:15, 3] = 3, 7
    image = LabelImage(labels, COARSE, {3: "tumour", 7: "muscle"})
    save_labels(image, tmp_path / "seg.nii.gz")
    back = load_labels(tmp_path / "seg.nii.gz")
    assert back.names == {3: "tumour", 7: "muscle"}
    np.testing.assert_array_equal(back.labels, labels)
    vois = back.vois()
    assert [v.name for v in vois] == ["tumour", "muscle"] and vois[0].n_voxels == 27
    with pytest.raises(PositrixError, match="liver"):
        back.vois(only=["liver"])


def test_intensity_image_is_not_a_label_image(tmp_path):
    from positrix.io import save

    save(
        Image(np.random.default_rng(0).random(COARSE.shape), COARSE.affine, unit="Bq/mL"),
        tmp_path / "x.nii",
    )
    with pytest.raises(FileFormatError, match="whole numbers"):
        load_labels(tmp_path / "x.nii")


def test_dicom_seg_round_trip(tmp_path):
    study = demo_mouse_study(frames="1x60s", pet_voxel_mm=1.0, ct_voxel_mm=2.0)
    pet = frame(study.pet, 0)
    write_dicom(pet, tmp_path / "pet")
    names = {n + 1: name for n, name in enumerate(study.label_names)}
    labels = LabelImage(study.labels, pet.grid, names)
    write_seg(labels, tmp_path / "pet", tmp_path / "seg.dcm")
    back = read_seg(tmp_path / "seg.dcm", grid=pet.grid)
    assert back.names == names
    np.testing.assert_array_equal(back.labels, labels.labels)
    assert load_labels(tmp_path / "seg.dcm").names == names  # sniffed as SEG


def test_thresholds_and_region_growing():
    data = np.zeros(COARSE.shape)
    hot = sphere(COARSE, (3.0, 0, 0), 2.5).mask() >= 0.5
    far = sphere(COARSE, (-5.0, 0, 0), 2.0).mask() >= 0.5
    data[hot], data[far] = 100.0, 80.0
    image = Image(data, COARSE.affine, unit="Bq/mL")
    grown = threshold_voi(image, fraction_of_max=0.5, seed_mm=(3.5, 0, 0))
    assert grown.n_voxels == hot.sum()  # the connected hot sphere only
    everywhere = threshold_voi(image, fraction_of_max=0.5)
    assert everywhere.n_voxels == hot.sum() + far.sum()
    assert threshold_voi(image, absolute=90.0).n_voxels == hot.sum()
    with pytest.raises(PositrixError, match="below the threshold"):
        grow_region(image, (0, 8, 8), 50.0)
    with pytest.raises(PositrixError, match="outside"):
        grow_region(image, (100, 0, 0), 50.0)
