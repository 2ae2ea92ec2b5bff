"""Fit flags (bounds, identifiability, physics), units in every output, graphical plots."""

import json

import numpy as np
import pytest

from positrix.cli.main import main
from positrix.kinetics.fitting import FitResult, parameter_unit
from positrix.kinetics.quality import assess

EXAMPLES = "docs/examples/"


def test_negative_patlak_ki_is_flagged_with_its_meaning():
    fit = assess(FitResult("patlak", "liver", {"Ki": -0.003, "V0": 0.5}, {"Ki": 1e-4}))
    assert fit.status == "flagged" and fit.converged
    assert "trapping fails" in fit.flags[0] and fit.flagged("Ki") and not fit.flagged("V0")


def test_bound_and_huge_se_and_impossible_vt():
    fit = assess(
        FitResult(
            "2tcm",
            "tumour",
            {"K1": 0.1, "k2": 0.15, "k3": 0.05, "k4": 0.0, "VT": 1.4e7},
            {"K1": 1e-3, "k2": 1e-3, "k3": 1e-3, "k4": 1e-9, "VT": 1.1e7},
            at_bounds=("k4",),
        )
    )
    text = " | ".join(fit.flags)
    assert "k4 is at its bound" in text
    assert "VT is indistinguishable from 0" in text and "VT = 1.4e+07 outside" in text
    assert not fit.flagged("K1")


def test_a_good_fit_has_no_flags():
    fit = assess(FitResult("logan", "cortex", {"VT": 1.5, "intercept": -12.0}, {"VT": 0.01}))
    assert fit.status == "ok" and fit.flags == ()


def test_units_of_every_parameter():
    assert parameter_unit("K1") == "mL/cm³/min" and parameter_unit("k3") == "1/min"
    assert parameter_unit("VT") == "mL/cm³" and parameter_unit("delay_s") == "s"
    assert parameter_unit("Ki", "ref-patlak") == "1/min"


