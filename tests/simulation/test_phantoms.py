"""Phantoms: exact dimensions, partial-volume voxelisation, poses, totals."""

import numpy as np
import pytest

from positrix.errors import PositrixError
from positrix.recon.reconstruct import grid_affine
from positrix.simulation.phantoms import (
    DERENZO_RODS_MM,
    derenzo_phantom,
    derenzo_rod_centres,
    nema_iq_phantom,
    point_source,
    scale_to_total,
    uniform_cylinder,
)
from positrix.simulation.shapes import Cylinder, Ellipsoid, Pose
from positrix.simulation.voxelise import MATERIALS, Phantom, Region

GRID = (64, 64, 100)
VOXEL = (0.6, 0.6, 0.6)


@pytest.fixture(scope="module")
def nema():
    return nema_iq_phantom(1000.0).voxelise(GRID, grid_affine(GRID, VOXEL), supersample=3)


def test_nema_fill_volume_matches_the_drawing(nema):
    # uniform chamber − two cold inserts (outer Ø 10 mm) + five rods, NU 4-2008 dimensions
    volume = np.pi * 15**2 * 30 - 2 * np.pi * 5**2 * 15
    volume += sum(np.pi * (d / 2) ** 2 * 20 for d in (1, 2, 3, 4, 5))
    # 1000 Bq/mL everywhere it is filled: total activity / 1000 = volume in mL
    assert nema.total_activity_bq() / 1000.0 == pytest.approx(volume / 1000.0, rel=3e-3)


def test_nema_rod_areas_and_positions(nema):
    z = np.arange(GRID[2]) * VOXEL[2] - (GRID[2] - 1) / 2 * VOXEL[2]
    plane = int(np.argmin(np.abs(z + 15.0)))  # middle of the rod region
    activity = nema.activity_bq_ml[..., plane] / 1000.0
    x = (np.arange(GRID[0]) - (GRID[0] - 1) / 2) * VOXEL[0]
    xx, yy = np.meshgrid(x, x, indexing="ij")
    for n, diameter in enumerate((5, 4, 3, 2, 1)):
        angle = np.radians(72 * n)
        near = np.hypot(xx - 7 * np.cos(angle), yy - 7 * np.sin(angle)) < 3.2
        area = activity[near].sum() * VOXEL[0] * VOXEL[1]
        assert area == pytest.approx(np.pi * diameter**2 / 4, rel=0.03)  # partial volumes
        cx = (activity[near] * xx[near]).sum() / activity[near].sum()
        assert cx == pytest.approx(7 * np.cos(angle), abs=0.05)


def test_nema_materials(nema):
    water = nema.mask("cold_water")
    air = nema.mask("cold_air")
    from scipy import ndimage

    interior = ndimage.binary_erosion(water | air, iterations=1)
    assert np.all(nema.activity_bq_ml[interior] == 0)  # cold: no activity inside
    inner_air = air & (nema.hu < -999)
    assert inner_air.sum() > 0.8 * air.sum()
    assert np.median(nema.mu_per_mm[water]) == pytest.approx(MATERIALS["water"].mu_per_mm)
    assert np.median(nema.mu_per_mm[nema.mask("body")]) == pytest.approx(
        MATERIALS["pmma"].mu_per_mm
    )


def test_pose_moves_the_phantom():
    cylinder = Phantom("c", (Region("u", Cylinder(5.0, (-5.0, 5.0)), "water", 1.0),))
    pose = Pose.from_angles(tilt_x_deg=90.0, translation_mm=(3.0, -2.0, 4.0))
    shape = (60, 60, 60)
    images = cylinder.placed(pose).voxelise(shape, grid_affine(shape, (0.5,) * 3))
    grid = (np.arange(60) - 29.5) * 0.5
    w = images.activity_bq_ml
    centroid = [
        (w.sum(axis=tuple(a for a in range(3) if a != axis)) * grid).sum() / w.sum()
        for axis in range(3)
    ]
    assert centroid == pytest.approx([3.0, -2.0, 4.0], abs=0.02)
    # tilted by 90° about x: the axis now runs along y; extent 10 mm along y, Ø 10 along z
    assert images.total_activity_bq() == pytest.approx(np.pi * 25 * 10 / 1000, rel=5e-3)


def test_flip_swaps_ends():
    pose = Pose.from_angles(flip=True)
    point = pose.to_scanner(np.array([[0.0, 0.0, 10.0]]))
    assert point[0] == pytest.approx([0.0, 0.0, -10.0])
    assert pose.to_phantom(point)[0] == pytest.approx([0.0, 0.0, 10.0])


def test_later_regions_replace_earlier_ones_by_fraction():
    outer = Region("outer", Ellipsoid((0, 0, 0), (8, 8, 8)), "water", 2.0)
    inner = Region("inner", Ellipsoid((0, 0, 0), (4, 4, 4)), "air", 10.0)
    shape = (40, 40, 40)
    images = Phantom("p", (outer, inner)).voxelise(shape, grid_affine(shape, (0.5,) * 3))
    expected = (2.0 * (8**3 - 4**3) + 10.0 * 4**3) * 4 / 3 * np.pi / 1000
    assert images.total_activity_bq() == pytest.approx(expected, rel=5e-3)
    assert images.labels.max() == 2


def test_derenzo_rods_do_not_overlap_and_fill_sectors():
    for sector, d in enumerate(DERENZO_RODS_MM):
        centres = derenzo_rod_centres(d, sector)
        assert len(centres) >= 3
        gaps = np.hypot(*(centres[:, None] - centres[None]).transpose(2, 0, 1))
        gaps[np.diag_indices(len(centres))] = np.inf
        assert gaps.min() == pytest.approx(2 * d, rel=1e-6)  # pitch = 2 × diameter
        assert np.all(np.hypot(*centres.T) + d / 2 <= 15.0 + 1e-9)
    phantom = derenzo_phantom()
    names = {r.name for r in phantom.regions}
    assert names == {"body"} | {f"rods_{d:g}mm" for d in DERENZO_RODS_MM}


def test_cylinders_point_source_and_totals():
    rat = uniform_cylinder(size="rat").regions[0].shape
    assert rat.volume_ml() == pytest.approx(np.pi * 25**2 * 150 / 1000)
    shape = (20, 20, 20)
    images = point_source(1e6, position_mm=(0.2, 0.0, 0.0)).voxelise(
        shape, grid_affine(shape, (0.1,) * 3), supersample=5
    )
    # a sphere of radius 1.25 voxels sampled 5³ per voxel: a few % sampling error
    assert images.total_activity_bq() == pytest.approx(1e6, rel=0.06)
    scaled = scale_to_total(images, 3.7e6)
    assert scaled.total_activity_bq() == pytest.approx(3.7e6, rel=1e-6)
    assert images.total_activity_bq() == pytest.approx(1e6, rel=0.06)  # input unchanged


def test_bad_phantom_input():
    with pytest.raises(PositrixError, match="material"):
        Region("x", Ellipsoid((0, 0, 0), (1, 1, 1)), "unobtainium")
    with pytest.raises(PositrixError, match="semi-axes"):
        Ellipsoid((0, 0, 0), (1, 0, 1))
    with pytest.raises(PositrixError, match="size"):
        uniform_cylinder(size="elephant")
    with pytest.raises(PositrixError, match="axis-aligned"):
        nema_iq_phantom().voxelise((4, 4, 4), np.eye(4)[[1, 0, 2, 3]])
