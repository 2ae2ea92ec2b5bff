"""The design comparison report: NU 4 figures of several scanners side by side — summary
table (CSV too), sensitivity profiles, resolution across the field of view, the NECR
curves and the image-quality phantom (recovery coefficients, slices) — as PNG figures, a
self-contained HTML page and its PDF."""

from __future__ import annotations

import base64
import csv
import io
from pathlib import Path
from typing import Any

from positrix.io.safety import check_writable

__all__ = ["IQ_COLUMNS", "SUMMARY_COLUMNS", "design_figures", "summary_rows", "write_design_report"]

_TEMPLATES = Path(__file__).resolve().parent / "templates"
_RODS = ("1", "2", "3", "4", "5")
#: The image-quality columns of ``designs.csv`` (empty where the phantom does not fit).
IQ_COLUMNS = (
    "iq_uniformity_pct_std",
    *(f"iq_rc_{d}mm" for d in _RODS),
    "iq_sor_water",
    "iq_sor_air",
)
_FILES = (
    "designs.csv",
    "sensitivity.png",
    "resolution.png",
    "necr.png",
    "recovery.png",
    "iq_slices.png",
    "designs.html",
    "designs.pdf",
)
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
    *IQ_COLUMNS,
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
                **_iq_cells(stages.get("image_quality")),
            }
        )
    return rows


def _iq_cells(iq: dict[str, Any] | None) -> dict[str, str]:
    """The IQ columns of one design (empty strings when not measured)."""
    if not iq or not iq.get("measured"):
        return dict.fromkeys(IQ_COLUMNS, "")
    return {
        "iq_uniformity_pct_std": f"{iq['uniformity_pct_std']:.2f}",
        **{f"iq_rc_{d}mm": f"{iq['rc'][d]:.3f}" for d in _RODS},
        "iq_sor_water": f"{iq['sor']['water']:.3f}",
        "iq_sor_air": f"{iq['sor']['air']:.3f}",
    }


def iq_notes(results: dict[str, dict[str, Any]]) -> list[str]:
    """One line per design on its image-quality acquisition, or why it has none."""
    notes = []
    for name, stages in results.items():
        iq = stages.get("image_quality") or {"measured": False, "reason": "not computed"}
        if iq["measured"]:
            notes.append(
                f"{name}: {iq['activity_MBq']:.1f} MBq F-18, {iq['duration_s'] / 60:.0f} min, "
                f"{iq['prompts']:.3g} prompts, {iq['reconstruction']}, "
                f"{iq['voxel_mm']:.2f} mm voxels; uniform mean / truth "
                f"{iq['uniform_mean_ratio']:.3f}"
            )
        else:
            notes.append(f"{name}: image quality not measured — {iq['reason']}")
    return notes


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
    measured = {
        name: stages["image_quality"]
        for name, stages in results.items()
        if (stages.get("image_quality") or {}).get("measured")
    }
    out["recovery"] = _recovery_figure(measured, plt, colours)
    out["iq_slices"] = _slices_figure(measured, plt)
    return out


def _recovery_figure(measured: dict[str, dict[str, Any]], plt: Any, colours: list) -> bytes:
    """Recovery coefficient against rod diameter, ±SD (from ``rc_pct_std``), per design."""
    figure, ax = plt.subplots(figsize=(6.4, 3.8), dpi=110)
    diameters = [float(d) for d in _RODS]
    for k, (name, iq) in enumerate(measured.items()):
        rc = [iq["rc"][d] for d in _RODS]
        sd = [iq["rc"][d] * iq["rc_pct_std"][d] / 100.0 for d in _RODS]
        ax.errorbar(diameters, rc, yerr=sd, fmt="-o", ms=3, capsize=3,
                    color=colours[k % len(colours)], label=name)  # fmt: skip
    if not measured:
        ax.text(0.5, 0.5, "no design holds the IQ phantom", ha="center", transform=ax.transAxes)
    ax.axhline(1.0, color="0.6", lw=0.8)
    ax.set_xlabel("rod diameter (mm)")
    ax.set_ylabel("recovery coefficient (1)")
    ax.set_xlim(0.5, 5.5)
    if measured:
        ax.legend(frameon=False, fontsize=7)
    return _png(figure, plt)


def _slices_figure(measured: dict[str, dict[str, Any]], plt: Any) -> bytes:
    """Mean transverse slices through the rods and the cold inserts, one row per design."""
    import numpy as np

    rows = max(len(measured), 1)
    figure, axes = plt.subplots(rows, 2, figsize=(6.4, 3.0 * rows), dpi=110, squeeze=False)
    for row, (name, iq) in zip(axes, measured.items(), strict=False):
        for ax, key, label in zip(row, ("rods_slice", "inserts_slice"), ("rods", "inserts"),
                                  strict=True):  # fmt: skip
            data = np.asarray(iq[key]) / 1000.0
            half = data.shape[0] * iq["voxel_mm"] / 2.0
            shown = ax.imshow(data.T, origin="lower", cmap="gray_r",
                              extent=(-half, half, -half, half))  # fmt: skip
            figure.colorbar(shown, ax=ax, label="kBq/mL", shrink=0.8)
            ax.set_title(f"{name}: {label}", fontsize=8)
            ax.set_xlabel("x (mm)")
            ax.set_ylabel("y (mm)")
    if not measured:
        for ax in axes[0]:
            ax.set_axis_off()
        axes[0][0].text(0.5, 0.5, "no design holds the IQ phantom", ha="center")
    return _png(figure, plt)


def write_design_report(
    results: dict[str, dict[str, Any]],
    folder: str | Path,
    *,
    fast: bool = False,
    title: str = "Scanner designs",
    overwrite: bool = False,
) -> list[Path]:
    """Write ``designs.csv``, ``sensitivity.png``, ``resolution.png``, ``necr.png``,
    ``recovery.png``, ``iq_slices.png``, ``designs.html`` (self-contained) and
    ``designs.pdf`` into ``folder``."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape
    from weasyprint import HTML

    from positrix import __version__

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    targets = [folder / n for n in _FILES]
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
        "recovery": "NU 4 image quality: recovery coefficient against rod diameter, per design",
        "iq_slices": "NU 4 image quality: mean slices through the rods and the cold inserts",
    }
    for key, path in zip(texts, targets[1:6], strict=True):
        path.write_bytes(figures[key])
    environment = Environment(
        loader=FileSystemLoader(_TEMPLATES), autoescape=select_autoescape(["html"])
    )
    page = environment.get_template("design.html").render(
        title=title,
        fast=fast,
        version=__version__,
        tables=[
            ("NU 4 sensitivity, resolution and count rates", SUMMARY_COLUMNS[: -len(IQ_COLUMNS)]),
            ("NU 4 image quality", ("design", *IQ_COLUMNS)),
        ],
        rows=rows,
        iq_notes=iq_notes(results),
        figures=[(k, base64.b64encode(v).decode(), texts[k]) for k, v in figures.items()],
    )
    targets[6].write_text(page, encoding="utf-8")
    HTML(string=page).write_pdf(targets[7])
    return targets
