"""TOF projector: adjoint, summed over bins equal to the non-TOF projector, centred kernel."""

import numpy as np
import pytest

from positrix.errors import PositrixError
from positrix.physics.tof import position_fwhm_mm, tof_bin_edges_mm
from positrix.recon.projectors import LORProjector
from positrix.recon.tof_projector import TOFLORProjector

SHAPE = (24, 22, 10)
VOXEL = (1.0, 1.1, 1.5)


def _lors(n=300, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.uniform(0, 2 * np.pi, n)
    b = a + rng.uniform(0.5, np.pi, n)
    z1, z2 = rng.uniform(-6, 6, n), rng.uniform(-6, 6, n)
    r = 40.0
    return (np.column_stack([r * np.cos(a), r * np.sin(a), z1]),
            np.column_stack([r * np.cos(b), r * np.sin(b), z2]))  # fmt: skip


TOF = {"n_bins": 13, "bin_ps": 50.0, "ctr_ps": 200.0}  # 13 × 7.5 mm covers the 80 mm LORs


def test_histogram_and_listmode_tof_projectors_are_adjoint():
    starts, ends = _lors()
    histogram = TOFLORProjector(SHAPE, VOXEL, starts, ends, **TOF)
    bins = np.random.default_rng(1).integers(0, 13, len(starts))
    listmode = TOFLORProjector(SHAPE, VOXEL, starts, ends, bins=bins, **TOF)
    assert histogram.adjointness_error() < 1e-5  # float32 accumulation
    assert listmode.adjointness_error() < 1e-5


def test_tof_summed_over_bins_equals_non_tof():
    starts, ends = _lors()
    image = np.random.default_rng(2).random(SHAPE).astype(np.float32)
    plain = LORProjector(SHAPE, VOXEL, starts, ends).apply(image)
    # the bins reach ±48.7 mm, the LORs ±40 mm with σ = 12.7 mm: < 1e-4 of a sample's
    # kernel falls beyond the outer edges, well under float32 rounding of the sums
    tof = TOFLORProjector(SHAPE, VOXEL, starts, ends, n_bins=41, bin_ps=50.0, ctr_ps=200.0)
    np.testing.assert_allclose(tof.apply(image).sum(axis=1), plain, rtol=2e-4, atol=1e-4)
    # the list-mode projector picks the same numbers out of the histogram
    bins = np.arange(len(starts)) % 41
    listmode = TOFLORProjector(SHAPE, VOXEL, starts, ends, bins=bins, n_bins=41, bin_ps=50.0,
                               ctr_ps=200.0)  # fmt: skip
    np.testing.assert_allclose(listmode.apply(image), tof.apply(image)[np.arange(len(bins)), bins],
                               rtol=1e-5, atol=1e-6)  # fmt: skip


def test_a_point_off_the_midpoint_lands_in_its_own_bin():
    image = np.zeros(SHAPE, np.float32)
    image[18, 11, 5] = 1.0  # x = +6.5 mm from the centre
    starts = np.array([[-40.0, 0.55, 0.0]])
    ends = np.array([[40.0, 0.55, 0.0]])  # along +x: the point lies 6.5 mm towards `ends`
    tof = TOFLORProjector(SHAPE, VOXEL, starts, ends, n_bins=41, bin_ps=10.0, ctr_ps=100.0)
    profile = tof.apply(image)[0]
    centres = 0.5 * (tof_bin_edges_mm(41, 10.0)[1:] + tof_bin_edges_mm(41, 10.0)[:-1])
    mean = float(np.sum(profile * centres) / profile.sum())
    assert mean == pytest.approx(6.5, abs=0.05)  # the Gaussian is centred on the point
    spread = np.sqrt(np.sum(profile * (centres - mean) ** 2) / profile.sum())
    sigma = position_fwhm_mm(100.0) / 2.3548
    # bin width 1.5 mm adds w²/12 to the variance; the Joseph samples smear a little more
    assert spread == pytest.approx(np.hypot(sigma, 1.5 / np.sqrt(12)), rel=0.05)


def test_bad_tof_bins_are_refused():
    starts, ends = _lors(3)
    with pytest.raises(PositrixError, match="TOF bins"):
        TOFLORProjector(SHAPE, VOXEL, starts, ends, bins=[0, 1, 13], **TOF)
