"""TOF kernel: resolution in mm, bins, weights that sum to the non-TOF projector."""

from __future__ import annotations

import numpy as np
import pytest

from positrix.errors import PositrixError
from positrix.physics.tof import position_fwhm_mm, tof_bin_edges_mm, tof_weights


def test_position_resolution():
    # Δx = c·Δt/2: 300 ps ↔ 45 mm, 100 ps ↔ 15 mm
    assert position_fwhm_mm(100.0) == pytest.approx(14.9896229, rel=1e-9)
    with pytest.raises(PositrixError):
        position_fwhm_mm(0.0)


def test_weights_sum_to_one_and_peak_at_the_point():
    x = np.linspace(-40.0, 40.0, 81)
    w = tof_weights(x, n_bins=33, bin_ps=50.0, ctr_ps=300.0)  # bins span ±247 mm
    assert np.allclose(w.sum(axis=-1), 1.0, atol=1e-12)  # TOF summed over bins = non-TOF
    edges = tof_bin_edges_mm(33, 50.0)
    centres = 0.5 * (edges[1:] + edges[:-1])
    assert np.all(np.abs(centres[np.argmax(w, axis=-1)] - x) <= 7.5 / 2 + 1e-9)  # its own bin
    # symmetric about the midpoint
    assert np.allclose(w[40 - 10], w[40 + 10][::-1])


def test_weights_reproduce_the_gaussian_width():
    edges = tof_bin_edges_mm(2001, 2.0)  # fine bins of 0.3 mm over ±300 mm (±15 σ)
    w = tof_weights(0.0, n_bins=2001, bin_ps=2.0, ctr_ps=300.0)
    centres = 0.5 * (edges[1:] + edges[:-1])
    sigma = np.sqrt(np.sum(w * centres**2))
    assert 2.3548 * sigma == pytest.approx(position_fwhm_mm(300.0), rel=1e-3)
