"""Positron-range kernel and convolution operator."""

import numpy as np
import pytest

from positrix.errors import PositrixError
from positrix.physics.nuclides import get_nuclide
from positrix.recon.operators import Convolution, positron_range_kernel


def test_kernel_mean_distance_is_the_mean_positron_range():
    ga68 = get_nuclide("Ga-68")
    lam = ga68.mean_positron_range_mm
    voxel = (0.2, 0.2, 0.2)
    kernel = positron_range_kernel(voxel, lam)
    centres = [(np.arange(n) - n // 2) * 0.2 for n in kernel.shape]
    x, y, z = np.meshgrid(*centres, indexing="ij")
    mean = float(np.sum(kernel * np.sqrt(x**2 + y**2 + z**2)))
    # exponential truncated at 5λ has mean λ(1 − 6e⁻⁵)/(1 − e⁻⁵); voxelisation at λ/10: 1 %
    truncated = lam * (1 - 6 * np.exp(-5)) / (1 - np.exp(-5))
    assert abs(mean / truncated - 1) < 0.01
    assert abs(kernel.sum() - 1) < 1e-6
    np.testing.assert_allclose(kernel, kernel[::-1, ::-1, ::-1])


def test_convolution_is_self_adjoint_and_conserves_counts_inside():
    kernel = positron_range_kernel((0.5, 0.5, 0.5), get_nuclide("F-18").mean_positron_range_mm)
    op = Convolution((24, 24, 24), kernel)
    assert op.adjointness_error() < 1e-5
    point = np.zeros((24, 24, 24), np.float32)
    point[12, 12, 12] = 1.0
    assert abs(op.apply(point).sum() - 1.0) < 1e-5


def test_bad_kernels_are_refused():
    with pytest.raises(PositrixError, match="symmetric"):
        Convolution((4, 4, 4), np.arange(27.0).reshape(3, 3, 3))
    with pytest.raises(PositrixError, match="positron range"):
        positron_range_kernel((1, 1, 1), 0.0)
