"""Group statistics: Welch's t by its formula, Hedges' g, rank tests, strata and errors."""

import numpy as np
import pytest
from scipy import stats

from positrix.errors import PositrixError
from positrix.quant.groups import compare_groups, hedges_g

ROWS = [{"group": "control", "organ": "tumour", "v": v} for v in (6.1, 5.8, 6.5)] + [
    {"group": "treated", "organ": "tumour", "v": v} for v in (3.2, 2.9, 3.6, 3.0)
]


def test_welch_t_matches_its_formula():
    (result,) = compare_groups(ROWS, value="v", by=["organ"])
    a, b = np.array([6.1, 5.8, 6.5]), np.array([3.2, 2.9, 3.6, 3.0])
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    t = (a.mean() - b.mean()) / np.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))  # Welch–Satterthwaite
    # the second group (treated) against the first: t and Hedges' g both negative
    assert result.test == "welch t" and result.statistic == pytest.approx(-t, rel=1e-12)
    assert result.effect_size < 0
    assert result.p_value == pytest.approx(2 * stats.t.sf(t, df), rel=1e-9)
    control, treated = result.groups
    assert control.n == 3 and treated.n == 4 and control.mean == pytest.approx(6.1333333333)
    assert treated.sem == pytest.approx(b.std(ddof=1) / 2, rel=1e-12)


def test_hedges_g_and_rank_tests():
    # d = 1 (means 2 and 3, pooled SD 1), J = 1 − 3 / (4·6 − 9) = 0.8
    assert hedges_g([1.0, 2.0, 3.0], [2.0, 3.0, 4.0]) == pytest.approx(0.8, rel=1e-12)
    (result,) = compare_groups(ROWS, value="v", test="rank")
    # complete separation of 3 and 4 values: U of the (lower) second group = 0, exact p = 2/35
    assert result.test == "mann-whitney U" and result.statistic == 0.0
    assert result.p_value == pytest.approx(2 / 35, rel=1e-9)


def test_three_groups_and_errors():
    rows = [*ROWS, *({"group": "sham", "organ": "tumour", "v": v} for v in (6.0, 6.2))]
    (result,) = compare_groups(rows, value="v")
    assert result.test == "one-way ANOVA" and np.isnan(result.effect_size)
    with pytest.raises(PositrixError, match="only one group"):
        compare_groups(ROWS[:3], value="v")
    with pytest.raises(PositrixError) as err:
        compare_groups([{**ROWS[0], "v": "high"}, *ROWS[1:]], value="v")
    assert err.value.field == "v" and "line 2" in str(err.value)
    with pytest.raises(PositrixError, match="no column 'w'"):
        compare_groups(ROWS, value="w")


def test_the_difference_and_its_welch_interval():
    from scipy import stats

    from positrix.quant.groups import difference_ci

    a, b = [5.1, 6.0, 6.2, 5.8], [3.0, 3.9, 3.1, 3.4, 2.8]
    d, low, high = difference_ci(a, b)
    # cross-check with scipy's Welch t: the interval holds 0 exactly when p ≥ 0.05
    result = stats.ttest_ind(b, a, equal_var=False)
    interval = result.confidence_interval(0.95)
    assert d == pytest.approx(sum(b) / 5 - sum(a) / 4)
    assert (low, high) == pytest.approx((interval.low, interval.high), rel=1e-10)


def test_holm_and_benjamini_hochberg():
    from scipy import stats

    from positrix.quant.groups import adjust_p

    p = [0.001, 0.02, 0.04, float("nan"), 0.3]
    holm = adjust_p(p, "holm")
    # Holm by hand: sorted 0.001·4, 0.02·3, 0.04·2, 0.3·1, each at least the one before
    assert holm[:3] + holm[4:] == pytest.approx([0.004, 0.06, 0.08, 0.3])
    assert holm[3] != holm[3]  # untested stays NaN
    bh = adjust_p(p, "bh")
    expected = stats.false_discovery_control([0.001, 0.02, 0.04, 0.3], method="bh")
    assert bh[:3] + bh[4:] == pytest.approx(list(expected))
    assert adjust_p(p, "none")[:3] == p[:3]


