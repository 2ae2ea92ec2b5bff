"""The cohort report: a value (e.g. %ID/g) per organ and group across animals, as a bar
chart (mean ± SD, every animal as a point, n per group) and a table (n, mean, SD, the
difference of means with its 95 % CI, the test, p and p adjusted over the organs), in HTML
and PDF."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

from positrix.io.safety import check_writable
from positrix.quant.groups import GroupComparison

__all__ = ["cohort_chart", "write_cohort_report"]

_TEMPLATES = Path(__file__).resolve().parent / "templates"


def cohort_chart(results: list[GroupComparison], *, organ: str, value: str, unit: str) -> bytes:
    """PNG: organs along x, one bar per group (mean ± SD) with its animals as points."""
    import numpy as np

    from positrix.figures import pyplot

    plt = pyplot()
    groups = sorted({g.group for r in results for g in r.groups})
    figure, ax = plt.subplots(figsize=(max(6.0, 1.3 * len(results)), 3.6), dpi=110)
    width = 0.8 / max(len(groups), 1)
    for k, name in enumerate(groups):
        xs, means, sds = [], [], []
        for i, result in enumerate(results):
            summary = next((g for g in result.groups if g.group == name), None)
            if summary is None:
                continue
            x = i - 0.4 + width * (k + 0.5)
            xs.append(x)
            means.append(summary.mean)
            sds.append(summary.sd if summary.sd == summary.sd else 0.0)
            count = len(summary.values)
            jitter = np.linspace(-width / 4, width / 4, max(count, 1))[:count]
            ax.plot(x + jitter, summary.values, "o", ms=3, color="black", alpha=0.6)
        n = max((g.n for r in results for g in r.groups if g.group == name), default=0)
        ax.bar(
            xs, means, width=width * 0.9, yerr=sds, capsize=3, label=f"{name} (n ≤ {n})", alpha=0.8
        )
    ax.set_xticks(range(len(results)), [str(r.stratum.get(organ, "")) for r in results])
    ax.set_xlabel(organ)
    ax.set_ylabel(f"{value} ({unit})" if unit else value)
    ax.legend(frameon=False, fontsize=8)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return buffer.getvalue()


def write_cohort_report(results: list[GroupComparison], folder: str | Path, *, organ: str,
                        value: str, unit: str = "", title: str = "Cohort report",
                        overwrite: bool = False) -> tuple[Path, Path]:  # fmt: skip
    """Write ``cohort.html`` (self-contained) and ``cohort.pdf`` into ``folder``."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape
    from weasyprint import HTML

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    targets = (folder / "cohort.html", folder / "cohort.pdf")
    check_writable(list(targets), overwrite=overwrite)
    chart = base64.b64encode(cohort_chart(results, organ=organ, value=value, unit=unit)).decode()
    rows: list[dict[str, Any]] = [
        r.to_dict() | {"organ": r.stratum.get(organ, "")} for r in results
    ]
    environment = Environment(
        loader=FileSystemLoader(_TEMPLATES), autoescape=select_autoescape(["html"])
    )
    page = environment.get_template("cohort.html").render(
        title=title, rows=rows, chart=chart, value=value, unit=unit
    )
    targets[0].write_text(page, encoding="utf-8")
    HTML(string=page).write_pdf(targets[1])
    return targets
