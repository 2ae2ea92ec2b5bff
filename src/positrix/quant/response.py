"""Treatment response: PERCIST 1.0 and EORTC 1999 between two time points, and the
preclinical read-out (per-animal % change, treated vs control statistics).

PERCIST 1.0 (Wahl et al., J Nucl Med 2009) on SULpeak: complete metabolic response (CMR)
when the follow-up peak is ≤ the liver mean (given) — "indistinguishable from background"
cannot be judged from numbers, so CMR is only called when ``reference_mean`` is given;
partial (PMR) when the peak falls ≥ 30 % and ≥ 0.8 units; progressive (PMD) when it rises
≥ 30 % and ≥ 0.8 units, or TLG rises ≥ 75 %, or there are new lesions; else stable (SMD).

EORTC (Young et al., Eur J Cancer 1999) on SUVmax: PMR when it falls ≥ 25 % (≥ 15 % after a
single cycle), PMD when it rises > 25 % or there are new lesions, CMR when the follow-up
uptake is ≤ the background (``reference_mean``, when given), else SMD.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from positrix.errors import FileFormatError, PositrixError

__all__ = [
    "GroupComparison",
    "Response",
    "classify_response",
    "compare_groups",
    "load_measurement",
    "percent_change_by_animal",
]


@dataclass(frozen=True)
class Response:
    """A response category with the numbers behind it."""

    criteria: str
    metric: str
    baseline: float
    followup: float
    change_pct: float
    absolute_change: float
    category: str
    reason: str
    unit: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)


def load_measurement(path: str | Path) -> dict[str, Any]:
    """A time point's measurement: the JSON of ``positrix lesion --json`` (plus optional
    ``reference_mean``, ``new_lesions``, ``cycles``)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise FileFormatError(
            f"cannot read the measurement ({err})",
            source=path,
            fix="give the JSON written by 'positrix lesion --json'",
        ) from None
    if not isinstance(data, dict):
        raise FileFormatError("the measurement must be a JSON object", source=path)
    return data


def _value(measurement: Mapping[str, Any], key: str, which: str) -> float:
    value = measurement.get(key)
    if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
        raise PositrixError(
            f"the {which} measurement has no valid '{key}'",
            field=key,
            fix="measure the lesion with 'positrix lesion --json' at both time points",
        )
    return float(value)


def classify_response(
    baseline: Mapping[str, Any], followup: Mapping[str, Any], *, criteria: str = "percist"
) -> Response:
    """Classify the change from ``baseline`` to ``followup`` (dicts of lesion metrics)."""
    criteria = criteria.lower()
    if criteria not in ("percist", "eortc"):
        raise PositrixError(
            f"unknown criteria '{criteria}'", field="--criteria", fix="use percist or eortc"
        )
    metric = "suv_peak" if criteria == "percist" else "suv_max"
    before = _value(baseline, metric, "baseline")
    after = _value(followup, metric, "follow-up")
    if before <= 0:
        raise PositrixError(f"baseline {metric} is 0: no relative change", field=metric)
    units = {str(m.get("unit", "")) for m in (baseline, followup)}
    if len(units) > 1:
        raise PositrixError(
            f"the two measurements are in different units ({' and '.join(sorted(units))})",
            field="unit",
            fix="measure both time points in the same unit (e.g. --unit SUL)",
        )
    unit = units.pop() or ("SUL" if criteria == "percist" else "SUV")
    # rounded so that a change of exactly −30 % (+25 %…) meets its threshold despite floats
    change = round(after - before, 9)
    pct = round(100.0 * (after - before) / before, 9)
    new_lesions = bool(followup.get("new_lesions", False))
    reference = followup.get("reference_mean")
    if criteria == "percist":
        category, reason = _percist(change, pct, baseline, followup, new_lesions, reference, after)
        if unit != "SUL":
            reason = reason.replace("SULpeak", f"{unit} peak") + " (PERCIST is defined on SUL)"
    else:
        cycles = int(followup.get("cycles", 2))
        category, reason = _eortc(pct, new_lesions, reference, after, cycles)
        reason = reason.replace("SUVmax", f"{unit} max")
    return Response(criteria, metric, before, after, pct, change, category, reason, unit)