def test_paired_baseline_against_follow_up():
    from scipy import stats

    from positrix.errors import PositrixError
    from positrix.quant.groups import compare_paired

    base = {"m1": 4.0, "m2": 5.0, "m3": 6.5, "m4": 5.5}
    after = {"m1": 2.5, "m2": 4.1, "m3": 4.0, "m4": 4.4}
    rows = [{"animal": k, "day": "d0", "suv": v} for k, v in base.items()]
    rows += [{"animal": k, "day": "d14", "suv": v} for k, v in after.items()]
    (result,) = compare_paired(rows, value="suv", subject="animal", time="day", baseline="d0")
    expected = stats.ttest_rel(list(after.values()), list(base.values()))
    assert result.test == "paired t"
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-12)
    change = [after[k] - base[k] for k in base]
    assert result.extra["difference"] == pytest.approx(sum(change) / 4)
    interval = expected.confidence_interval(0.95)
    assert (result.extra["ci95_low"], result.extra["ci95_high"]) == pytest.approx(
        (interval.low, interval.high), rel=1e-10
    )
    with pytest.raises(PositrixError, match="lacks one of the two"):
        compare_paired(rows[:-1], value="suv", subject="animal", time="day", baseline="d0")


def test_the_cohort_report_prints_the_table_it_computed(tmp_path, capsys):
    import json
    import subprocess
    from pathlib import Path

    from positrix.cli.main import main
    from tests.conftest import external_tool

    table = Path(__file__).resolve().parents[2] / "docs" / "examples" / "groups.csv"
    assert main(["group", str(table), "--outcome", "suv_mean", "--by", "group", "--unit", "SUVbw",
                 "--report", str(tmp_path / "cohort"), "--json"]) == 0  # fmt: skip
    tumour = next(
        r for r in json.loads(capsys.readouterr().out) if r["stratum"]["organ"] == "tumour"
    )
    pdf = tmp_path / "cohort" / "cohort.pdf"
    command = [external_tool("pdftotext"), str(pdf), "-"]
    text = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    assert f"{tumour['p_adjusted']:.3g}" in text and f"{tumour['ci95_low']:.4g}" in text
    assert "tumour" in text and "liver" in text


def test_outcome_given_as_a_unit_is_compared_per_organ_by_default(tmp_path, capsys):
    """``positrix group TABLE --by group --outcome %ID/g`` (the issue's contract): the unit
    names the pipeline's column, the organ column splits the table without being asked."""
    import json

    import numpy as np

    from positrix.cli.main import main

    values = {
        ("ctl", "liver"): [5.0, 6.0, 7.0],
        ("trt", "liver"): [2.0, 3.0, 4.5],
        ("ctl", "tumour"): [8.0, 9.5, 7.5],
        ("trt", "tumour"): [3.0, 2.5, 4.0],
    }
    lines = ["animal,group,organ,percent_id_per_g"]
    for (group, organ), numbers in values.items():
        lines += [f"{group}{k},{group},{organ},{v}" for k, v in enumerate(numbers)]
    table = tmp_path / "uptake.csv"
    table.write_text("\n".join(lines) + "\n")
    assert main(["group", str(table), "--by", "group", "--outcome", "%ID/g", "--json"]) == 0
    results = json.loads(capsys.readouterr().out)
    assert [r["stratum"] for r in results] == [{"organ": "liver"}, {"organ": "tumour"}]
    assert {r["unit"] for r in results} == {"%ID/g"}
    tumour = results[1]
    means = {g["group"]: g["mean"] for g in tumour["groups"]}
    assert means["ctl"] == pytest.approx(np.mean(values[("ctl", "tumour")]), rel=1e-12)
    assert tumour["difference"] == pytest.approx(  # the second group minus the first
        np.mean(values[("trt", "tumour")]) - np.mean(values[("ctl", "tumour")]), rel=1e-12
    )
    # without the split the same animal ids repeat across organs: refused with the fix
    assert main(["group", str(table), "--outcome", "%ID/g", "--per", "none"]) != 0
    assert "--per" in capsys.readouterr().err
