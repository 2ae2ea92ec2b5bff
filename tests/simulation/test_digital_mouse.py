"""Digital mouse: anatomy, exact kinetics (checked against the kinetics package) and frames."""

import numpy as np
import pytest

from positrix.errors import PositrixError
from positrix.kinetics.compartment import irf_two_tissue, pet_frames
from positrix.kinetics.data import InputFunction
from positrix.kinetics.sampling import Sampling
from positrix.physics.compartments import two_tissue_irf
from positrix.recon.reconstruct import grid_affine
from positrix.simulation.digital_mouse import (
    MOUSE_REGIONS,
    MouseKinetics,
    digital_mouse,
    frame_truths,
    organ_curves,
)
from positrix.simulation.input_function import FengInput, compartment_curve


def test_feng_convolution_matches_numerical_integration():
    inp = FengInput()
    from scipy.signal import fftconvolve

    t = np.linspace(0, 60, 60001)  # 1 ms steps
    h = t[1] - t[0]
    for rate in (0.0, 0.05, 1.0, inp.lambda1, 7.0):
        # trapezoid rule: the rectangle sum minus half the end terms (Cp(0) = 0)
        numeric = fftconvolve(inp.plasma(t), np.exp(-rate * t))[: t.size] * h
        numeric -= 0.5 * h * inp.plasma(t)
        exact = inp.convolved(t, rate)
        for minute in (1.0, 10.0, 60.0):
            i = int(minute * 1000)
            assert exact[i] == pytest.approx(numeric[i], rel=1e-4)


def test_irf_agrees_with_the_kinetics_package():
    for k in ((0.1, 0.2, 0.05, 0.01), (0.5, 0.8, 0.0, 0.0), (0.9, 0.95, 0.01, 0.005)):
        assert np.allclose(two_tissue_irf(*k), irf_two_tissue(*k))


def test_frame_truths_match_the_kinetics_package_model():
    # the kinetics package computes 2TCM frame means numerically from a sampled input; the
    # simulator's closed form must agree with it
    inp = FengInput()
    fine = np.linspace(0, 62, 62 * 600 + 1)
    plasma = InputFunction(fine, inp.plasma(fine))
    start = np.array([0.0, 1.0, 5.0, 20.0, 50.0])
    duration = np.array([1.0, 4.0, 15.0, 30.0, 10.0])
    sampling = Sampling(start, duration, step_min=1 / 600)
    amplitudes, rates = two_tissue_irf(0.12, 0.25, 0.06, 0.0)
    numeric = pet_frames(amplitudes, rates, plasma, sampling, vb=0.04)
    centre = start + duration / 2
    exact_mid = compartment_curve(inp, centre, amplitudes, rates, vb=0.04)
    assert exact_mid[-1] == pytest.approx(numeric[-1], rel=0.01)  # slow at late times
    # the mouse's brain at injected = weight (scale 1), frame means with F-18 decay weighting
    kinetics = MouseKinetics(injected_bq=27.0, weight_g=27.0)
    truths = frame_truths(kinetics, start * 60, duration * 60, nuclide="F-18")
    # decay weighting within a frame changes a mean by < 1.5 % for frames ≤ 30 min here
    assert truths["brain"] == pytest.approx(numeric, rel=0.02)


def test_curves_are_scaled_by_dose_per_weight():
    a = organ_curves(MouseKinetics(injected_bq=10e6, weight_g=25.0), [30.0])
    b = organ_curves(MouseKinetics(injected_bq=20e6, weight_g=25.0), [30.0])
    assert b["liver"][0] == pytest.approx(2 * a["liver"][0])
    assert a["blood"][0] == pytest.approx(10e6 / 25 * FengInput().plasma(30.0))


def test_anatomy_volumes_are_mouse_like():
    shape = (40, 36, 120)
    images = digital_mouse({"liver": 1.0}).voxelise(shape, grid_affine(shape, (0.8,) * 3))
    volume = {n: images.mask(n).sum() * images.voxel_volume_ml for n in images.label_names}
    assert 24 < sum(volume.values()) < 30  # a 25–30 g mouse
    assert 0.35 < volume["brain"] + volume["striatum"] + volume["cerebellum"] < 0.8
    assert 1.0 < volume["liver"] < 2.0
    assert set(images.label_names) == set(MOUSE_REGIONS)
    assert images.total_activity_bq() == pytest.approx(volume["liver"], rel=0.05)
    lungs = images.mu_per_mm[images.mask("lungs")]
    bone = images.mu_per_mm[images.mask("bone")]
    assert np.median(lungs) < 0.004 < 0.015 < np.median(bone)


def test_bad_mouse_input():
    with pytest.raises(PositrixError, match="tracer"):
        MouseKinetics(tracer="coffee")
    with pytest.raises(PositrixError, match="organ"):
        digital_mouse({"gills": 1.0})
    with pytest.raises(PositrixError, match="frames"):
        frame_truths(MouseKinetics(), [0.0], [-1.0])
