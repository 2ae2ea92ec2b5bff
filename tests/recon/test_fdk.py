"""FDK: a projected sphere phantom comes back with its attenuation values."""

from __future__ import annotations

import numpy as np
import pytest

from positrix.errors import PositrixError
from positrix.geometry.cone_beam import ConeBeamGeometry
from positrix.recon.cone_beam import ConeBeamProjector
from positrix.recon.fdk import fdk

GEOMETRY = ConeBeamGeometry(100.0, 150.0, 48, 48, 0.6, angles_deg=tuple(np.arange(120) * 3.0))
SHAPE, VOXEL = (48, 48, 32), 0.45


@pytest.mark.parametrize("window", ["ramp", "shepp-logan", "hann"])
def test_sphere_phantom_is_recovered(window):
    axes = [(np.arange(n) - (n - 1) / 2) * VOXEL for n in SHAPE]
    x, y, z = np.meshgrid(*axes, indexing="ij")
    mu = 0.02 * (x**2 + y**2 + z**2 <= 6.0**2) + 0.01 * ((x - 2) ** 2 + y**2 + z**2 <= 2.0**2)
    projections = ConeBeamProjector(GEOMETRY, shape=SHAPE, voxel_size_mm=VOXEL).apply(mu)
    image = fdk(projections, GEOMETRY, window=window, shape=SHAPE, voxel_size_mm=VOXEL)
    inner = x**2 + y**2 + z**2 <= 4.5**2
    error = np.sqrt(np.mean((image[inner] - mu[inner]) ** 2)) / mu[inner].mean()
    # noise-free, 120 views, voxelised edges: relative RMSE inside ≤ 5 % (issue #17's figure)
    assert error <= 0.05
    assert image[inner].mean() == pytest.approx(mu[inner].mean(), rel=0.03)
    outside = x**2 + y**2 + z**2 >= 8.0**2
    assert np.abs(image[outside & (x**2 + y**2 <= 9.0**2)]).mean() < 0.002


def test_wrong_stack_is_named():
    with pytest.raises(PositrixError, match="angles × rows × columns"):
        fdk(np.zeros((10, 48, 48)), GEOMETRY)
    with pytest.raises(PositrixError, match="unknown filter"):
        fdk(np.zeros((120, 48, 48)), GEOMETRY, window="cosine")
