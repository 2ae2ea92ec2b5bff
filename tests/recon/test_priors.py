"""Relative-difference prior: gradient equals finite differences; zero on flat images."""

import numpy as np

from positrix.recon.priors import rdp_gradient, rdp_value


def test_gradient_matches_finite_differences():
    rng = np.random.default_rng(0)
    x = rng.random((6, 5, 4)) + 0.1
    grad = rdp_gradient(x, voxel_size_mm=(1.0, 1.0, 2.0))
    h = 1e-6
    for index in [(2, 3, 1), (0, 0, 0), (5, 4, 3)]:
        up, down = x.copy(), x.copy()
        up[index] += h
        down[index] -= h
        numeric = rdp_value(up, voxel_size_mm=(1, 1, 2)) - rdp_value(down, voxel_size_mm=(1, 1, 2))
        np.testing.assert_allclose(grad[index], numeric / (2 * h), rtol=1e-5)


def test_flat_image_has_no_penalty():
    x = np.full((4, 4, 4), 7.0)
    assert rdp_value(x, voxel_size_mm=(1, 1, 1)) == 0.0
    assert np.all(rdp_gradient(x, voxel_size_mm=(1, 1, 1)) == 0.0)
