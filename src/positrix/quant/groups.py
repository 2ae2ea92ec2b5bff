"""Group statistics of per-animal values: mean, SD, SEM and n per group, and a test between
the groups — parametric (Welch's t-test for two groups, one-way ANOVA for more) or rank-based
(Mann–Whitney U, Kruskal–Wallis H) — with the effect size (Hedges' g) for two groups.

Rows are per animal (or per measurement): a group column, optional stratifying columns
(organ, time point) and a numeric value column, e.g. the tumour SUVmean of each mouse.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from positrix.errors import PositrixError

__all__ = [
    "CORRECTIONS",
    "TESTS",
    "GroupComparison",
    "GroupSummary",
    "adjust_p",
    "compare_groups",
    "compare_paired",
    "difference_ci",
    "hedges_g",
]

#: Tests by name: parametric (Welch's t / one-way ANOVA) and rank-based.
TESTS = ("parametric", "rank")
#: Adjustments of p over several strata (organs): Holm, Benjamini–Hochberg, none.
CORRECTIONS = ("holm", "bh", "none")


@dataclass(frozen=True)
class GroupSummary:
    """One group's values: mean, SD (n − 1), SEM and n, in the value's unit."""

    group: str
    n: int
    mean: float
    sd: float
    sem: float
    values: tuple[float, ...]


@dataclass(frozen=True)
class GroupComparison:
    """Groups of one stratum (e.g. one organ) and the test between them.

    Attributes
    ----------
    stratum
        Values of the stratifying columns (empty when none).
    groups
        Per-group summaries in group order.
    test
        Test used: ``"welch t"``, ``"mann-whitney U"``, ``"one-way ANOVA"``,
        ``"kruskal-wallis H"``, or ``""`` when a group has fewer than two values.
    statistic, p_value
        The test statistic and its two-sided p-value (NaN when not tested).
    effect_size
        Hedges' g of the second group against the first (two groups only, else NaN); the
        t statistic has the same sign.
    note
        Why no test was made, if none was.
    """

    stratum: Mapping[str, str]
    groups: tuple[GroupSummary, ...]
    test: str = ""
    statistic: float = float("nan")
    p_value: float = float("nan")
    effect_size: float = float("nan")
    note: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "stratum": dict(self.stratum),
            "groups": [
                {k: (list(v) if k == "values" else v) for k, v in vars(g).items()}
                for g in self.groups
            ],
            "test": self.test,
            "statistic": self.statistic,
            "p_value": self.p_value,
            "hedges_g": self.effect_size,
            "note": self.note,
            **dict(self.extra),
        }


def hedges_g(a: ArrayLike, b: ArrayLike) -> float:
    """Hedges' g of ``b`` against ``a``: Cohen's d with the pooled SD, small-sample corrected.

    ``g = J · (mean_b − mean_a) / s_pooled`` with ``J = 1 − 3 / (4 (n_a + n_b) − 9)``.

    Examples
    --------
    >>> round(hedges_g([1.0, 2.0, 3.0], [2.0, 3.0, 4.0]), 4)
    0.8
    """
    x, y = np.asarray(a, float), np.asarray(b, float)
    n1, n2 = x.size, y.size
    pooled = np.sqrt(((n1 - 1) * x.var(ddof=1) + (n2 - 1) * y.var(ddof=1)) / (n1 + n2 - 2))
    if pooled == 0:
        return float("nan")  # no spread in either group: an effect size is not defined
    correction = 1.0 - 3.0 / (4.0 * (n1 + n2) - 9.0)
    return float(correction * (y.mean() - x.mean()) / pooled)


def difference_ci(a: ArrayLike, b: ArrayLike, *, level: float = 0.95) -> tuple[float, float, float]:
    """Mean of ``b`` minus mean of ``a`` with its Welch (unequal variances) confidence
    interval: ``d ± t(df) · √(s_a²/n_a + s_b²/n_b)``, df by Welch–Satterthwaite.

    Examples
    --------
    >>> d, low, high = difference_ci([1.0, 2.0, 3.0], [2.0, 3.0, 4.0])
    >>> d, round(low, 3), round(high, 3)
    (1.0, -1.266, 3.266)
    """
    from scipy import stats

    x, y = np.asarray(a, float), np.asarray(b, float)
    va, vb = x.var(ddof=1) / x.size, y.var(ddof=1) / y.size
    d = float(y.mean() - x.mean())
    se = float(np.sqrt(va + vb))
    if se == 0:
        return d, d, d
    df = (va + vb) ** 2 / (va**2 / (x.size - 1) + vb**2 / (y.size - 1))
    half = float(stats.t.ppf(0.5 + level / 2, df)) * se
    return d, d - half, d + half


def adjust_p(p_values: Sequence[float], method: str) -> list[float]:
    """p-values adjusted for testing several strata: ``holm`` (step-down, family-wise error)
    or ``bh`` (Benjamini–Hochberg, false discovery rate; scipy's); ``none`` leaves them.
    Untested strata (NaN) stay NaN and do not count.

    Examples
    --------
    >>> [round(p, 3) for p in adjust_p([0.01, 0.04, 0.03], "holm")]
    [0.03, 0.06, 0.06]
    >>> [round(p, 3) for p in adjust_p([0.01, 0.04, 0.03], "bh")]
    [0.03, 0.04, 0.04]
    """
    from scipy import stats

    if method not in CORRECTIONS:
        raise PositrixError(
            f"unknown correction '{method}'", field="--correction", fix=", ".join(CORRECTIONS)
        )
    values = np.asarray(p_values, float)
    tested = np.flatnonzero(~np.isnan(values))
    out = values.copy()
    if method == "none" or tested.size == 0:
        return [float(v) for v in out]
    p = values[tested]
    if method == "bh":
        out[tested] = stats.false_discovery_control(p, method="bh")
    else:
        order = np.argsort(p)
        m = p.size
        stepped = np.maximum.accumulate(p[order] * (m - np.arange(m)))
        adjusted = np.empty(m)
        adjusted[order] = np.minimum(stepped, 1.0)
        out[tested] = adjusted
    return [float(v) for v in out]


def _summary(group: str, values: NDArray[np.float64]) -> GroupSummary:
    n = values.size
    sd = float(values.std(ddof=1)) if n > 1 else float("nan")
    return GroupSummary(group, n, float(values.mean()), sd, sd / np.sqrt(n), tuple(values))


def _test(samples: list[NDArray[np.float64]], test: str) -> tuple[str, float, float]:
    import warnings

    from scipy import stats

    with warnings.catch_warnings():  # scipy's precision notes on tiny samples: not for users
        warnings.simplefilter("ignore", RuntimeWarning)
        return _run_test(samples, test, stats)


def _run_test(
    samples: list[NDArray[np.float64]], test: str, stats: Any
) -> tuple[str, float, float]:
    if len(samples) == 2:
        # second group against the first: t has the sign of Hedges' g
        if test == "parametric":
            result = stats.ttest_ind(samples[1], samples[0], equal_var=False)
            return "welch t", float(result.statistic), float(result.pvalue)
        result = stats.mannwhitneyu(samples[1], samples[0], alternative="two-sided")
        return "mann-whitney U", float(result.statistic), float(result.pvalue)
    if test == "parametric":
        result = stats.f_oneway(*samples)
        return "one-way ANOVA", float(result.statistic), float(result.pvalue)
    result = stats.kruskal(*samples)
    return "kruskal-wallis H", float(result.statistic), float(result.pvalue)


def _number(row: Mapping[str, Any], value: str, line: int) -> float:
    try:
        number = float(row[value])
    except (KeyError, TypeError, ValueError):
        raise PositrixError(
            f"line {line}: '{row.get(value)}' is not a number",
            field=value,
            fix="write the value as a plain number",
        ) from None
    if not np.isfinite(number):
        raise PositrixError(f"line {line}: the value is not finite", field=value, fix="fill it in")
    return number


def _check_repeats(rows: Sequence[Mapping[str, Any]], group: str, by: Sequence[str]) -> None:
    """An animal counted twice in one group and stratum would inflate n: refuse it."""
    column = next((c for c in ("animal", "subject", "subject_id", "id") if c in rows[0]), None)
    if column is None:
        return
    seen: set[tuple[str, ...]] = set()
    for line, row in enumerate(rows, start=2):
        key = (str(row[group]), *(str(row[c]) for c in by), str(row[column]))
        if key in seen:
            raise PositrixError(
                f"line {line}: {column} '{row[column]}' appears twice in group '{row[group]}'"
                + (f" ({', '.join(by)} alike)" if by else ""),
                field=column,
                fix="split the table with --per (e.g. --per organ) or keep one row per animal",
            )
        seen.add(key)


def compare_groups(
    rows: Sequence[Mapping[str, Any]],
    *,
    value: str,
    group: str = "group",
    by: Sequence[str] = (),
    test: str = "parametric",
    correction: str = "holm",
) -> list[GroupComparison]:
    """Summarise ``value`` per ``group`` within each stratum of ``by`` and test the groups.

    Parameters
    ----------
    rows
        Table rows (column → text or number).
    value
        Numeric column to compare.
    group
        Column naming each row's group.
    by
        Columns that split the table into strata (organ, time point), tested separately.
    test
        ``"parametric"`` (Welch's t for two groups, one-way ANOVA for more) or
        ``"rank"`` (Mann–Whitney U for two, Kruskal–Wallis H for more).
    correction
        p-value adjustment over the strata: ``holm``, ``bh`` or ``none`` (see
        :func:`adjust_p`); two groups also get the difference of means with its Welch 95 %
        confidence interval.

    Returns
    -------
    list of GroupComparison
        One per stratum, sorted.

    Raises
    ------
    PositrixError
        For a missing column, a non-numeric value, fewer than two groups, an unknown test.
    """
    if test not in TESTS:
        raise PositrixError(f"unknown test '{test}'", field="--test", fix="use parametric or rank")
    if not rows:
        raise PositrixError("the table has no rows", field=value, fix="add one row per animal")
    for column in (value, group, *by):
        if column not in rows[0]:
            raise PositrixError(
                f"the table has no column '{column}'",
                field=column,
                fix="columns present: " + ", ".join(rows[0]),
            )
    _check_repeats(rows, group, by)
    strata: dict[tuple[str, ...], dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for line, row in enumerate(rows, start=2):
        key = tuple(str(row[c]) for c in by)
        strata[key][str(row[group])].append(_number(row, value, line))
    out = []
    for key in sorted(strata):
        groups = strata[key]
        if len(groups) < 2:
            raise PositrixError(
                f"only one group ({next(iter(groups))}) in {dict(zip(by, key, strict=True))}",
                field=group,
                fix="give at least two groups to compare",
            )
        names = sorted(groups)
        samples = [np.asarray(groups[n], float) for n in names]
        summaries = tuple(_summary(n, s) for n, s in zip(names, samples, strict=True))
        stratum = dict(zip(by, key, strict=True))
        if min(s.size for s in samples) < 2:
            out.append(GroupComparison(stratum, summaries, note="a group has fewer than 2 values"))
            continue
        constant = all(float(np.ptp(s)) == 0 for s in samples)
        if (test == "parametric" and constant) or float(np.ptp(np.concatenate(samples))) == 0:
            note = "no spread (SD 0 in every group): the test is not defined"
            if test == "parametric":
                note += "; a rank test is (--test rank)"
            out.append(GroupComparison(stratum, summaries, note=note))
            continue
        name, statistic, p = _test(samples, test)
        g = hedges_g(samples[0], samples[1]) if len(samples) == 2 else float("nan")
        extra: dict[str, Any] = {}
        if len(samples) == 2:
            d, low, high = difference_ci(samples[0], samples[1])
            extra = {"difference": d, "ci95_low": low, "ci95_high": high}
        out.append(GroupComparison(stratum, summaries, name, statistic, p, g, extra=extra))
    return _corrected(out, correction)


def _corrected(results: list[GroupComparison], correction: str) -> list[GroupComparison]:
    adjusted = adjust_p([r.p_value for r in results], correction)
    return [
        replace(r, extra={**r.extra, "p_adjusted": a, "correction": correction})
        if correction != "none" and r.test
        else r
        for r, a in zip(results, adjusted, strict=True)
    ]


def compare_paired(
    rows: Sequence[Mapping[str, Any]],
    *,
    value: str,
    subject: str,
    time: str,
    baseline: str,
    by: Sequence[str] = (),
    test: str = "parametric",
    correction: str = "holm",
) -> list[GroupComparison]:
    """Baseline against follow-up per animal (longitudinal): within each stratum, the
    ``subject``'s value at ``baseline`` and at the other time point of column ``time``;
    paired t (scipy's ``ttest_rel``) or Wilcoxon signed-rank, the mean change with its 95 %
    confidence interval; p adjusted over the strata.

    Raises
    ------
    PositrixError
        For a missing column, not exactly two time points, or an animal without both.
    """
    from scipy import stats

    for column in (value, subject, time, *by):
        if rows and column not in rows[0]:
            raise PositrixError(
                f"the table has no column '{column}'",
                field=column,
                fix="columns present: " + ", ".join(rows[0]),
            )
    strata: dict[tuple[str, ...], dict[str, dict[str, float]]] = defaultdict(
        lambda: defaultdict(dict)
    )
    for line, row in enumerate(rows, start=2):
        strata[tuple(str(row[c]) for c in by)][str(row[time])][str(row[subject])] = _number(
            row, value, line
        )
    out = []
    for key in sorted(strata):
        points = strata[key]
        if baseline not in points or len(points) != 2:
            raise PositrixError(
                f"need the baseline '{baseline}' and one follow-up, found {sorted(points)}",
                field=time,
                fix="give two time points per stratum, one of them --baseline",
            )
        follow = next(p for p in points if p != baseline)
        animals = sorted(set(points[baseline]) & set(points[follow]))
        missing = sorted(set(points[baseline]) ^ set(points[follow]))
        if missing:
            raise PositrixError(
                f"animal {missing[0]} lacks one of the two time points",
                field=subject,
                fix="pair every animal or remove it",
            )
        a = np.array([points[baseline][k] for k in animals])
        b = np.array([points[follow][k] for k in animals])
        summaries = (_summary(baseline, a), _summary(follow, b))
        stratum = dict(zip(by, key, strict=True))
        if a.size < 2:
            out.append(GroupComparison(stratum, summaries, note="fewer than 2 animals"))
            continue
        change = b - a
        se = float(change.std(ddof=1) / np.sqrt(change.size))
        half = float(stats.t.ppf(0.975, change.size - 1)) * se
        if test == "parametric":
            result, name = stats.ttest_rel(b, a), "paired t"
        else:
            result, name = stats.wilcoxon(b, a), "wilcoxon signed-rank"
        extra = {
            "difference": float(change.mean()),
            "ci95_low": float(change.mean()) - half,
            "ci95_high": float(change.mean()) + half,
            "pairs": int(change.size),
        }
        out.append(
            GroupComparison(
                stratum, summaries, name, float(result.statistic), float(result.pvalue), extra=extra
            )
        )
    return _corrected(out, correction)
