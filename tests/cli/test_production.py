"""``positrix yield`` and ``positrix stopping``: the JSON contract of the issue, the plot, a
logged beam file, and bad input answered with a message, not a traceback."""

from __future__ import annotations

import json

import pytest

from positrix.cli.main import main


def test_yield_json_has_the_issues_keys_and_impurities(capsys, tmp_path):
    plot = tmp_path / "f18.png"
    assert main(["yield", "--reaction", "18O(p,n)18F", "--energy", "16.5:3", "--current", "40uA",
                 "--time", "1h", "--target", "H2[18O]O", "--enrichment", "0.98", "--plot",
                 str(plot), "--json"]) == 0  # fmt: skip
    out = json.loads(capsys.readouterr().out)
    for key in (
        "saturation_yield_GBq_per_uA",
        "physical_yield_GBq_per_uAh",
        "yield_1h_GBq_per_uAh",
        "eob_activity_GBq",
        "exit_energy_MeV",
        "impurities",
    ):
        assert key in out
    assert out["exit_energy_MeV"] == 3.0
    # 40 µA for 1 h: EOB = 40 × the 1-h yield (rel 1e-12)
    assert out["eob_activity_GBq"] == pytest.approx(40 * out["yield_1h_GBq_per_uAh"], rel=1e-12)
    assert {i["nuclide"] for i in out["impurities"]} >= {"N-13"}
    assert plot.stat().st_size > 10_000


def test_a_logged_beam_file_equals_the_constant_beam_it_describes(capsys, tmp_path):
    log = tmp_path / "beam.csv"
    log.write_text("duration_s,current_uA\n1800,30\n1800,30\n")
    main(
        ["yield", "--reaction", "68Zn(p,n)68Ga", "--energy", "14", "--beam-log", str(log), "--json"]
    )
    logged = json.loads(capsys.readouterr().out)
    main(
        [
            "yield",
            "--reaction",
            "68Zn(p,n)68Ga",
            "--energy",
            "14",
            "--current",
            "30uA",
            "--time",
            "1h",
            "--json",
        ]
    )
    constant = json.loads(capsys.readouterr().out)
    assert logged["eob_activity_GBq"] == pytest.approx(constant["eob_activity_GBq"], rel=1e-12)
    assert constant["purity_limit"] == 0.98  # Ph. Eur., Ga-68 by default


def test_stopping_json_gives_pstar_water(capsys):
    assert (
        main(["stopping", "--particle", "p", "--material", "water", "--energy", "10", "--json"])
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert out["mass_stopping_power_MeV_cm2_per_g"] == pytest.approx(
        45.67, rel=2e-3
    )  # PSTAR (electronic vs total: 0.07 %)
    assert out["csda_range_mm"] == pytest.approx(1.230, rel=2e-3)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["yield", "--reaction", "18O(p,x)18F", "--energy", "10"], "unknown outgoing particle"),
        (["yield", "--reaction", "19F(p,n)19Ne", "--energy", "10"], "no cross section"),
        (["yield", "--reaction", "18O(p,n)18F", "--energy", "45"], "tabulated up to 30 MeV"),
        (
            ["yield", "--reaction", "18O(p,n)18F", "--energy", "12", "--thickness", "5mm"],
            "stops inside",
        ),
        (["yield", "--reaction", "18O(p,n)18F", "--energy", "12", "--current=-2uA"], "must be ≥ 0"),
        (
            ["yield", "--reaction", "18O(p,n)18F", "--energy", "12", "--enrichment", "1.5"],
            "outside (0, 1]",
        ),
        (["yield", "--reaction", "18O(p,n)18F", "--energy", "3:12"], "not below the entrance"),
        (["stopping", "--material", "unobtainium", "--energy", "5"], "cannot read the formula"),
    ],
)
def test_bad_input_gets_a_message(capsys, argv, message):
    assert main(argv) != 0
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
