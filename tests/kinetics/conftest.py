"""Simulated kinetic data: a Feng FDG-like input and 30 mouse-style frames (50 min)."""

import numpy as np
import pytest

from positrix.kinetics.data import InputFunction
from positrix.kinetics.fitting import frame_weights
from positrix.kinetics.sampling import Sampling

DURATIONS_S = [15] * 8 + [30] * 6 + [60] * 5 + [120] * 5 + [300] * 6  # 30 frames, 50 min


def feng(t):
    """Feng et al. 1993 input model (min, arbitrary units)."""
    a1, a2, a3, l1, l2, l3 = 851.1, 21.88, 20.81, -4.134, -0.1191, -0.01043
    return np.where(
        t > 0, (a1 * t - a2 - a3) * np.exp(l1 * t) + a2 * np.exp(l2 * t) + a3 * np.exp(l3 * t), 0.0
    )


def sampling(frame_model="average"):
    d = np.array(DURATIONS_S, float)
    return Sampling(np.concatenate([[0], np.cumsum(d)[:-1]]) / 60, d / 60, frame_model=frame_model)


@pytest.fixture
def inp():
    t = np.arange(0, 61, 1 / 60)
    return InputFunction(t, feng(t), 0.9 * feng(t))


@pytest.fixture
def frames():
    return sampling()


@pytest.fixture
def weights(frames):
    return frame_weights("duration", frames, np.ones(30))
