"""A small ring scanner (16 rings × 160 crystals, Inveon diameter) for fast recon tests."""

import numpy as np
import pytest

from positrix.geometry.sinogram import SinogramLayout
from positrix.recon.reconstruct import default_grid
from tests.scanners import mini_scanner

MINI = mini_scanner(16)


@pytest.fixture(scope="session")
def mini_layout():
    return SinogramLayout(MINI, span=3)


@pytest.fixture(scope="session")
def mini_grid():
    return make_grid()


def make_grid():
    """Default grid of the small scanner and its voxel-centre coordinates (mm)."""
    shape, voxel = default_grid(MINI)
    centres = [(np.arange(n) - (n - 1) / 2) * v for n, v in zip(shape, voxel, strict=True)]
    x, y, z = np.meshgrid(*centres, indexing="ij")
    return shape, voxel, (x, y, z)


def cylinder(grid, radius_mm, half_length_mm):
    """Voxel fractions (3 × 3 transaxial sub-samples) of a cylinder along z."""
    _, voxel, (x, y, z) = grid
    sub = (np.arange(3) + 0.5) / 3 - 0.5
    disc = np.mean(
        [
            ((x + a * voxel[0]) ** 2 + (y + b * voxel[1]) ** 2 <= radius_mm**2)
            for a in sub
            for b in sub
        ],
        axis=0,
    )
    return (disc * (np.abs(z) <= half_length_mm)).astype(np.float32)
