import numpy as np
import pytest

from positrix.errors import PositrixError
from positrix.image import FrameTable, Image


def test_image_is_read_only_and_never_aliases_writes(pet):
    with pytest.raises(ValueError):
        pet.data[0, 0, 0, 0] = 1.0
    source = np.ones((2, 2, 2))
    Image(source, np.eye(4), unit="Bq/mL")
    source[0, 0, 0] = 5.0  # the caller's array stays theirs and writable
    assert source.flags.writeable


def test_validation_messages():
    with pytest.raises(PositrixError, match="FrameTable"):
        Image(np.zeros((2, 2, 2, 3)), np.eye(4), unit="Bq/mL")
    with pytest.raises(PositrixError, match="3 frames"):
        Image(
            np.zeros((2, 2, 2, 2)),
            np.eye(4),
            unit="Bq/mL",
            frames=FrameTable.from_durations([1, 1, 1]),
        )
    with pytest.raises(PositrixError, match="affine"):
        Image(np.zeros((2, 2, 2)), np.zeros((4, 4)), unit="Bq/mL")
    with pytest.raises(PositrixError, match="unit"):
        Image(np.zeros((2, 2, 2)), np.eye(4), unit="")
    with pytest.raises(PositrixError, match="modality"):
        Image(np.zeros((2, 2, 2)), np.eye(4), unit="HU", modality="XX")


def test_geometry(pet):
    assert pet.voxel_size_mm == pytest.approx((0.8, 0.9, 1.2))
    assert pet.voxel_volume_ml == pytest.approx(0.8 * 0.9 * 1.2 / 1000)
    grid = pet.grid
    corner = grid.index_to_world([8, 6, 4])
    np.testing.assert_allclose(grid.world_to_index(corner), [8, 6, 4], atol=1e-12)


def test_replace_keeps_everything_else(pet):
    other = pet.replace(unit="kBq/mL", data=pet.data / 1000)
    assert other.frames == pet.frames and other.decay_reference == pet.decay_reference
    assert other.injection == pet.injection and other.subject == pet.subject
    np.testing.assert_array_equal(other.affine, pet.affine)
