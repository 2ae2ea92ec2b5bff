import numpy as np
import pytest

from positrix.errors import PositrixError
from positrix.image import Grid, affine_from_spacing
from positrix.quant.voi import VOI, box, cylinder, ellipsoid, sphere

GRID = Grid((60, 60, 60), affine_from_spacing([0.5] * 3, origin_mm=[-14.75] * 3))


@pytest.mark.parametrize(("radius", "tolerance"), [(2.0, 3e-3), (3.0, 3e-3), (5.0, 3e-3),
                                                   (1.0, 1.5e-2)])  # fmt: skip
def test_sphere_volume_is_exact_to_the_stated_partial_voxel_accuracy(radius, tolerance):
    # stated: radius ≥ 4 voxels → < 0.3 %; 2 voxels → < 1.5 %
    voi = sphere(GRID, (0.13, -0.21, 0.37), radius)
    exact = 4 / 3 * np.pi * radius**3 / 1000
    assert voi.volume_ml == pytest.approx(exact, rel=tolerance)


def test_other_shapes_volumes():
    assert cylinder(GRID, (0, 0, 0), 3.0, 10.0).volume_ml == pytest.approx(
        np.pi * 9 * 10 / 1000, rel=3e-3
    )
    assert box(GRID, (0.1, 0, 0), (3, 4, 5.2)).volume_ml == pytest.approx(
        3 * 4 * 5.2 / 1000, rel=1e-9
    )
    assert ellipsoid(GRID, (0, 0, 0), (2, 3, 4)).volume_ml == pytest.approx(
        4 / 3 * np.pi * 24 / 1000, rel=3e-3
    )


def test_rotated_box_and_tilted_cylinder_keep_their_volume():
    angle = np.deg2rad(30)
    rot = np.array(
        [[np.cos(angle), -np.sin(angle), 0], [np.sin(angle), np.cos(angle), 0], [0, 0, 1]]
    )
    assert box(GRID, (0, 0, 0), (4, 6, 3), axes=rot).volume_ml == pytest.approx(0.072, rel=3e-3)
    tilted = cylinder(GRID, (0, 0, 0), 2.0, 8.0, axis=(1, 1, 1))
    assert tilted.volume_ml == pytest.approx(np.pi * 4 * 8 / 1000, rel=1e-2)  # oblique faces


def test_shape_outside_the_grid_is_empty_and_mask_round_trip():
    assert sphere(GRID, (100, 0, 0), 2.0).n_voxels == 0
    voi = sphere(GRID, (0, 0, 0), 2.0)
    again = VOI.from_mask("again", GRID, voi.mask())
    np.testing.assert_array_equal(again.index, voi.index)
    np.testing.assert_allclose(again.weight, voi.weight)


def test_bad_shapes():
    with pytest.raises(PositrixError):
        sphere(GRID, (0, 0, 0), -1.0)
    with pytest.raises(PositrixError):
        VOI.from_mask("m", GRID, np.ones((2, 2, 2)))
