import numpy as np
import pytest

from positrix.image import Grid, Image, affine_from_spacing, resample_to


def _blob(shape=(20, 20, 20), voxel=1.0):
    affine = affine_from_spacing([voxel] * 3, origin_mm=[-(n - 1) * voxel / 2 for n in shape])
    grid = Grid(shape, affine)
    world = grid.index_to_world(np.stack(np.indices(shape), axis=-1))
    data = np.exp(-np.sum(world**2, axis=-1) / (2 * 3.0**2))  # Gaussian, σ = 3 mm
    return Image(data, affine, unit="Bq/mL"), grid


def test_identity_resampling_is_exact():
    img, grid = _blob()
    out = resample_to(img, grid)
    np.testing.assert_allclose(out.data, img.data, atol=1e-6)


def test_integer_shift_moves_values_exactly():
    img, grid = _blob()
    shifted = np.array(grid.affine)
    shifted[:3, 3] += [2.0, 0.0, -1.0]  # the target grid starts 2 voxels further in x
    out = resample_to(img, Grid(grid.shape, shifted))
    np.testing.assert_allclose(out.data[:-2, :, 1:], img.data[2:, :, :-1], atol=1e-6)
    assert np.all(out.data[-2:] == 0.0)  # outside the input field of view -> fill value


def test_resampling_keeps_world_positions_and_integral():
    img, _ = _blob(voxel=1.0)
    fine_affine = affine_from_spacing([0.5] * 3, origin_mm=[-9.75] * 3)
    fine = resample_to(img, Grid((40, 40, 40), fine_affine), order=3)
    # the Gaussian's integral (activity) is conserved: Σ v·V within 0.5 %
    total = img.data.sum() * img.voxel_volume_ml
    assert fine.data.sum() * fine.voxel_volume_ml == pytest.approx(total, rel=5e-3)
    peak = np.unravel_index(np.argmax(fine.data), fine.spatial_shape)
    assert np.all(np.abs(fine.grid.index_to_world(peak)) <= 0.25 + 1e-9)  # a voxel next to 0


def test_dynamic_images_resample_every_frame(pet):
    out = resample_to(pet, pet.grid)
    assert out.data.shape == pet.data.shape and out.frames == pet.frames
    np.testing.assert_allclose(out.data, pet.data, rtol=1e-6)
