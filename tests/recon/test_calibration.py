"""Counts → Bq/mL: calibration, branching fraction and decay correction."""

import numpy as np
import pytest

from positrix.errors import PositrixError
from positrix.geometry import get_scanner
from positrix.physics.nuclides import get_nuclide
from positrix.recon.calibration import calibration_factor, nominal_calibration, to_concentration


def test_concentration_divides_by_k_duration_and_branching():
    ga = get_nuclide("Ga-68")
    out = to_concentration(
        np.array([2.0]), calibration=1e-8, duration_s=100.0, nuclide="Ga-68", reference_s=None
    )
    np.testing.assert_allclose(out, 2.0 / (1e-8 * 100.0 * ga.beta_plus_fraction), rtol=1e-6)


def test_a_frame_one_half_life_later_reads_twice_as_much_after_decay_correction():
    f18 = get_nuclide("F-18")
    early = to_concentration(
        np.array([1.0]), calibration=1.0, duration_s=1.0, nuclide="F-18", frame_start_s=0.0
    )
    late = to_concentration(
        np.array([1.0]),
        calibration=1.0,
        duration_s=1.0,
        nuclide="F-18",
        frame_start_s=f18.half_life_s,
    )
    np.testing.assert_allclose(late / early, 2.0, rtol=1e-9)


def test_calibration_factor_round_trip_and_errors():
    image = np.full((4, 4, 4), 3.0)
    k = calibration_factor(
        image, image > 0, concentration_bq_ml=5e4, duration_s=60.0, nuclide="F-18"
    )
    back = to_concentration(image, calibration=k, duration_s=60.0, nuclide="F-18")
    np.testing.assert_allclose(back, 5e4, rtol=1e-5)
    assert nominal_calibration(get_scanner("inveon")) > 0
    with pytest.raises(PositrixError, match="no positrons"):
        to_concentration(image, calibration=1.0, duration_s=1.0, nuclide="Lu-177")


@pytest.mark.parametrize(("name", "published"), [("inveon", 0.072), ("nanoscan", 0.0841)])
def test_nominal_calibration_gives_the_published_peak_sensitivity(name, published):
    """Expected trues per decay of a point at the centre = the published peak absolute
    sensitivity (Inveon 7.2 %, Bao 2009; nanoScan 8.41 %, Nagy 2013), within 0.5 %.  The
    point is a Gaussian spot of one crystal pitch FWHM: a single voxel on the axis lies on
    one line of every view and would be over-counted by ≈ 16 %."""
    from positrix.geometry.scanner import get_scanner
    from positrix.geometry.sinogram import SinogramLayout
    from positrix.recon.corrections.crystal_pairs import crystal_pair_sinogram
    from positrix.recon.sinogram_projector import SinogramProjector

    scanner = get_scanner(name)
    layout = SinogramLayout(scanner, span=3)
    v, vz = scanner.transaxial_pitch_mm / 4, scanner.axial_pitch_mm / 2
    shape = (13, 13, 3)
    x = (np.arange(13) - 6) * v
    sigma = scanner.transaxial_pitch_mm / np.sqrt(8 * np.log(2))
    plane = np.exp(-(x[:, None] ** 2 + x[None, :] ** 2) / (2 * sigma**2))
    spot = np.zeros(shape, np.float32)
    spot[:, :, 1] = plane / plane.sum() * 1000.0 / (v * v * vz)  # 1 Bq in all, in Bq/mL
    lines = SinogramProjector(layout, shape, (v, v, vz)).apply(spot)
    pairs = crystal_pair_sinogram(layout, np.ones((scanner.n_rings, scanner.crystals_per_ring)))
    sensitivity = nominal_calibration(scanner) * float((pairs * lines).sum(dtype=np.float64))
    assert sensitivity == pytest.approx(published, rel=0.005)
