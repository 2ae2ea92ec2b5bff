"""NU 4 performance by simulation: sensitivity, resolution, and the Inveon's published figures."""

import json

import numpy as np
import pytest

from positrix.cli.main import main
from positrix.geometry.scanner import ScannerGeometry, get_scanner
from positrix.geometry.sinogram import SinogramLayout
from positrix.quant.nema.performance import axial_sensitivity, point_resolution, ring_resolution
from positrix.simulation.acquisition import default_detector_blur_mm
from tests.scanners import mini_scanner


def test_inveon_axial_sensitivity_profile():
    z, percent = axial_sensitivity(get_scanner("inveon"), span=3)
    assert percent.max() == pytest.approx(7.2, rel=0.005)  # Bao 2009 (350–650 keV), 0.5 %
    assert abs(z[np.argmax(percent)]) < 1.6  # at the centre
    np.testing.assert_allclose(percent, percent[::-1], rtol=1e-3, atol=1e-4)  # symmetric
    # a ring scanner's profile is triangular: half the peak about halfway to the end
    half = np.interp(63.5 / 2, z, percent)
    assert half == pytest.approx(percent.max() / 2, rel=0.15)
    assert percent[0] < 0.05 * percent.max()


def test_point_resolution_lies_between_the_detector_blur_and_blur_plus_one_bin():
    scanner = mini_scanner(16)
    source = point_resolution(scanner, offset_mm=5.0)
    blur = default_detector_blur_mm(SinogramLayout(scanner))
    bin_mm = float(np.mean(np.diff(SinogramLayout(scanner).radial_mm())))
    for fwhm in (source.fwhm_radial_mm, source.fwhm_tangential_mm):
        # the Gaussian response is the floor; sampling, interpolation and the ramp add less
        # than a whole radial bin (linear sum: the worst case)
        assert blur * 0.97 < fwhm < blur + bin_mm
    assert source.radial_offset_mm == pytest.approx(5.0, abs=0.3)


def test_inveon_performance_against_the_published_figures(capsys):
    """shared/reference/scanners.md: scatter fraction 5.7 % (mouse) and 14.6 % (rat), peak
    NECR 1475 kcps (mouse).  The block dead time is fitted to the mouse NECR, so that check
    only guards the fit; the scatter fractions are predictions."""
    assert main(["scanner", "performance", "inveon", "--fast", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["peak_sensitivity_percent"] == pytest.approx(7.2, rel=0.01)
    assert result["peak_necr_mouse_kcps"] == pytest.approx(1475, rel=0.05)  # the fit, 5 %
    assert result["scatter_fraction_rat"] == pytest.approx(0.146, rel=0.15)  # goal 15 %
    # the mouse misses the 15 % goal (≈ −18 %): gantry and detector scatter are not modelled
    assert result["scatter_fraction_mouse"] == pytest.approx(0.057, rel=0.25)
    assert result["peak_necr_rat_kcps"] < result["peak_necr_mouse_kcps"]
    assert 50 < result["peak_necr_mouse_activity_MBq"] < 200


def test_two_doi_layers_cut_the_parallax_of_20_mm_crystals_by_at_least_30_percent():
    """Issue 19: 20 mm crystals, a point 25 mm off the axis, the same FBP — two DOI layers
    improve the radial FWHM by ≥ 30 % (the analytic estimate, positrix.physics.parallax, is
    42 %) and the tangential FWHM does not get worse (measured: radial 3.28 → 1.89 mm,
    tangential 2.04 → 1.69 mm; 1.17 / 1.14 mm at the centre with either)."""
    deep = ScannerGeometry(name="deep20", blocks_per_ring=16, crystals_per_block=20, n_rings=1,
                           transaxial_pitch_mm=1.6, axial_pitch_mm=1.6,
                           crystal_size_mm=(1.5, 1.5, 20.0), ring_diameter_mm=161.0,
                           mean_doi_mm=7.2)  # fmt: skip
    plain = ring_resolution(deep, offset_mm=25.0, doi_layers=1, n_decays=600_000, seed=1)
    doi = ring_resolution(deep, offset_mm=25.0, doi_layers=2, n_decays=600_000, seed=1)
    assert doi.radial_mm < 0.7 * plain.radial_mm
    assert doi.tangential_mm < 1.05 * plain.tangential_mm
    # parallax also pushes the point outwards; DOI moves it back (voxels of 0.2 mm)
    assert abs(doi.peak_x_mm - 25.0) <= 0.2 and plain.peak_x_mm >= doi.peak_x_mm
