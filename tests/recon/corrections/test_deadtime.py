"""Dead-time live fractions invert the paralysable and non-paralysable models."""

import numpy as np
import pytest

from positrix.errors import PositrixError
from positrix.recon.corrections.deadtime import live_fraction


def test_models_invert_the_count_rate_laws():
    tau = 1e-6
    true = np.array([1e3, 1e5, 4e5])
    measured_np = true / (1 + true * tau)
    np.testing.assert_allclose(
        live_fraction(measured_np, dead_time_s=tau, model="non-paralysable"), 1 / (1 + true * tau)
    )
    measured_p = true * np.exp(-true * tau)
    np.testing.assert_allclose(live_fraction(measured_p, dead_time_s=tau), np.exp(-true * tau))


def test_impossible_rates_are_refused():
    with pytest.raises(PositrixError, match="paralysable maximum"):
        live_fraction([1e6], dead_time_s=1e-6)
    with pytest.raises(PositrixError, match="model"):
        live_fraction([1.0], dead_time_s=1e-6, model="magic")
