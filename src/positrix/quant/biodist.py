"""Biodistribution: ex-vivo gamma counting → %ID/g and %ID/organ, and group tables.

Gamma-counter table (CSV/TSV), one row per counted tube:

``animal, group, timepoint, organ, weight_g, counts, measured_at``

``counts`` are background-corrected counts per minute (or per the same counting time for
every tube); ``measured_at`` an ISO date-time.  Standards are rows with ``organ =
standard`` and a column ``standard_fraction``: the fraction of one injected dose the
standard holds (e.g. 0.01 for a 1 % standard); a standard serves the rows of its own group
and time point (or every row when its group and time point are empty).  All counts are
decay-corrected to a common time (the first measurement) before use:

``%ID = 100 · counts_dc / (standard_counts_dc / standard_fraction)``,
``%ID/g = %ID / weight_g`` (mean of the standards when there are several).

A table of already computed values (a ``value`` column such as ``percent_id_per_g``, from
images or elsewhere) is summarised the same way: mean ± SD (n − 1) and n per group.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from positrix.errors import FileFormatError, PositrixError
from positrix.io.safety import check_writable
from positrix.physics.decay import decay_constant
from positrix.physics.nuclides import Nuclide
from positrix.physics.units import parse_iso_datetime

__all__ = ["gamma_counter_uptake", "plot_groups", "read_table", "summarise"]

_REQUIRED = ("animal", "group", "timepoint", "organ", "weight_g", "counts", "measured_at")


def read_table(path: str | Path) -> list[dict[str, str]]:
    """Rows of a CSV (``,``) or TSV (tab) table as dicts of text."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as err:
        raise FileFormatError(f"cannot read the table ({err})", source=path) from None
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise FileFormatError(
            "the table is empty", source=path, fix="add a header line and one row per measurement"
        )
    delimiter = "\t" if "\t" in lines[0] else ","
    rows = list(
        csv.DictReader(
            (line for line in text.splitlines() if not line.startswith("#")), delimiter=delimiter
        )
    )
    if not rows:
        raise FileFormatError("the table has no rows", source=path, fix="add a header and rows")
    return rows


def _number(row: Mapping[str, str], key: str, where: str) -> float:
    try:
        return float(row[key])
    except (KeyError, ValueError, TypeError):
        raise PositrixError(
            f"{where}: '{row.get(key)}' is not a number",
            field=key,
            fix=f"write {key} as a plain number (a decimal point, no unit)",
        ) from None


def gamma_counter_uptake(
    rows: Sequence[Mapping[str, str]], nuclide: Nuclide | str
) -> list[dict[str, Any]]:
    """%ID and %ID/g per organ row (standards are used, not returned)."""
    missing = [k for k in _REQUIRED if k not in rows[0]]
    if missing:
        raise PositrixError(
            f"the gamma-counter table lacks the column(s) {', '.join(missing)}",
            field="header",
            fix="columns: " + ", ".join(_REQUIRED) + " (+ standard_fraction for standards)",
        )
    lam = decay_constant(nuclide)
    times = [parse_iso_datetime(r["measured_at"], field="measured_at") for r in rows]
    reference = min(t for t in times if t is not None)

    def corrected(row: Mapping[str, str], when: Any, where: str) -> float:
        if when is None:
            raise PositrixError(f"{where}: no measured_at time", field="measured_at")
        return _number(row, "counts", where) * float(
            np.exp(lam * (when - reference).total_seconds())
        )

    # standards belong to their group and time point (cohorts counted on different days);
    # a standard with an empty group and time point serves every row
    sessions: dict[tuple[str, str], list[float]] = defaultdict(list)
    for number, (row, when) in enumerate(zip(rows, times, strict=True), start=2):
        if row["organ"].strip().lower() == "standard":
            fraction = _number(row, "standard_fraction", f"line {number}")
            key = (row.get("group", "").strip(), row.get("timepoint", "").strip())
            sessions[key].append(corrected(row, when, f"line {number}") / fraction)
    if not sessions:
        raise PositrixError(
            "no standard in the table",
            field="organ",
            fix="add rows with organ=standard and standard_fraction (fraction of one dose)",
        )
    out = []
    for number, (row, when) in enumerate(zip(rows, times, strict=True), start=2):
        if row["organ"].strip().lower() == "standard":
            continue
        key = (row["group"].strip(), row["timepoint"].strip())
        standards = sessions.get(key) or sessions.get(("", ""))
        if not standards:
            raise PositrixError(
                f"line {number}: no standard for group '{key[0]}', time point '{key[1]}'",
                field="organ",
                fix="add a standard row with that group and time point (or one with both "
                "empty to serve every row)",
            )
        weight = _number(row, "weight_g", f"line {number}")
        if weight <= 0:
            raise PositrixError(
                f"line {number}: organ weight must be > 0 g",
                field="weight_g",
                fix="correct the weighed mass (g) of the organ",
            )
        percent = 100.0 * corrected(row, when, f"line {number}") / float(np.mean(standards))
        out.append({**row, "percent_id": percent, "percent_id_per_g": percent / weight})
    return out


