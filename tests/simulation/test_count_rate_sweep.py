"""Simulated NU 4 count-rate sweeps: linear where the physics is, bounded losses, a peak."""

import dataclasses

import numpy as np
import pytest

from positrix.errors import PositrixError
from positrix.quant.nema.count_rate import analyse_count_rates
from positrix.simulation.count_rate_sweep import _Model, simulate_count_rate_sweep
from positrix.simulation.singles import block_index
from tests.scanners import mini_scanner

SCANNER = mini_scanner(16)
FAST = {"span": 5, "voxel_mm": 1.6}


def test_trues_grow_linearly_and_randoms_quadratically_without_dead_time():
    sweep = simulate_count_rate_sweep(SCANNER, activities_mbq=[0.1, 0.2, 0.4], **FAST)
    a = sweep.start_activity_mbq
    trues = sweep.expected_trues / a
    randoms = sweep.expected_randoms / a**2
    # only the multiples rejection (≈ 1e-4 at 0.4 MBq here) bends the lines
    np.testing.assert_allclose(trues, trues[0], rtol=1e-3)
    np.testing.assert_allclose(randoms, randoms[0], rtol=1e-3)
    assert sweep.expected_scatter[0] > 0 and np.all(sweep.live_fraction == 1.0)
    assert sweep.prompts[0].shape == (2 * SCANNER.n_rings - 1, *sweep.prompts[0].shape[1:])


def test_block_dead_time_losses_lie_between_the_busiest_and_quietest_blocks():
    dead = dataclasses.replace(SCANNER, dead_time_ns=2000.0)
    free = _Model(SCANNER, "mouse", "F-18", 5, 1.6, 60.0)
    model = _Model(dead, "mouse", "F-18", 5, 1.6, 60.0)
    activity = 40.0
    ratio = model.expected(activity)[0].sum() / free.expected(activity)[0].sum()
    singles = model.singles * activity * model.mean_decay
    blocks = np.bincount(block_index(dead).ravel(), weights=singles.ravel())
    tau = 2000e-9
    # a coincidence needs both blocks live: e^(−2Rτ) between the extreme blocks' rates
    assert np.exp(-2 * blocks.max() * tau) < ratio < np.exp(-2 * blocks.min() * tau)


def test_automatic_sweep_brackets_the_necr_peak():
    scanner = dataclasses.replace(SCANNER, dead_time_ns=1000.0)
    sweep = simulate_count_rate_sweep(scanner, n_acquisitions=9, **FAST)
    result = analyse_count_rates(sweep.prompts, radial_mm=sweep.radial_mm,
                                 plane_z_mm=sweep.plane_z_mm, duration_s=sweep.duration_s,
                                 start_activity_mbq=sweep.start_activity_mbq,
                                 delayeds=sweep.delayeds, phantom="mouse")  # fmt: skip
    assert 3 <= result.peak <= 7  # the peak lies inside the dense part, not at an end
    assert np.all(np.diff(sweep.live_fraction) < 0)  # losses grow with activity
    assert 0.0 < result.scatter_fraction < 0.15


def test_bad_sweeps_are_refused():
    with pytest.raises(PositrixError, match="phantom"):
        simulate_count_rate_sweep(SCANNER, phantom="monkey")
    with pytest.raises(PositrixError, match="MBq"):
        simulate_count_rate_sweep(SCANNER, activities_mbq=[1.0, -2.0])
