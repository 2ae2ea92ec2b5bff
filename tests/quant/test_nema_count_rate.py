"""NEMA NU 4 section 4 on synthetic sinograms with known trues, scatter and randoms."""

from __future__ import annotations

import numpy as np
import pytest

from positrix.errors import PositrixError
from positrix.physics.count_rates import necr
from positrix.physics.nuclides import get_nuclide
from positrix.quant.nema.count_rate import analyse_count_rates, plot_count_rates, profile_counts

RADIAL = (np.arange(128) - 63.5) * 0.8  # mm
VIEWS = np.linspace(0.0, np.pi, 64, endpoint=False)
PLANES = np.arange(-30.0, 30.1, 3.0)  # mm
KEEP = np.abs(RADIAL) <= 12.5 + 8.0  # the NU 4 mask: 8 mm beyond the mouse phantom


def _plane(trues: float, scatter: float, randoms: float) -> np.ndarray:
    """One plane: a line source 10 mm off axis (FWHM 1.5 mm), broad scatter (σ 25 mm)
    around it and flat randoms; each component sums to its total inside the mask."""
    centre = 10.0 * np.cos(VIEWS - 0.3)[:, None]
    peak = np.exp(-4 * np.log(2) * ((RADIAL[None, :] - centre) / 1.5) ** 2)
    broad = np.exp(-((RADIAL[None, :] - centre) ** 2) / (2 * 25.0**2))
    flat = np.ones((VIEWS.size, RADIAL.size))
    parts = []
    for shape, total in ((peak, trues), (broad, scatter), (flat, randoms)):
        parts.append(shape * total / shape[:, KEEP].sum())
    return parts[0] + parts[1] + parts[2], parts[2]


def _sweep(rates, seconds=60.0):
    prompts, delayeds = [], []
    for t, s, r in rates:
        plane, flat = _plane(t * seconds, s * seconds, r * seconds)
        prompts.append(np.repeat(plane[None], PLANES.size, axis=0))
        delayeds.append(np.repeat(flat[None], PLANES.size, axis=0))
    return prompts, delayeds


def test_one_profile_separates_trues_from_the_rest():
    plane, _ = _plane(1e5, 1e4, 5e3)
    trues, rest = profile_counts(plane, RADIAL, phantom_diameter_mm=25.0)
    # broad scatter is nearly linear under the 14 mm band: ≤ 1 % of it is read as trues
    assert trues == pytest.approx(1e5, rel=0.002)
    assert rest == pytest.approx(1.5e4, rel=0.01)


def test_sweep_recovers_rates_scatter_fraction_and_peak():
    mean_mbq = np.geomspace(120.0, 0.5, 20)
    live = np.exp(-mean_mbq / 60.0)  # paralysable-like losses
    trues = 8000.0 * mean_mbq * live
    scatter = trues * 0.06 / 0.94  # SF 6 %
    randoms = 40.0 * mean_mbq**2 * live**2
    prompts, delayeds = _sweep(zip(trues, scatter, randoms, strict=True))
    lam = get_nuclide("F-18").decay_constant_per_s
    start = mean_mbq * lam * 60.0 / -np.expm1(-lam * 60.0)
    per_plane = np.abs(PLANES) <= 35.0 - 8.0
    result = analyse_count_rates(
        prompts,
        delayeds=delayeds,
        radial_mm=RADIAL,
        plane_z_mm=PLANES,
        duration_s=np.full(20, 60.0),
        start_activity_mbq=start,
        phantom="mouse",
    )
    n = per_plane.sum()
    assert np.allclose(result.activity_mbq, mean_mbq, rtol=1e-9)
    assert np.allclose(result.trues_cps, n * trues, rtol=0.003)
    assert np.allclose(result.randoms_cps, n * randoms, rtol=1e-9)
    assert np.allclose(result.scatter_cps, n * scatter, rtol=0.02)
    assert result.scatter_fraction == pytest.approx(0.06, abs=0.002)
    expected = necr(n * trues, n * scatter, n * randoms)
    assert result.peak_necr_kcps == pytest.approx(expected.max() / 1000.0, rel=0.005)
    assert result.peak_necr_activity_mbq == pytest.approx(mean_mbq[np.argmax(expected)])


def test_bad_sweeps_are_refused(tmp_path):
    prompts, _ = _sweep([(1e4, 1e3, 0.0)])
    with pytest.raises(PositrixError, match="durations"):
        analyse_count_rates(
            prompts,
            radial_mm=RADIAL,
            plane_z_mm=PLANES,
            duration_s=[60.0, 60.0],
            start_activity_mbq=[1.0],
        )
    with pytest.raises(PositrixError, match="phantom"):
        analyse_count_rates(
            prompts,
            radial_mm=RADIAL,
            plane_z_mm=PLANES,
            duration_s=[60.0],
            start_activity_mbq=[1.0],
            phantom="monkey",
        )
    result = analyse_count_rates(
        prompts, radial_mm=RADIAL, plane_z_mm=PLANES, duration_s=[60.0], start_activity_mbq=[1.0]
    )
    assert plot_count_rates(result, tmp_path / "nec.png").stat().st_size > 10_000
