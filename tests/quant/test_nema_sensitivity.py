"""NEMA NU 4 sensitivity from counts and from list-mode events with known rates."""

import argparse
import dataclasses
import json
import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from positrix.cli import nema as nema_cli
from positrix.errors import FileFormatError, MissingFieldError, PositrixError
from positrix.io.events import ListModeEvents, write_events
from positrix.physics.nuclides import get_nuclide
from positrix.quant.nema import nema_sensitivity, read_steps, sensitivity_from_counts

START = datetime(2026, 5, 1, 9, 30, tzinfo=UTC)


def mean_activity(a0, nuclide, start, duration):
    """Mean activity over each step by brute-force averaging of A0·exp(−λt)."""
    lam = math.log(2) / get_nuclide(nuclide).half_life_s
    return np.array(
        [
            a0 * np.exp(-lam * np.linspace(s, s + d, 20001)).mean()
            for s, d in zip(start, duration, strict=True)
        ]
    )


def test_counts_give_the_profile_with_decay_and_branching():
    z = np.arange(-50.0, 51.0, 10.0)
    start, duration = np.arange(z.size) * 130.0, np.full(z.size, 120.0)
    truth = 8.0 - 0.12 * np.abs(z)  # absolute sensitivity, %
    beta = get_nuclide("F-18").beta_plus_fraction
    net = truth / 100 * beta * mean_activity(2e6, "F-18", start, duration) * duration
    delayeds = 0.1 * net
    r = sensitivity_from_counts(net + delayeds, delayeds, start_s=start, duration_s=duration,
                                z_mm=z, activity_bq=2e6, nuclide="F-18")  # fmt: skip
    assert np.allclose(r.absolute_pct, truth, rtol=1e-6)  # F-18 decays 14 % over the steps
    assert r.peak_pct == pytest.approx(8.0) and r.peak_z_mm == 0.0
    assert r.n_mouse_steps == 7 and r.mouse_range_mm == (-35.0, 35.0)
    assert r.mouse_pct == pytest.approx(truth[np.abs(z) <= 35].mean())
    assert r.whole_fov_pct == pytest.approx(truth.mean())
    assert r.sensitivity_cps_per_bq == pytest.approx(truth / 100 * beta)
    # the standard's β+ fraction instead of the table's, and an intrinsic background
    other = sensitivity_from_counts(net + delayeds + 5.0 * duration, delayeds, start_s=start,
                                    duration_s=duration, z_mm=z, activity_bq=2e6,
                                    nuclide="F-18", branching_ratio=0.906,
                                    background_cps=5.0)  # fmt: skip
    assert np.allclose(other.absolute_pct, truth * beta / 0.906, rtol=1e-6)
    shifted = sensitivity_from_counts(net, 0 * net, start_s=start, duration_s=duration, z_mm=z,
                                      activity_bq=2e6, nuclide="F-18", centre_mm=20.0)  # fmt: skip
    assert shifted.mouse_pct == pytest.approx(truth[(z >= -15) & (z <= 55)].mean())


def test_short_range_uses_every_step_and_bad_steps_are_refused():
    r = sensitivity_from_counts([10, 20], [0, 0], start_s=[0, 10], duration_s=[10, 10],
                                z_mm=[0, 30], activity_bq=100.0)  # fmt: skip
    assert r.n_mouse_steps == 2 and r.mouse_pct == r.whole_fov_pct
    with pytest.raises(PositrixError) as err:
        sensitivity_from_counts([1, 1], [0, 0], start_s=[0, 5], duration_s=[10, 10],
                                z_mm=[0, 1], activity_bq=1.0)  # fmt: skip
    assert err.value.field == "start_s" and "overlap" in str(err.value)
    with pytest.raises(PositrixError) as err:
        sensitivity_from_counts([1], [0], start_s=[0], duration_s=[1], z_mm=[0], activity_bq=0)
    assert err.value.field == "activity_bq"


# -- from events ----------------------------------------------------------------------------
STEPS = {"start_s": [0.0, 35.0, 70.0, 105.0, 140.0], "z_mm": [-20.0, -10.0, 0.0, 10.0, 20.0]}
PROMPTS, DELAYEDS, DURATION = [1000, 2000, 4000, 2000, 1000], [100, 150, 300, 150, 100], 30.0


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sens")
    rng = np.random.default_rng(3)
    times, prompt = [], []
    for s, n_p, n_d in zip(STEPS["start_s"], PROMPTS, DELAYEDS, strict=True):
        times += [rng.uniform(s, s + DURATION, n_p + n_d)]
        prompt += [np.arange(n_p + n_d) < n_p]
    for s in STEPS["start_s"][:-1]:  # bed motion between the steps: not counted
        times += [rng.uniform(s + DURATION, s + 35.0, 100)]
        prompt += [np.ones(100, bool)]
    t, p = np.concatenate(times), np.concatenate(prompt)
    zeros = np.zeros(t.size, np.int64)
    events = ListModeEvents(zeros, zeros, zeros, zeros, t, p, "test", START, 170.0, "Na-22")
    write_events(folder / "events.npz", events)
    lines = ["start_s,duration_s,z_mm"]
    lines += [f"{s},{DURATION},{z}" for s, z in zip(STEPS["start_s"], STEPS["z_mm"], strict=True)]
    (folder / "steps.csv").write_text("\n".join(lines) + "\n")
    return folder, events


