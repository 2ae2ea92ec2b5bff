"""The design comparison report: NU 4 figures of several scanners side by side — summary
table (CSV too), sensitivity profiles, resolution across the field of view and the NECR
curves — as PNG figures, a self-contained HTML page and its PDF."""

from __future__ import annotations

import base64
import csv
import io
from pathlib import Path
from typing import Any

from positrix.io.safety import check_writable

__all__ = ["SUMMARY_COLUMNS", "design_figures", "summary_rows", "write_design_report"]

_TEMPLATES = Path(__file__).resolve().parent / "templates"
#: Columns of ``designs.csv`` (units in the names).
SUMMARY_COLUMNS = (
    "design",
    "peak_sensitivity_percent",
    "analytic_peak_sensitivity_percent",
    "radial_fwhm_centre_mm",
    "radial_fwhm_5mm_mm",
    "scatter_fraction_mouse",
    "scatter_fraction_rat",
    "peak_necr_mouse_kcps",
    "peak_necr_mouse_activity_MBq",
    "peak_necr_rat_kcps",
    "peak_necr_rat_activity_MBq",
)


def summary_rows(results: dict[str, dict[str, Any]]) -> list[dict[str, str]]:
    """One row per design with :data:`SUMMARY_COLUMNS` (numbers formatted)."""
    rows = []
    for name, stages in results.items():
        points = {p["offset_mm"]: p for p in stages["resolution"]["points"]}
        rates = stages["count_rates"]
        rows.append(
            {
                "design": name,
                "peak_sensitivity_percent": f"{stages['sensitivity']['peak_percent']:.2f}",
                "analytic_peak_sensitivity_percent": (
                    f"{max(stages['sensitivity']['analytic_percent']):.2f}"
                ),
                "radial_fwhm_centre_mm": f"{points[0.0]['radial_mm']:.2f}",
                "radial_fwhm_5mm_mm": f"{points[5.0]['radial_mm']:.2f}",
                "scatter_fraction_mouse": f"{rates['mouse']['scatter_fraction']:.4f}",
                "scatter_fraction_rat": f"{rates['rat']['scatter_fraction']:.4f}",
                "peak_necr_mouse_kcps": f"{rates['mouse']['peak_necr_kcps']:.1f}",
                "peak_necr_mouse_activity_MBq": f"{rates['mouse']['peak_necr_activity_MBq']:.1f}",
                "peak_necr_rat_kcps": f"{rates['rat']['peak_necr_kcps']:.1f}",
                "peak_necr_rat_activity_MBq": f"{rates['rat']['peak_necr_activity_MBq']:.1f}",
            }
        )
    return rows


def _png(figure: Any, plt: Any) -> bytes:
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return buffer.getvalue()


def design_figures(results: dict[str, dict[str, Any]]) -> dict[str, bytes]:
    """PNG figures: ``sensitivity``, ``resolution`` and ``necr`` (every design in each)."""
    from positrix.figures import pyplot

    plt = pyplot()
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    out = {}
    figure, ax = plt.subplots(figsize=(6.4, 3.8), dpi=110)
    for k, (name, stages) in enumerate(results.items()):
        s = stages["sensitivity"]
        colour = colours[k % len(colours)]
        ax.plot(s["z_mm"], s["simulated_percent"], color=colour, label=f"{name} simulated")
        ax.plot(s["z_mm"], s["analytic_percent"], "--", color=colour, label=f"{name} analytic")
    ax.set_xlabel("axial position z (mm)")
    ax.set_ylabel("absolute sensitivity (%)")
    ax.legend(frameon=False, fontsize=7)
    out["sensitivity"] = _png(figure, plt)
    figure, ax = plt.subplots(figsize=(6.4, 3.8), dpi=110)
    for k, (name, stages) in enumerate(results.items()):
        points = stages["resolution"]["points"]
        offsets = [p["offset_mm"] for p in points]
        colour = colours[k % len(colours)]
        for key, style in (("radial_mm", "-o"), ("tangential_mm", "--s"), ("axial_mm", ":^")):
            ax.plot(offsets, [p[key] for p in points], style, ms=3, color=colour,
                    label=f"{name} {key.removesuffix('_mm')}")  # fmt: skip
    ax.set_xlabel("radial offset of the point (mm)")
    ax.set_ylabel("FWHM (mm)")
    ax.legend(frameon=False, fontsize=7, ncol=2)
    out["resolution"] = _png(figure, plt)
    figure, axes = plt.subplots(1, 2, figsize=(9.0, 3.6), dpi=110)
    for ax, phantom in zip(axes, ("mouse", "rat"), strict=True):
        for k, (name, stages) in enumerate(results.items()):
            curve = stages["count_rates"][phantom]
            ax.plot(curve["activity_MBq"], curve["necr_kcps"], "-o", ms=3,
                    color=colours[k % len(colours)], label=name)  # fmt: skip
        ax.set_xscale("log")
        ax.set_xlabel("activity (MBq)")
        ax.set_ylabel("NECR (kcps)")
        ax.set_title(f"{phantom} phantom")
        ax.legend(frameon=False, fontsize=7)
    out["necr"] = _png(figure, plt)
    return out


def write_design_report(
    results: dict[str, dict[str, Any]],
    folder: str | Path,
    *,
    fast: bool = False,
    title: str = "Scanner designs",
    overwrite: bool = False,
) -> list[Path]:
    """Write ``designs.csv``, ``sensitivity.png``, ``resolution.png``, ``necr.png``,
    ``designs.html`` (self-contained) and ``designs.pdf`` into ``folder``."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape
    from weasyprint import HTML

    from positrix import __version__

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    names = ("designs.csv", "sensitivity.png", "resolution.png", "necr.png", "designs.html",
             "designs.pdf")  # fmt: skip
    targets = [folder / n for n in names]
    check_writable(targets, overwrite=overwrite)
    rows = summary_rows(results)
    with targets[0].open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=SUMMARY_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    figures = design_figures(results)
    texts = {
        "sensitivity": "axial sensitivity profiles, simulated and analytic, per design",
        "resolution": "FWHM against radial offset, radial, tangential and axial, per design",
        "necr": "NECR against activity for the mouse and rat phantoms, per design",
    }
    for key, path in zip(("sensitivity", "resolution", "necr"), targets[1:4], strict=True):
        path.write_bytes(figures[key])
    environment = Environment(
        loader=FileSystemLoader(_TEMPLATES), autoescape=select_autoescape(["html"])
    )
    page = environment.get_template("design.html").render(
        title=title,
        fast=fast,
        version=__version__,
        columns=SUMMARY_COLUMNS,
        rows=rows,
        figures=[(k, base64.b64encode(v).decode(), texts[k]) for k, v in figures.items()],
    )
    targets[4].write_text(page, encoding="utf-8")
    HTML(string=page).write_pdf(targets[5])
    return targets