def _fit(capsys, *argv):
    code = main(["kinetics", "fit", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_text_and_json_carry_units_and_flags(capsys, monkeypatch):
    monkeypatch.chdir(EXAMPLES + "..")
    argv = ["--model", "2tcm", "--tac", "examples/tacs.csv", "--input", "examples/input.csv"]
    code, out, _ = _fit(capsys, *argv, "--region", "tumour")
    assert code == 0
    # the tumour is irreversible (k4 = 0 in the example's truth): k4 at its bound, VT absurd
    assert "K1 0.1 ± " in out and "mL/cm³/min" in out and "[FLAGGED]" in out
    assert "! k4 is at its bound" in out and "VT" in out and "(!)" in out
    code, out, _ = _fit(capsys, *argv, "--region", "tumour", "--json")
    data = json.loads(out)[0]
    assert data["status"] == "flagged" and data["converged"] is True
    assert data["units"]["K1"] == "mL/cm³/min" and len(data["flags"]) >= 2


@pytest.mark.parametrize("model", ["patlak", "logan"])
def test_graphical_plots_are_in_their_own_axes(model, tmp_path, capsys, monkeypatch):
    from positrix.kinetics.api import FitOptions, fit_regions
    from positrix.kinetics.data import read_input, read_tacs

    monkeypatch.chdir(EXAMPLES + "..")
    tacs, inp = read_tacs("examples/tacs.csv"), read_input("examples/input.csv")
    fit = fit_regions(model, tacs, regions=["cortex"], inp=inp, options=FitOptions(tstar_min=10))
    plot = fit[0].graphical
    assert plot is not None and plot.tstar_min == 10
    # the late points lie on the fitted line (Logan of a reversible region is exact: 1 %)
    slope, intercept = list(fit[0].parameters.values())[:2]
    if model == "logan":
        np.testing.assert_allclose(
            plot.y[plot.late], slope * plot.x[plot.late] + intercept, rtol=0.01
        )
    assert "min" in plot.x_label
    code, _, _ = _fit(
        capsys,
        "--model",
        model,
        "--tac",
        "examples/tacs.csv",
        "--input",
        "examples/input.csv",
        "--tstar-min",
        "10",
        "--region",
        "cortex",
        "--plot",
        str(tmp_path / "plots"),
        "--plot-format",
        "svg",
    )
    svg = (tmp_path / "plots" / f"cortex_{model}.svg").read_text()
    assert code == 0 and "t* = 10 min" in svg and "fitted line" in svg


def test_plot_onto_a_file_or_existing_plot_is_refused_before_fitting(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(EXAMPLES + "..")
    target = tmp_path / "file.png"
    target.write_text("keep")
    argv = ["--model", "logan", "--tac", "examples/tacs.csv", "--input", "examples/input.csv",
            "--tstar-min", "10"]  # fmt: skip
    code, _, err = _fit(capsys, *argv, "--plot", str(target))
    assert code == 2 and "--plot" in err and target.read_text() == "keep"
    assert _fit(capsys, *argv, "--plot", str(tmp_path / "p"))[0] == 0
    code, _, err = _fit(capsys, *argv, "--plot", str(tmp_path / "p"))
    assert code == 2 and "--force" in err


def test_negative_plasma_is_refused(tmp_path, capsys):
    bad = tmp_path / "input.csv"
    bad.write_text("time_s,plasma\n0,0\n60,-5\n120,3\n")
    code, _, err = _fit(
        capsys,
        "--model",
        "patlak",
        "--tac",
        EXAMPLES + "tacs.csv",
        "--input",
        str(bad),
        "--tstar-min",
        "10",
    )
    assert code == 2 and "negative" in err and "line 3" in err and "plasma" in err


def test_suvr_has_its_ratio_plot_and_no_false_flag(monkeypatch):
    from positrix.kinetics.api import FitOptions, fit_regions
    from positrix.kinetics.data import read_tacs

    monkeypatch.chdir(EXAMPLES + "..")
    tacs = read_tacs("examples/tacs.csv")
    (fit,) = fit_regions(
        "suvr", tacs, regions=["striatum"], ref="cerebellum", options=FitOptions(tstar_min=30)
    )
    plot = fit.graphical
    assert fit.status == "ok" and plot is not None and plot.line == (0.0, fit.parameters["SUVR"])
    ratio = tacs.curve("striatum") / tacs.curve("cerebellum")
    np.testing.assert_allclose(plot.y, ratio, rtol=1e-12)
    # SUVR is the duration-weighted mean of the late ratio's numerator over its denominator
    late = plot.late
    d = tacs.sampling.duration_min[late]
    expected = np.sum(d * tacs.curve("striatum")[late]) / np.sum(d * tacs.curve("cerebellum")[late])
    assert fit.parameters["SUVR"] == pytest.approx(expected, rel=1e-12)


def test_noise_near_zero_and_zero_valued_parameters_are_not_flagged():
    # Ki −3e−5 ± 3e−5: within 2 SE of 0, so neither "washes out" nor "impossible"
    fit = assess(FitResult("patlak", "lungs", {"Ki": -3.1e-5, "V0": 0.2}, {"Ki": 3e-5}))
    assert len(fit.flags) == 1 and "indistinguishable from 0" in fit.flags[0]
    # a delay near 0 with a larger SE is a well-determined "no delay", not unidentifiable
    fit = assess(
        FitResult(
            "2tcm",
            "x",
            {"K1": 0.1, "delay_s": -1.7e-7},
            {"K1": 1e-3, "delay_s": 1.7e-6},
            weighted_rss=1.0,
        )
    )
    assert fit.flags == ()


def test_a_singular_fit_with_zero_se_is_flagged():
    fit = assess(
        FitResult("2tcm", "x", {"K1": 0.1, "k4": 3.66}, {"K1": 1e-3, "k4": 0.0}, weighted_rss=2.5)
    )
    assert any("singular" in f for f in fit.flags) and fit.flagged("k4")
