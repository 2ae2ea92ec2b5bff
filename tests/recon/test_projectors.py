"""Joseph projector: analytic chord lengths and adjointness; operator algebra."""

import numpy as np
import pytest

from positrix.errors import PositrixError
from positrix.geometry import get_scanner
from positrix.recon.operators import ElementwiseMultiply, GaussianBlur
from positrix.recon.projectors import LORProjector

SHAPE, VOXEL = (96, 96, 48), (0.25, 0.25, 0.25)  # 24 × 24 × 12 mm


def _centres():
    return np.meshgrid(
        *[(np.arange(n) - (n - 1) / 2) * v for n, v in zip(SHAPE, VOXEL, strict=True)],
        indexing="ij",
    )


def _supersampled(inside):
    """Voxel fractions of a shape (4 × 4 × 4 sub-samples)."""
    x, y, z = _centres()
    image = np.zeros(SHAPE, np.float32)
    offsets = (np.arange(4) + 0.5) / 4 - 0.5
    for ox in offsets:
        for oy in offsets:
            for oz in offsets:
                image += inside(x + ox * VOXEL[0], y + oy * VOXEL[1], z + oz * VOXEL[2])
    return image / 64


def _rays(n, radius, seed):
    rng = np.random.default_rng(seed)
    angle = rng.uniform(0, np.pi, n)
    offset = rng.uniform(-0.8 * radius, 0.8 * radius, n)
    along = np.stack([np.cos(angle), np.sin(angle)], 1)
    across = np.stack([-np.sin(angle), np.cos(angle)], 1)
    z1, z2 = rng.uniform(-4, 4, n), rng.uniform(-4, 4, n)
    start = np.column_stack([across * offset[:, None] - 40 * along, z1])
    end = np.column_stack([across * offset[:, None] + 40 * along, z2])
    return start, end, offset


def test_chords_through_a_uniform_cylinder():
    # cylinder of radius 10 mm along z through the whole image (40 voxels of radius)
    image = _supersampled(lambda x, y, z: (x**2 + y**2 <= 100.0).astype(np.float32))
    start, end, offset = _rays(500, 10.0, 1)
    projector = LORProjector(SHAPE, VOXEL, start, end)
    exact = 2 * np.sqrt(100 - offset**2) * np.linalg.norm(end - start, axis=1) / 80.0
    # within 1 % for rays up to 0.8 R from the axis (grazing rays see the voxel edge)
    np.testing.assert_allclose(projector.apply(image), exact, rtol=0.01)


def test_chords_through_a_sphere_and_rays_leaving_the_image():
    image = _supersampled(lambda x, y, z: (x**2 + y**2 + z**2 <= 25.0).astype(np.float32))
    rng = np.random.default_rng(2)
    n = 400
    direction = rng.normal(size=(n, 3))
    direction /= np.linalg.norm(direction, axis=1)[:, None]
    direction[:, 2] *= 0.4  # include steep rays that leave through the image's z faces
    direction /= np.linalg.norm(direction, axis=1)[:, None]
    perpendicular = np.cross(direction, rng.normal(size=(n, 3)))
    perpendicular /= np.linalg.norm(perpendicular, axis=1)[:, None]
    distance = rng.uniform(0, 0.8 * 5.0, n)
    centre = perpendicular * distance[:, None]
    projector = LORProjector(SHAPE, VOXEL, centre - 50 * direction, centre + 50 * direction)
    exact = 2 * np.sqrt(25.0 - distance**2)
    np.testing.assert_allclose(projector.apply(image), exact, rtol=0.01)


def test_adjointness_list_mode_on_a_scanner():
    scanner = get_scanner("inveon")
    rng = np.random.default_rng(0)
    n = 3000
    ring_1, ring_2 = rng.integers(0, 80, n), rng.integers(0, 80, n)
    crystal_1 = rng.integers(0, 320, n)
    crystal_2 = (crystal_1 + rng.integers(100, 220, n)) % 320
    start, end = scanner.lor_endpoints(ring_1, crystal_1, ring_2, crystal_2)
    projector = LORProjector((40, 40, 48), (1.6, 1.6, 2.6), start, end)
    assert projector.adjointness_error() < 1e-5


def test_operator_algebra_and_errors():
    blur = GaussianBlur((10, 10, 10), (1.0, 1.0, 1.0), 2.0)
    scale = ElementwiseMultiply(np.full((10, 10, 10), 2.0))
    assert (scale @ blur).adjointness_error() < 1e-6
    x = np.zeros((10, 10, 10), np.float32)
    x[5, 5, 5] = 1.0
    assert (scale @ blur).apply(x).sum() == pytest.approx(2.0, rel=1e-3)  # counts conserved
    with pytest.raises(PositrixError, match="shape"):
        blur.apply(np.zeros((3, 3, 3)))
    with pytest.raises(PositrixError, match="identical"):
        LORProjector((4, 4, 4), (1, 1, 1), np.zeros((1, 3)), np.zeros((1, 3)))
