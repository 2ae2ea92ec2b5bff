"""Sinogram projector: adjointness, equality with the list-mode projector, chord lengths."""

import numpy as np
import pytest

from positrix.errors import PositrixError
from positrix.geometry import get_scanner
from positrix.geometry.sinogram import SinogramLayout
from positrix.recon.projectors import LORProjector
from positrix.recon.sinogram_projector import SinogramProjector
from tests.scanners import mini_scanner

MINI = mini_scanner(16)
SHAPE, VOXEL = (40, 40, 31), (1.6, 1.6, 1.59)


def _bin_lors(layout):
    xy, z = layout.bin_xy_mm, layout.plane_z_mm
    start = np.zeros((*layout.shape, 3))
    end = np.zeros_like(start)
    start[..., :2] = xy[None, ..., :2]
    end[..., :2] = xy[None, ..., 2:]
    start[..., 2] = z[:, 0, None, None]
    end[..., 2] = z[:, 1, None, None]
    return start.reshape(-1, 3), end.reshape(-1, 3)


def test_adjoint_to_float_precision():
    projector = SinogramProjector(SinogramLayout(MINI, span=3), SHAPE, VOXEL)
    assert projector.adjointness_error() < 1e-5
    # the nanoScan layout (234 views × 188 radial bins), a few views, oblique segments
    nano = SinogramLayout(get_scanner("nanoscan"), span=3, max_ring_difference=10)
    projector = SinogramProjector(nano, (64, 64, 24), (1.2, 1.2, 1.17), views=[0, 77, 150])
    assert projector.adjointness_error() < 1e-5


def test_same_numbers_as_the_list_mode_projector_on_the_bin_lors():
    layout = SinogramLayout(MINI, span=1)
    projector = SinogramProjector(layout, SHAPE, VOXEL)
    start, end = _bin_lors(layout)
    lors = LORProjector(SHAPE, VOXEL, start, end)
    x = np.random.default_rng(0).random(SHAPE).astype(np.float32)
    np.testing.assert_allclose(projector.apply(x).ravel(), lors.apply(x), rtol=1e-5, atol=1e-4)
    y = projector.apply(x)
    back = lors.adjoint(y.ravel())
    np.testing.assert_allclose(projector.adjoint(y), back, rtol=1e-4, atol=1e-3 * back.max())


def test_view_subsets_are_slices_of_the_full_projection():
    layout = SinogramLayout(MINI)
    x = np.random.default_rng(1).random(SHAPE).astype(np.float32)
    full = SinogramProjector(layout, SHAPE, VOXEL).apply(x)
    part = SinogramProjector(layout, SHAPE, VOXEL, views=[3, 40, 79]).apply(x)
    np.testing.assert_array_equal(part, full[:, [3, 40, 79]])


@pytest.mark.parametrize(("name", "planes"), [("inveon", (76, 80)), ("nanoscan", (78, 82))])
def test_chords_of_a_uniform_cylinder_in_the_sinogram(name, planes):
    # cylinder radius 20 mm along z filling the image; image 0.4 mm transaxially
    scanner = get_scanner(name)
    layout = SinogramLayout(scanner, span=3, max_ring_difference=5)
    shape, voxel = (120, 120, 20), (0.4, 0.4, scanner.axial_pitch_mm)
    x, y = np.meshgrid(*[(np.arange(n) - (n - 1) / 2) * 0.4 for n in shape[:2]], indexing="ij")
    sub = (np.arange(4) + 0.5) / 4 - 0.5
    disc = np.mean([((x + a * 0.4) ** 2 + (y + b * 0.4) ** 2 <= 400) for a in sub for b in sub], 0)
    image = np.repeat(disc[:, :, None], shape[2], axis=2).astype(np.float32)
    views = np.arange(0, layout.n_views, 10)
    projector = SinogramProjector(layout, shape, voxel, views=views)
    values = projector.apply(image)
    # central planes of segment 0 (inside the image axially): chord 2√(R² − s²) × 1/cos θ
    xy = layout.bin_xy_mm[views]
    p, q = xy[..., :2], xy[..., 2:]
    d = q - p
    s = np.abs(p[..., 0] * d[..., 1] - p[..., 1] * d[..., 0]) / np.linalg.norm(d, axis=-1)
    rays = s < 0.8 * 20
    chord = 2 * np.sqrt(np.clip(400 - s**2, 0, None))
    for plane in planes:  # direct planes (θ = 0) inside the image
        za, zb = layout.plane_z_mm[plane]
        assert za == zb and abs(za) < 8
        # within 1 % for rays up to 0.8 R (the exactness bound)
        np.testing.assert_allclose(values[plane][rays], chord[rays], rtol=0.01)


def test_bad_views_and_shapes_are_refused():
    layout = SinogramLayout(MINI)
    with pytest.raises(PositrixError, match="views"):
        SinogramProjector(layout, SHAPE, VOXEL, views=[80])
    with pytest.raises(PositrixError, match="shape"):
        SinogramProjector(layout, (10, 10), VOXEL)
