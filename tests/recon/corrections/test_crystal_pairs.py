"""Crystal-pair sinograms, fan sums (their adjoint) and the fan-sum fit."""

import numpy as np
import pytest

from positrix.errors import PositrixError
from positrix.recon.corrections.crystal_pairs import (
    crystal_pair_sinogram,
    fan_sums,
    fit_crystal_factors,
)
from positrix.recon.corrections.randoms import randoms_from_singles


def test_unit_factors_count_ring_pairs_and_fan_sums_are_the_adjoint(mini_layout):
    layout = mini_layout
    ones = np.ones((16, 160))
    np.testing.assert_array_equal(
        crystal_pair_sinogram(layout, ones),
        np.broadcast_to(layout.ring_pairs_per_plane[:, None, None], layout.shape),
    )
    rng = np.random.default_rng(0)
    f = rng.uniform(0.5, 1.5, (16, 160))
    s = rng.random(layout.shape).astype(np.float32)
    # ⟨s, P(f)⟩ = ½ ⟨fans(s, f), f⟩ for the bilinear pair product
    left = float(np.sum(s * crystal_pair_sinogram(layout, f), dtype=np.float64))
    right = 0.5 * float(np.sum(fan_sums(layout, s, f) * f))
    assert abs(left / right - 1) < 1e-5


def test_randoms_from_singles_is_2tau_si_sj_t(mini_layout):
    singles = np.full((16, 160), 1000.0)
    randoms = randoms_from_singles(mini_layout, singles, duration_s=10.0, coincidence_window_ns=4)
    # 2τ S² T = 4e-9 · 1e6 · 10 per ring pair
    expected = 4e-9 * 1e6 * 10 * mini_layout.ring_pairs_per_plane
    np.testing.assert_allclose(randoms[:, 0, 0], expected, rtol=1e-5)


def test_fit_recovers_factors_from_noise_free_products(mini_layout):
    rng = np.random.default_rng(1)
    truth = rng.uniform(0.7, 1.3, (16, 160))
    data = crystal_pair_sinogram(mini_layout, truth)
    fitted = fit_crystal_factors(mini_layout, data, iterations=50)
    np.testing.assert_allclose(crystal_pair_sinogram(mini_layout, fitted), data, rtol=1e-3)


def test_bad_factors_are_refused(mini_layout):
    with pytest.raises(PositrixError, match="one value per crystal"):
        crystal_pair_sinogram(mini_layout, np.ones((4, 4)))
    with pytest.raises(PositrixError, match="no counts"):
        fit_crystal_factors(mini_layout, np.zeros(mini_layout.shape))
