"""Noise-free fits recover the truth (issue: VT/Ki within 0.5 %, micro-parameters 2 %)."""

import numpy as np
import pytest

from positrix.kinetics.data import InputFunction
from positrix.kinetics.models.logan import fit_logan
from positrix.kinetics.models.ma1 import fit_ma1
from positrix.kinetics.models.one_tcm import fit_1tcm, model_1tcm
from positrix.kinetics.models.patlak import fit_patlak
from positrix.kinetics.models.two_tcm import fit_2tcm, model_2tcm
from positrix.kinetics.models.two_tcm_irr import fit_2tcm_irr, model_2tcm_irr
from positrix.kinetics.sampling import exp_convolve
from tests.kinetics.conftest import sampling


def test_exponential_convolution_is_exact_for_linear_input():
    t = np.arange(0, 30, 1 / 60)
    b = 0.3
    exact = t / b - (1 - np.exp(-b * t)) / b**2  # ∫_0^t s e^{-b(t-s)} ds
    np.testing.assert_allclose(exp_convolve(t, b, 1 / 60), exact, rtol=1e-12, atol=1e-12)


def test_frame_means_are_exact_for_piecewise_linear_curves():
    s = sampling()
    mean = s.frame_values(s.grid)  # the curve t: its frame mean is the mid-time
    np.testing.assert_allclose(mean, s.mid_min, rtol=1e-12)


def test_2tcm_recovers_truth(inp, frames, weights):
    truth = {"K1": 0.1, "k2": 0.15, "k3": 0.08, "k4": 0.04, "vB": 0.05}
    data = model_2tcm(0.1, 0.15, 0.08, 0.04, inp, frames, vb=0.05)
    fit = fit_2tcm(data, inp, frames, weights, vb=None)
    assert fit.converged
    for name, value in truth.items():
        assert fit.parameters[name] == pytest.approx(value, rel=0.02)  # micro: 2 %
    assert fit.parameters["VT"] == pytest.approx(2.0, rel=0.005)  # macro: 0.5 %


def test_2tcm_irreversible_with_delay(inp, frames, weights):
    data = model_2tcm_irr(0.1, 0.15, 0.05, inp, frames, vb=0.05, delay_s=6.0)
    fit = fit_2tcm_irr(data, inp, frames, weights, vb=None, fit_delay=True)
    assert fit.parameters["Ki"] == pytest.approx(0.1 * 0.05 / 0.2, rel=0.005)
    assert fit.parameters["delay_s"] == pytest.approx(6.0, abs=0.5)
    assert fit.parameters["k3"] == pytest.approx(0.05, rel=0.02)


def test_1tcm_fixed_vb_and_information_criteria(inp, frames, weights):
    data = model_1tcm(0.2, 0.1, inp, frames, vb=0.05)
    fit = fit_1tcm(data, inp, frames, weights, vb=0.05)
    assert fit.parameters["VT"] == pytest.approx(2.0, rel=0.005)
    assert fit.n_parameters == 2 and np.isfinite(fit.aic) and fit.bic > fit.aic  # ln 30 > 2


def test_patlak_closed_form_for_an_exponential_input():
    # Cp = e^{-a t}: Ct/Cp → Ki ∫Cp/Cp + K1 k2 / ((k2+k3)(k2+k3−a)) (closed form)
    t = np.arange(0, 61, 1 / 60)
    a, K1, k2, k3 = 0.05, 0.1, 0.3, 0.1  # equilibrated: exp(−(k2+k3−a)·20 min) ≈ 1e-3
    inp = InputFunction(t, np.exp(-a * t))
    s = sampling("midpoint")
    data = model_2tcm_irr(K1, k2, k3, inp, s)
    fit = fit_patlak(data, inp, s, np.ones(30), tstar_min=20)
    assert fit.parameters["Ki"] == pytest.approx(K1 * k3 / (k2 + k3), rel=0.005)
    assert fit.parameters["V0"] == pytest.approx(K1 * k2 / ((k2 + k3) * (k2 + k3 - a)), rel=0.01)


@pytest.mark.parametrize("method", [fit_logan, fit_ma1])
def test_logan_and_ma1_are_exact_for_one_tissue_data(inp, method):
    # for a 1TCM both plots are exact: ∫Ct = VT ∫Cp − Ct/k2
    s = sampling("midpoint")
    data = model_1tcm(0.2, 0.1, inp, s)
    fit = method(data, inp, s, np.ones(30), tstar_min=10)
    assert fit.parameters["VT"] == pytest.approx(2.0, rel=0.005)
