"""OS-SART and CGLS: few-view sphere phantoms come back; SART beats FDK on 15 views."""

from __future__ import annotations

import numpy as np
import pytest

from positrix.errors import PositrixError
from positrix.geometry.cone_beam import ConeBeamGeometry
from positrix.recon.cone_beam import ConeBeamProjector
from positrix.recon.ct_iterative import cgls, sart
from positrix.recon.fdk import fdk

SHAPE, VOXEL = (40, 40, 24), 0.5
FEW = ConeBeamGeometry(100.0, 150.0, 40, 48, 0.6, angles_deg=tuple(np.arange(15) * 24.0))


def _phantom():
    axes = [(np.arange(n) - (n - 1) / 2) * VOXEL for n in SHAPE]
    x, y, z = np.meshgrid(*axes, indexing="ij")
    r2 = x**2 + y**2 + z**2
    mu = 0.02 * (r2 <= 6.0**2) + 0.01 * ((x - 2) ** 2 + y**2 + z**2 <= 2.0**2)
    # inside the large sphere, one voxel or more away from the small sphere's edge
    edge = np.abs(np.sqrt((x - 2) ** 2 + y**2 + z**2) - 2.0) <= 1.0
    return mu.astype(np.float32), (r2 <= 4.5**2) & ~edge


def _error(image, mu, inner):
    return np.sqrt(np.mean((image[inner] - mu[inner]) ** 2)) / mu[inner].mean()


def test_sart_and_cgls_beat_fdk_on_few_views():
    mu, inner = _phantom()
    data = ConeBeamProjector(FEW, shape=SHAPE, voxel_size_mm=VOXEL).apply(mu)
    analytic = _error(fdk(data, FEW, shape=SHAPE, voxel_size_mm=VOXEL), mu, inner)
    seen = []
    by_sart = sart(
        data,
        FEW,
        shape=SHAPE,
        voxel_size_mm=VOXEL,
        iterations=20,
        subsets=5,
        progress=lambda done, total: seen.append((done, total)),
    )
    by_cgls = cgls(data, FEW, shape=SHAPE, voxel_size_mm=VOXEL, iterations=30)
    # 15 noise-free views; measured rel. RMSE: FDK 3.9 %, SART 3.1 %, CGLS 5.6 % (no
    # positivity: the streaks of the null space stay)
    assert _error(by_sart, mu, inner) < 0.9 * analytic
    assert analytic < 0.05
    assert _error(by_cgls, mu, inner) < 0.07
    assert seen[-1] == (100, 100)
    assert by_sart.min() >= 0.0


def test_cgls_reduces_the_residual_monotonically():
    mu, _ = _phantom()
    op = ConeBeamProjector(FEW, shape=SHAPE, voxel_size_mm=VOXEL)
    data = op.apply(mu)
    misfits = [
        np.linalg.norm(
            op.apply(cgls(data, FEW, shape=SHAPE, voxel_size_mm=VOXEL, iterations=k)) - data
        )
        for k in (2, 5, 10)
    ]
    # CGLS minimises ‖Ax − p‖ over growing Krylov spaces: never increases
    assert misfits[0] > misfits[1] > misfits[2]


def test_bad_input_is_named():
    with pytest.raises(PositrixError, match="angles × rows × columns"):
        sart(np.zeros((3, 40, 48)), FEW)
    with pytest.raises(PositrixError, match="relaxation"):
        sart(np.zeros((15, 40, 48)), FEW, relaxation=2.5)
    with pytest.raises(PositrixError, match="iterations"):
        cgls(np.zeros((15, 40, 48)), FEW, iterations=0)
