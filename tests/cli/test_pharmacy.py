"""``positrix pharmacy``: JSON with units in the keys, the dataset named, bad input answered."""

from __future__ import annotations

import json

import pytest

from positrix.cli.main import main


def test_draw_json_names_the_dataset_and_doubles_over_one_half_life(capsys):
    # F-18 T½ = 6586.2 s = 1 h 49 min 46.2 s: the dose is wanted one half-life after the draw
    assert main(["pharmacy", "draw", "F-18", "--stock", "4GBq@2026-12-07T08:00:00+00:00",
                 "--volume", "10mL", "--dose", "10MBq@2026-12-07T09:49:46.2+00:00",
                 "--at", "2026-12-07T08:00:00+00:00", "--json"]) == 0  # fmt: skip
    out = json.loads(capsys.readouterr().out)
    assert out["dataset"] == "ENSDF"
    assert out["draw_activity_MBq"] == pytest.approx(20.0, rel=1e-9)
    assert out["draw_volume_mL"] == pytest.approx(20.0 / 400.0, rel=1e-9)


def test_rcy_with_icrp107(capsys):
    assert main(["pharmacy", "rcy", "Sc-44", "--start", "1GBq@2026-12-07T08:00+00:00",
                 "--product", "0.5GBq@2026-12-07T11:58:12+00:00", "--dataset", "ICRP-107",
                 "--json"]) == 0  # fmt: skip
    out = json.loads(capsys.readouterr().out)
    # ICRP-107 Sc-44: 14292 s = 3 h 58 min 12 s, one half-life: 50 % → 100 % corrected
    assert out["rcy_percent"] == pytest.approx(50.0, rel=1e-12)
    assert out["rcy_decay_corrected_percent"] == pytest.approx(100.0, rel=1e-9)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            [
                "pharmacy",
                "draw",
                "F-18",
                "--stock",
                "5GBq",
                "--volume",
                "10mL",
                "--dose",
                "10MBq@2026-12-07T10:00+01:00",
                "--at",
                "2026-12-07T09:00+01:00",
            ],
            "no time of measurement",
        ),
        (["pharmacy", "molar", "F-18", "--activity", "5GBq", "--amount-nmol", "0"], "must be > 0"),
        (
            [
                "pharmacy",
                "rcy",
                "Xx-1",
                "--start",
                "1GBq@2026-12-07T08:00+00:00",
                "--product",
                "1GBq@2026-12-07T09:00+00:00",
            ],
            "unknown nuclide",
        ),
        (
            [
                "pharmacy",
                "generator",
                "--calibration",
                "1GBq@2026-12-07T08:00+00:00",
                "--last-elution",
                "2026-12-07T09:00+00:00",
                "--at",
                "2026-12-07T08:30+00:00",
            ],
            "before the previous",
        ),
    ],
)
def test_bad_input_gets_a_message(capsys, argv, message):
    assert main(argv) != 0
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
