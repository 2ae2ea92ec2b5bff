import numpy as np
import pytest

from positrix.image import FrameTable, Image
from positrix.kinetics.blood import correct_dispersion, shift_input
from positrix.kinetics.compare import f_test
from positrix.kinetics.data import InputFunction
from positrix.kinetics.metabolites import METABOLITE_MODELS, fit_parent_fraction
from positrix.kinetics.models.one_tcm import fit_1tcm
from positrix.kinetics.models.two_tcm import fit_2tcm, model_2tcm
from positrix.kinetics.sampling import exp_convolve
from positrix.quant.idif import image_derived_input
from positrix.quant.voi import VOI
from tests.kinetics.conftest import feng


@pytest.mark.parametrize(
    ("model", "truth"),
    [
        ("hill", (2.5, 300.0)),
        ("exponential", (0.6, 0.08)),
        ("power", (0.04, 1.3)),
    ],
)
def test_parent_fraction_models_recover_their_parameters(model, truth):
    t = np.array([1, 2.5, 5, 10, 20, 30, 45, 60, 90.0])
    samples = METABOLITE_MODELS[model][0](t, *truth)
    fit = fit_parent_fraction(t, samples, model=model)
    np.testing.assert_allclose(fit.parameters, truth, rtol=1e-3)
    inp = InputFunction(t, np.ones_like(t))
    np.testing.assert_allclose(fit.apply(inp).plasma, samples, rtol=1e-3)


def test_dispersion_correction_undoes_dispersion():
    t = np.arange(0, 20, 1 / 120)  # 0.5 s sampling
    true = feng(t)
    tau_s = 5.0
    dispersed = exp_convolve(true, 60 / tau_s, 1 / 120) * 60 / tau_s  # ⊛ e^{-t/τ}/τ
    corrected = correct_dispersion(InputFunction(t, dispersed), tau_s).plasma
    # away from the sharp peak the correction restores the curve within 1 % of its peak
    late = t > 2
    assert np.max(np.abs(corrected[late] - true[late])) < 0.01 * true.max()
    assert np.max(np.abs(dispersed[late] - true[late])) > np.max(
        np.abs(corrected[late] - true[late])
    )


def test_shift_input():
    t = np.arange(0, 10, 1 / 60)
    moved = shift_input(InputFunction(t, t.copy()), 30.0)
    np.testing.assert_allclose(moved.plasma[60:], t[60:] - 0.5, atol=1e-12)


def test_image_derived_input_from_a_blood_pool_voxel(frames):
    t = np.arange(0, 61, 1 / 60)
    curve = frames.frame_values(np.interp(frames.grid, t, feng(t)))
    data = np.zeros((2, 1, 1, 30))
    data[0, 0, 0] = curve
    table = FrameTable(frames.start_min * 60, frames.duration_min * 60)
    image = Image(data, np.eye(4), unit="Bq/mL", frames=table)
    pool = VOI.from_mask("LV", image.grid, np.array([[[True]], [[False]]]))
    idif = image_derived_input(image, pool)
    np.testing.assert_allclose(idif.plasma[1:], curve)
    assert idif.time_min[0] == 0 and idif.time_min[1] == pytest.approx(frames.mid_min[0])


def test_f_test_prefers_2tcm_on_2tcm_data(inp, frames, weights):
    rng = np.random.default_rng(0)
    data = model_2tcm(0.1, 0.15, 0.08, 0.04, inp, frames, vb=0.05)
    noisy = data * (1 + 0.01 * rng.standard_normal(data.size))
    one, two = fit_1tcm(noisy, inp, frames, weights), fit_2tcm(noisy, inp, frames, weights)
    result = f_test(one, two, n_frames=30)
    assert result.better == "2tcm" and result.p_value < 1e-6
    assert two.aic < one.aic
