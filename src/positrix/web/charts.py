"""Charts of the service pages, drawn by matplotlib as inline SVG (labelled axes, units)."""

from __future__ import annotations

import io
from typing import Any

__all__ = ["hours_chart"]


def hours_chart(rows: list[dict[str, Any]], *, by: str, top: int = 25) -> str:
    """Billable and used hours per group as SVG (the ``top`` largest groups for project/PI)."""
    from positrix.figures import pyplot

    if not rows:
        return ""
    shown = rows if by in ("month", "instrument") else sorted(
        rows, key=lambda r: -r["billable_h"])[:top]  # fmt: skip
    plt = pyplot()
    figure, ax = plt.subplots(figsize=(9, 3.2), dpi=90)
    keys = [r["key"] for r in shown]
    positions = range(len(keys))
    ax.bar(
        [p - 0.2 for p in positions],
        [r["billable_h"] for r in shown],
        width=0.4,
        label="billable",
        color="#c0392b",
    )
    ax.bar(
        [p + 0.2 for p in positions],
        [r["used_h"] for r in shown],
        width=0.4,
        label="used",
        color="#7f8c8d",
    )
    ax.set_xticks(list(positions), keys, rotation=60 if len(keys) > 8 else 0, fontsize=8)
    ax.set_xlabel(by)
    ax.set_ylabel("hours (h)")
    ax.legend(frameon=False)
    figure.tight_layout()
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg")
    plt.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg") :]