def expected_pct(activity_bq=1e6):
    net = np.subtract(PROMPTS, DELAYEDS) / DURATION
    a = mean_activity(activity_bq, "Na-22", STEPS["start_s"], [DURATION] * 5)
    return 100 * net / a / get_nuclide("Na-22").beta_plus_fraction


def test_events_give_the_known_sensitivity(files):
    folder, _ = files
    from positrix.io.events import read_events

    r = nema_sensitivity(read_events(folder / "events.npz"), read_steps(folder / "steps.csv"), 1e6)
    assert r.prompts.tolist() == PROMPTS and r.delayeds.tolist() == DELAYEDS
    assert np.allclose(r.absolute_pct, expected_pct(), rtol=1e-9)
    assert r.peak_pct == pytest.approx(expected_pct()[2]) and r.nuclide == "Na-22"
    # a certificate activity from a year before: the source is weaker now, S higher
    year = nema_sensitivity(read_events(folder / "events.npz"), read_steps(folder / "steps.csv"),
                            1e6, activity_measured_at=START - timedelta(days=365))  # fmt: skip
    lam = math.log(2) / get_nuclide("Na-22").half_life_s
    assert year.peak_pct == pytest.approx(r.peak_pct * math.exp(lam * 365 * 86400), rel=1e-9)


def test_events_without_times_or_steps_outside_are_refused(files):
    folder, events = files
    steps = read_steps(folder / "steps.csv")
    timeless = dataclasses.replace(events, time_s=np.zeros(len(events)))
    with pytest.raises(MissingFieldError) as err:
        nema_sensitivity(timeless, steps, 1e6)
    assert err.value.field == "time_ms" and err.value.fix
    short = dataclasses.replace(events, duration_s=200.0)
    (folder / "late.csv").write_text("start_s,duration_s,z_mm\n190,30,0\n")
    with pytest.raises(PositrixError) as err:
        nema_sensitivity(short, read_steps(folder / "late.csv"), 1e6)
    assert err.value.field == "start_s" and "late.csv" in str(err.value)


def test_a_step_table_missing_a_column_is_refused(tmp_path):
    path = tmp_path / "steps.csv"
    path.write_text("start_s,duration_s\n0,30\n")
    with pytest.raises(MissingFieldError) as err:
        read_steps(path)
    assert err.value.field == "z_mm" and "steps.csv" in str(err.value)
    assert "start_s,duration_s,z_mm" in err.value.fix
    path.write_text("start_s\tduration_s\tz_mm\n0\tthirty\t5\n")
    with pytest.raises(FileFormatError) as err:
        read_steps(path)
    assert err.value.field == "duration_s" and "line 2" in str(err.value)


def cli(argv):
    parser = argparse.ArgumentParser(prog="positrix")
    nema_cli.add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args([str(a) for a in argv])
    return args.run(args)


def test_cli(files, capsys, tmp_path):
    folder, _ = files
    argv = ["nema", "sensitivity", folder / "events.npz", "--steps", folder / "steps.csv"]
    assert cli([*argv, "--activity", "1MBq", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["steps"]) == 5 and out["counts"]["prompts"] == sum(PROMPTS)
    assert out["counts"]["net"] == sum(PROMPTS) - sum(DELAYEDS)
    assert out["peak_pct"] == pytest.approx(expected_pct()[2], rel=1e-9)
    assert out["whole_fov_pct"] == pytest.approx(expected_pct().mean(), rel=1e-9)
    assert cli([*argv, "--activity", "27.027uCi"]) == 0  # ≈ 1 MBq
    text = capsys.readouterr().out
    assert "peak" in text and "mouse" in text and "%" in text and "Na-22" in text
    (tmp_path / "bad.csv").write_text("start_s,z_mm\n0,0\n")
    with pytest.raises(MissingFieldError, match="duration_s"):
        cli(["nema", "sensitivity", folder / "events.npz", "--steps", tmp_path / "bad.csv",
             "--activity", "1MBq"])  # fmt: skip
    with pytest.raises(PositrixError) as err:
        cli([*argv, "--activity", "1"])
    assert err.value.field == "--activity"
