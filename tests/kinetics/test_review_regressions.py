"""Cases found in review of the kinetics package; each once gave a wrong number."""

import numpy as np
import pytest

from positrix.errors import PositrixError
from positrix.image import FrameTable, Image
from positrix.kinetics.data import read_input, read_tacs
from positrix.kinetics.fitting import frame_weights
from positrix.kinetics.maps import MapOptions, parametric_maps
from positrix.kinetics.models.mrtm import fit_mrtm
from positrix.kinetics.models.one_tcm import fit_1tcm, model_1tcm
from positrix.kinetics.models.two_tcm import fit_2tcm, model_2tcm
from positrix.kinetics.sampling import Sampling, exp_convolve


def test_counts_weighting_does_not_favour_empty_frames(inp, frames):
    data = model_1tcm(0.2, 0.1, inp, frames)
    nearly_empty = data.copy()
    nearly_empty[0] = 1e-9
    w = frame_weights("counts", frames, nearly_empty, half_life_min=20.4)
    assert w.max() / np.median(w) < 50  # before the floor: ≈ 1e9
    fit = fit_1tcm(
        data, inp, frames, frame_weights("counts", frames, data, half_life_min=20.4), vb=0.0
    )
    assert fit.parameters["VT"] == pytest.approx(2.0, rel=0.01)


def test_convolution_is_continuous_at_tiny_rates(inp, frames):
    t = np.arange(0, 60, 1 / 60)
    x = np.exp(-0.1 * t) * t
    base = exp_convolve(x, 0.0, 1 / 60)
    for rate in (1e-10, 1e-8, 1e-6):
        # the difference to rate 0 is physical (∝ rate), not rounding noise
        assert np.abs(exp_convolve(x, rate, 1 / 60) - base).max() < 100 * rate * base.max()
    reversible = model_2tcm(0.1, 0.1, 0.05, 1e-9, inp, frames)
    irreversible = model_2tcm(0.1, 0.1, 0.05, 0.0, inp, frames)
    np.testing.assert_allclose(reversible, irreversible, rtol=1e-5)


def test_mrtm_k2_prime_standard_error_by_the_delta_method(inp, frames, weights):
    rng = np.random.default_rng(3)
    reference = model_1tcm(0.1, 0.1, inp, frames)
    target = model_1tcm(0.12, 0.06, inp, frames) * (1 + 0.02 * rng.standard_normal(30))
    fit = fit_mrtm(target, reference, frames, weights)
    g1, g3 = fit.parameters["gamma1"], fit.parameters["gamma3"]
    # independent check: numerical gradient of γ1/γ3 with the regression covariance
    from positrix.kinetics.linear import regression, tac_integral

    _, c, cov = regression(
        [tac_integral(frames, reference), tac_integral(frames, target), reference],
        target,
        weights,
        names=["a", "b", "c"],
        model="m",
        region="r",
    )
    gradient = np.array([1 / c[2], 0.0, -c[0] / c[2] ** 2])
    assert fit.se["k2_prime"] == pytest.approx(np.sqrt(gradient @ cov @ gradient), rel=1e-6)
    assert fit.parameters["k2_prime"] == pytest.approx(g1 / g3)


def test_minutes_table_rounded_to_three_decimals(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(
        "frame_start_min,frame_duration_min,R\n0,0.167,1\n0.167,0.167,2\n0.333,0.167,3\n0.5,0.5,4\n"
    )
    tacs = read_tacs(path)
    assert tacs.sampling.end_min[1] <= tacs.sampling.start_min[2] + 1e-12


def test_bids_blood_with_missing_parent_fractions(tmp_path):
    path = tmp_path / "sub-01_blood.tsv"
    path.write_text(
        "time\tplasma_radioactivity\tmetabolite_parent_fraction\n0\t0\t1\n"
        "60\t10\tn/a\n120\t8\t0.5\n"
    )
    inp = read_input(path)
    np.testing.assert_allclose(inp.plasma, [0.0, 10 * 0.75, 8 * 0.5])


def test_vb_out_of_range_and_kept_failure_reason(inp, frames, weights):
    data = model_1tcm(0.2, 0.1, inp, frames)
    with pytest.raises(PositrixError, match="blood volume"):
        fit_1tcm(data, inp, frames, weights, vb=1.5)
    short = Sampling(frames.start_min[:4], frames.duration_min[:4])
    fit = fit_2tcm(data[:4], inp, short, np.ones(4), vb=0.05)
    assert not fit.converged and "frames for 4 parameters" in fit.reason


def _image(frames, curves):
    table = FrameTable(frames.start_min * 60, frames.duration_min * 60)
    return Image(np.array(curves)[:, None, None, :], np.eye(4), unit="Bq/mL", frames=table)


def test_basis_maps_give_nan_for_nan_or_empty_voxels(inp, frames):
    reference = model_1tcm(0.1, 0.1, inp, frames)
    good = model_1tcm(0.12, 0.06, inp, frames)
    bad = good.copy()
    bad[5] = np.nan
    image = _image(frames, [good, bad, np.zeros(30)])
    maps = parametric_maps(image, "srtm", mask=np.ones((3, 1, 1), bool), reference=reference)
    assert np.isfinite(maps["BPND"].data[0, 0, 0])
    for name in ("R1", "k2", "BPND"):
        assert np.all(np.isnan(maps[name].data[1:]))


def test_map_input_checks(inp, frames):
    reference = model_1tcm(0.1, 0.1, inp, frames)
    image = _image(frames, [reference, reference])
    with pytest.raises(PositrixError, match="mask"):
        parametric_maps(image, "srtm", mask=np.ones((1, 2, 1), bool), reference=reference)
    with pytest.raises(PositrixError, match="values for 30 frames"):
        parametric_maps(image, "srtm", mask=np.ones((2, 1, 1), bool), reference=reference[:5])
    with pytest.raises(PositrixError, match="SUVR window"):
        parametric_maps(
            image,
            "suvr",
            mask=np.ones((2, 1, 1), bool),
            reference=np.zeros(30) + (np.arange(30) < 5),
            options=MapOptions(tstar_min=20),
        )
    maps = parametric_maps(
        image,
        "ref-patlak",
        mask=np.ones((2, 1, 1), bool),
        reference=reference * 0.5,
        options=MapOptions(tstar_min=10),
    )
    assert maps["intercept"].unit == "1"