def summarise(
    rows: Sequence[Mapping[str, Any]], *, value: str, by: Sequence[str]
) -> list[dict[str, Any]]:
    """Mean, SD (n − 1) and n of ``value`` for each combination of the ``by`` columns."""
    groups: dict[tuple[str, ...], list[float]] = defaultdict(list)
    for row in rows:
        for column in (*by, value):
            if column not in row:
                raise PositrixError(
                    f"the table has no column '{column}'",
                    field=column,
                    fix="a gamma-counter table needs animal, group, timepoint, organ, "
                    "weight_g, counts, measured_at; a table of values needs --value COLUMN "
                    "and the --by columns",
                )
        groups[tuple(str(row[k]) for k in by)].append(float(row[value]))
    out = []
    for key in sorted(groups):
        values = np.asarray(groups[key], dtype=np.float64)
        sd = float(values.std(ddof=1)) if values.size > 1 else float("nan")
        out.append(
            {
                **dict(zip(by, key, strict=True)),
                "value": value,
                "mean": float(values.mean()),
                "sd": sd,
                "n": int(values.size),
            }
        )
    return out


def plot_groups(
    summary: Sequence[Mapping[str, Any]],
    path: str | Path,
    *,
    category: str,
    series: Sequence[str],
    ylabel: str,
    overwrite: bool = False,
    rows: Sequence[Mapping[str, Any]] = (),
    value: str = "",
    log_y: bool = False,
) -> Path:
    """Grouped bar chart: bars per ``category`` (e.g. organ), one colour per ``series``
    combination (e.g. group and time point), mean with ± SD error bars and n above each bar;
    with ``rows`` (the individual animals' ``value``), each animal as a point on its bar."""
    from positrix.figures import pyplot

    plt = pyplot()

    path = Path(path)
    check_writable([path], overwrite=overwrite)
    categories = sorted({str(r[category]) for r in summary})
    labels = sorted({" / ".join(str(r[s]) for s in series) for r in summary})
    width = 0.8 / max(len(labels), 1)
    figure, axes = plt.subplots(
        figsize=(max(6, 1.2 * len(categories) * max(1, len(labels) / 2)), 4.5)
    )
    x = np.arange(len(categories))
    rng = np.random.default_rng(0)  # fixed jitter: the same picture every run

    def key(r: Mapping[str, Any]) -> str:
        return " / ".join(str(r[s]) for s in series)

    for offset, label in enumerate(labels):
        means, sds, counts = [], [], []
        for name in categories:
            match = [r for r in summary if str(r[category]) == name and key(r) == label]
            means.append(match[0]["mean"] if match else np.nan)
            sds.append(match[0]["sd"] if match else np.nan)
            counts.append(match[0]["n"] if match else 0)
        positions = x + (offset - (len(labels) - 1) / 2) * width
        bars = axes.bar(positions, means, width, yerr=sds, capsize=3, label=label, alpha=0.8)
        for bar, n, sd in zip(bars, counts, sds, strict=True):
            if n:
                top = bar.get_height() + (sd if np.isfinite(sd) else 0.0)
                axes.annotate(f"n={n}", (bar.get_x() + bar.get_width() / 2, top),
                              ha="center", va="bottom", fontsize="x-small")  # fmt: skip
        for position, name in zip(positions, categories, strict=True):
            points = [float(r[value]) for r in rows
                      if str(r.get(category)) == name and key(r) == label]  # fmt: skip
            if points:
                jitter = rng.uniform(-0.25, 0.25, len(points)) * width
                axes.plot(position + jitter, points, "o", color="black", markersize=3)
    axes.set_xticks(x, categories, rotation=30, ha="right")
    axes.set_ylabel(ylabel + " (bars: mean ± SD; points: animals)")
    if log_y:
        axes.set_yscale("log")
    axes.legend(fontsize="small")
    axes.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path
