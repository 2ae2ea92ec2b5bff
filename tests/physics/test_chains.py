import numpy as np
import pytest

from positrix.errors import UnknownNuclideError
from positrix.physics.chains import chain_activities, generator_ingrowth


def test_generator_ingrowth_matches_two_member_bateman():
    # Ga-68 grown in from pure Ge-68: A_d = A_p(0) λd/(λd-λp) (e^-λp t - e^-λd t)
    # (ICRP-107 half-lives, the data set radioactivedecay uses)
    lp, ld = np.log(2) / (270.95 * 86400), np.log(2) / 4062.6
    for hours in (0.5, 1.0, 4.0, 24.0):
        t = hours * 3600
        expected = 1e9 * ld / (ld - lp) * (np.exp(-lp * t) - np.exp(-ld * t))
        assert generator_ingrowth(1e9, t) == pytest.approx(expected, rel=2e-4)


def test_ac225_daughters_reach_equilibrium():
    activities = chain_activities("Ac-225", 1e6, 5 * 86400.0)  # 5 days
    parent = activities["Ac-225"]
    assert parent == pytest.approx(1e6 * 0.5 ** (5 / 9.92), rel=0.01)
    # short-lived daughters: transient equilibrium with the parent
    assert activities["Fr-221"] == pytest.approx(parent, rel=0.01)
    assert activities["Bi-213"] == pytest.approx(parent, rel=0.01)
    assert activities["Po-213"] == pytest.approx(0.978 * parent, rel=0.01)  # 97.8 % branch


def test_unknown_parent():
    with pytest.raises(UnknownNuclideError):
        chain_activities("Zz-1", 1.0, 1.0)


@pytest.mark.parametrize(
    ("parent", "daughter", "branch"),
    # ICRP-107 (radioactivedecay's data): Mo-99 → Tc-99m 87.73 %, Sr-82 → Rb-82 100 %
    [("Mo-99", "Tc-99m", 0.8773), ("Sr-82", "Rb-82", 1.0)],
)
def test_generators_follow_bateman_with_the_branching(parent, daughter, branch):
    import radioactivedecay as rd

    lp = np.log(2) / rd.Nuclide(parent).half_life("s")
    ld = np.log(2) / rd.Nuclide(daughter).half_life("s")
    for hours in (0.1, 6.0, 24.0, 72.0):
        t = hours * 3600
        expected = branch * 1e9 * ld / (ld - lp) * (np.exp(-lp * t) - np.exp(-ld * t))
        # the same dataset and the closed form: 1e-9 relative
        assert generator_ingrowth(1e9, t, parent=parent, daughter=daughter) == pytest.approx(
            expected, rel=1e-9
        )


def test_decay_cli_chain_names_its_dataset(capsys):
    import json

    from positrix.cli.main import main

    assert main(["decay", "Sr-82", "--activity", "2GBq", "--to", "600", "--chain",
                 "--json"]) == 0  # fmt: skip
    out = json.loads(capsys.readouterr().out)
    assert out["chain_dataset"].startswith("ICRP-107")
    # 10 h after a pure Sr-82 source: Rb-82 (76 s) in secular equilibrium, within 1e-6
    assert out["chain_activities_bq"]["Rb-82"] == pytest.approx(
        out["chain_activities_bq"]["Sr-82"], rel=1e-3
    )
