"""Derenzo peak-to-valley on analytic images."""

import numpy as np
import pytest
from scipy import ndimage

from positrix.errors import PositrixError
from positrix.quant.derenzo import peak_to_valley, valley_points
from positrix.recon.reconstruct import grid_affine
from positrix.simulation.phantoms import derenzo_phantom, derenzo_rod_centres

SHAPE, VOXEL = (160, 160, 8), (0.25, 0.25, 0.5)


@pytest.fixture(scope="module")
def derenzo():
    images = derenzo_phantom(length_mm=3.0).voxelise(SHAPE, grid_affine(SHAPE, VOXEL))
    return images.activity_bq_ml


def _pv(image, sector, d):
    centres = derenzo_rod_centres(d, sector)
    return peak_to_valley(image, grid_affine(SHAPE, VOXEL), centres, d, z_range_mm=(-1, 1))


def test_sharp_rods_have_empty_valleys(derenzo):
    assert _pv(derenzo, 5, 2.4) == float("inf")  # valleys hold no activity at all


def test_blur_lowers_peak_to_valley_as_a_gaussian_predicts(derenzo):
    fwhm = 1.2
    sigma = fwhm / np.sqrt(8 * np.log(2)) / np.asarray(VOXEL[:2])
    blurred = ndimage.gaussian_filter(derenzo, (*sigma, 0))
    values = [_pv(blurred, s, d) for s, d in enumerate((0.75, 1.0, 1.2, 1.6, 2.0, 2.4))]
    assert np.all(np.diff(values) > 0)  # larger rods, better resolved
    assert values[0] < 1.3 < 2.0 < values[-1]
    # a 2.4 mm rod lattice blurred by a 1.2 mm Gaussian: the valley (half a pitch from two
    # rods, ≥ 1.2 mm from every rod edge) holds almost nothing
    assert values[-1] > 10


def test_valley_points_are_midpoints():
    centres = np.array([[0.0, 0.0], [2.0, 0.0], [1.0, np.sqrt(3)]])
    valleys = valley_points(centres, 2.0)
    assert len(valleys) == 3
    assert [1.0, 0.0] in valleys.tolist()


def test_bad_derenzo_input(derenzo):
    with pytest.raises(PositrixError, match="slice"):
        peak_to_valley(
            derenzo, grid_affine(SHAPE, VOXEL), [[0, 0], [1, 0]], 0.5, z_range_mm=(50, 60)
        )
