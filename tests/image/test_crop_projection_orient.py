import numpy as np
import pytest

from positrix.errors import PositrixError
from positrix.image import crop, maximum_intensity_projection, reorient


def test_crop_keeps_world_positions(pet):
    small = crop(pet, start=(2, 1, 1), stop=(7, 6, 4))
    assert small.spatial_shape == (5, 5, 3)
    np.testing.assert_allclose(
        small.grid.index_to_world([0, 0, 0]), pet.grid.index_to_world([2, 1, 1])
    )
    np.testing.assert_array_equal(small.data, pet.data[2:7, 1:6, 1:4])
    with pytest.raises(PositrixError, match="crop"):
        crop(pet, start=(0, 0, 0), stop=(100, 1, 1))


def test_mip_is_the_maximum_per_frame(pet):
    mip = maximum_intensity_projection(pet, axis=1)
    assert mip.data.shape == (9, 1, 5, 3) and mip.frames == pet.frames
    np.testing.assert_array_equal(mip.data[:, 0], pet.data.max(axis=1))


def test_reorient_keeps_every_voxel_in_place(pet):
    out = reorient(pet, np.eye(3))
    assert np.all(np.diag(out.affine)[:3] > 0)
    # every voxel keeps its world position: compare values at the same world points
    for index in [(0, 0, 0), (8, 6, 4), (3, 2, 1)]:
        world = pet.grid.index_to_world(index)
        back = np.rint(out.grid.world_to_index(world)).astype(int)
        np.testing.assert_array_equal(out.data[tuple(back)], pet.data[index])


def test_reorient_permutes_axes():
    from positrix.image import Image

    affine = np.zeros((4, 4))
    affine[0, 1] = affine[1, 0] = affine[2, 2] = affine[3, 3] = 1.0  # i -> y, j -> x
    img = Image(np.arange(24.0).reshape(2, 3, 4), affine, unit="Bq/mL")
    out = reorient(img, np.eye(3))
    assert out.spatial_shape == (3, 2, 4)
    np.testing.assert_array_equal(out.data, np.transpose(img.data, (1, 0, 2)))


def test_oblique_reorientation_is_refused(pet):
    angle = np.deg2rad(10)
    rot = np.array(
        [[np.cos(angle), -np.sin(angle), 0], [np.sin(angle), np.cos(angle), 0], [0, 0, 1]]
    )
    with pytest.raises(PositrixError, match="oblique"):
        reorient(pet, rot)
