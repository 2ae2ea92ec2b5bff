"""Reference-tissue methods on 1-tissue target and reference curves (BPND = 1, R1 = 1.2,
k2′ = 0.1/min): BPND within 0.5 %, micro-parameters within 2 % (issue)."""

import pytest

from positrix.errors import PositrixError
from positrix.kinetics.models.logan_ref import fit_logan_ref
from positrix.kinetics.models.mrtm import fit_mrtm
from positrix.kinetics.models.mrtm2 import fit_mrtm2
from positrix.kinetics.models.one_tcm import model_1tcm
from positrix.kinetics.models.ref_patlak import fit_ref_patlak
from positrix.kinetics.models.srtm import fit_srtm
from positrix.kinetics.models.srtm2 import fit_srtm2
from positrix.kinetics.models.suvr import fit_suvr
from positrix.kinetics.models.two_tcm_irr import model_2tcm_irr


@pytest.fixture
def curves(inp, frames):
    reference = model_1tcm(0.1, 0.1, inp, frames)  # VT' = 1
    target = model_1tcm(0.12, 0.06, inp, frames)  # VT = 2
    return target, reference


def test_srtm(curves, frames, weights):
    fit = fit_srtm(*curves, frames, weights)
    assert fit.parameters["BPND"] == pytest.approx(1.0, rel=0.005)
    assert fit.parameters["R1"] == pytest.approx(1.2, rel=0.02)
    assert fit.parameters["k2"] == pytest.approx(0.12, rel=0.02)
    assert fit.parameters["k2_prime"] == pytest.approx(0.1, rel=0.02)


def test_srtm2(curves, frames, weights):
    fit = fit_srtm2(*curves, frames, weights, k2_prime=0.1)
    assert fit.parameters["BPND"] == pytest.approx(1.0, rel=0.005)


@pytest.mark.parametrize("method", ["mrtm", "mrtm2", "logan-ref"])
def test_multilinear_methods(curves, frames, weights, method):
    if method == "mrtm":
        fit = fit_mrtm(*curves, frames, weights)
        assert fit.parameters["k2_prime"] == pytest.approx(0.1, rel=0.02)
    elif method == "mrtm2":
        fit = fit_mrtm2(*curves, frames, weights, k2_prime=0.1)
    else:
        fit = fit_logan_ref(*curves, frames, weights, tstar_min=10, k2_prime=0.1)
    assert fit.parameters["BPND"] == pytest.approx(1.0, rel=0.005)


def test_reference_patlak_and_suvr(inp, frames, weights):
    reference = model_1tcm(0.1, 0.1, inp, frames)
    target = model_2tcm_irr(0.1, 0.1, 0.05, inp, frames)
    fit = fit_ref_patlak(target, reference, frames, weights, tstar_min=20)
    assert fit.parameters["Ki"] > 0
    suvr = fit_suvr(target, reference, frames, tstar_min=30).parameters["SUVR"]
    late = frames.start_min >= 30
    expected = (frames.duration_min[late] * target[late]).sum() / (
        frames.duration_min[late] * reference[late]
    ).sum()
    assert suvr == pytest.approx(expected, rel=1e-12)


def test_bad_tstar_and_reference(curves, frames, weights):
    with pytest.raises(PositrixError, match="t\\*"):
        fit_logan_ref(*curves, frames, weights, tstar_min=100)
    target, reference = curves
    with pytest.raises(PositrixError, match="never positive"):
        fit_srtm(target, reference * 0, frames, weights)
    with pytest.raises(PositrixError, match="k2"):
        fit_srtm2(target, reference, frames, weights, k2_prime=0)