def _percist(
    change: float,
    pct: float,
    baseline: Mapping[str, Any],
    followup: Mapping[str, Any],
    new: bool,
    reference: Any,
    after: float,
) -> tuple[str, str]:
    if new:
        return "PMD", "new lesions"
    tlg_before, tlg_after = baseline.get("tlg"), followup.get("tlg")
    if (
        isinstance(tlg_before, int | float)
        and isinstance(tlg_after, int | float)
        and tlg_before > 0
    ):
        if tlg_after >= 1.75 * tlg_before:
            return "PMD", f"TLG +{100 * (tlg_after / tlg_before - 1):.0f} % (≥ 75 %)"
    if isinstance(reference, int | float) and after <= reference:
        return "CMR", f"SULpeak {after:.3g} ≤ liver mean {reference:.3g}"
    if pct <= -30.0 and change <= -0.8:
        return "PMR", f"SULpeak {pct:+.1f} % and {change:+.2f} units (≤ −30 % and ≤ −0.8)"
    if pct >= 30.0 and change >= 0.8:
        return "PMD", f"SULpeak {pct:+.1f} % and {change:+.2f} units (≥ +30 % and ≥ +0.8)"
    return "SMD", f"SULpeak {pct:+.1f} %, {change:+.2f} units: neither PMR nor PMD"


def _eortc(pct: float, new: bool, reference: Any, after: float, cycles: int) -> tuple[str, str]:
    if new:
        return "PMD", "new lesions"
    if isinstance(reference, int | float) and after <= reference:
        return "CMR", f"SUVmax {after:.3g} ≤ background {reference:.3g}"
    limit = 15.0 if cycles <= 1 else 25.0
    if pct <= -limit:
        return "PMR", f"SUVmax {pct:+.1f} % (≤ −{limit:.0f} % after {cycles} cycle(s))"
    if pct > 25.0:
        return "PMD", f"SUVmax {pct:+.1f} % (> +25 %)"
    return "SMD", f"SUVmax {pct:+.1f} %: between −{limit:.0f} % and +25 %"


def percent_change_by_animal(
    rows: Sequence[Mapping[str, Any]],
    *,
    value: str,
    baseline: str,
    animal: str = "animal",
    timepoint: str = "timepoint",
) -> list[dict[str, Any]]:
    """Per animal and time point, % change of ``value`` from the animal's ``baseline``.

    Rows are dicts (e.g. from a CSV); every other key is kept.  Animals without a baseline
    row are refused (clear error), not dropped.
    """
    base = {r[animal]: float(r[value]) for r in rows if str(r[timepoint]) == baseline}
    out = []
    for row in rows:
        if row[animal] not in base:
            raise PositrixError(
                f"animal {row[animal]} has no '{baseline}' measurement", field=timepoint
            )
        reference = base[row[animal]]
        change = 100.0 * (float(row[value]) - reference) / reference if reference else np.nan
        out.append({**row, "change_pct": change})
    return out


@dataclass(frozen=True)
class GroupComparison:
    """Treated vs control at one time point."""

    timepoint: str
    value: str
    n_treated: int
    mean_treated: float
    sd_treated: float
    n_control: int
    mean_control: float
    sd_control: float
    test: str
    statistic: float
    p_value: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)


def compare_groups(
    rows: Sequence[Mapping[str, Any]],
    *,
    value: str,
    treated: str,
    control: str,
    group: str = "group",
    timepoint: str = "timepoint",
    test: str = "welch",
) -> list[GroupComparison]:
    """Treated vs control per time point: n, mean ± SD (n − 1) and a two-sided test.

    ``test``: ``"welch"`` (unequal-variance t-test) or ``"mann-whitney"``.
    """
    out = []
    for point in sorted({str(r[timepoint]) for r in rows}):
        a = np.array(
            [float(r[value]) for r in rows if str(r[timepoint]) == point and r[group] == treated]
        )
        b = np.array(
            [float(r[value]) for r in rows if str(r[timepoint]) == point and r[group] == control]
        )
        if a.size < 2 or b.size < 2:
            raise PositrixError(
                f"time point {point}: {a.size} treated and {b.size} control values; a test "
                "needs at least 2 in each group",
                field=group,
            )
        if test == "welch":
            result = stats.ttest_ind(a, b, equal_var=False)
        elif test == "mann-whitney":
            result = stats.mannwhitneyu(a, b, alternative="two-sided")
        else:
            raise PositrixError(
                f"unknown test '{test}'", field="test", fix="use welch or mann-whitney"
            )
        out.append(
            GroupComparison(
                point,
                value,
                a.size,
                float(a.mean()),
                float(a.std(ddof=1)),
                b.size,
                float(b.mean()),
                float(b.std(ddof=1)),
                test,
                float(result.statistic),
                float(result.pvalue),
            )
        )
    return out
