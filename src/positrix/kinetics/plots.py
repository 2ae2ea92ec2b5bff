"""Plots of a fit: the TAC with the model and residuals, and a graphical method's own plot.

Every fit gets the TAC (frame mid-time in min against activity in the table's unit, scaled
to kBq/mL or MBq/mL where the unit is a concentration) with the fitted curve where the model
predicts the TAC, and its residuals.  Graphical methods (Patlak, Logan, reference Logan and
Patlak) add a second panel in their own linearised coordinates: every frame, the frames after
t* filled, the fitted line and a t* mark.  Flags are printed in red on the figure.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from positrix.kinetics.data import RegionalData
from positrix.kinetics.fitting import FitResult, parameter_unit
from positrix.physics.units import readable_concentration

__all__ = ["plot_fit"]


def _parameters_text(result: FitResult) -> str:
    parts = []
    for name, value in result.parameters.items():
        if np.isfinite(value) and not name.startswith("gamma"):
            unit = parameter_unit(name, result.model)
            mark = " (!)" if result.flagged(name) else ""
            parts.append(f"{name} {value:.3g}" + ("" if unit == "1" else f" {unit}") + mark)
    return ", ".join(parts)


def _tac_panel(
    top: Any, bottom: Any | None, result: FitResult, tacs: RegionalData, log_y: bool
) -> None:
    t = tacs.sampling.mid_min
    data = tacs.curve(result.region)
    unit = tacs.unit or "table unit"
    factor, shown = readable_concentration(unit, float(np.nanmax(np.abs(data))))
    top.plot(t, data * factor, "o", markersize=3, label=f"{result.region} (data)")
    top.set_ylabel(f"activity ({shown})")
    if bottom is None:
        top.set_xlabel("time (min, frame mid-time)")
    else:
        if result.fitted.size == t.size:
            top.plot(t, result.fitted * factor, "-", label=f"{result.model} fit")
            bottom.plot(t, result.residuals * factor, "o", markersize=3)
        bottom.axhline(0.0, color="grey", linewidth=0.8)
        bottom.set_ylabel(f"residual ({shown})")
        bottom.set_xlabel("time (min, frame mid-time)")
    if log_y:
        top.set_yscale("log")
    top.legend(fontsize="small")


def _graphical_panel(axes: Any, residual_axes: Any, result: FitResult) -> None:
    plot = result.graphical
    assert plot is not None
    late = plot.late
    axes.plot(plot.x[~late], plot.y[~late], "o", mfc="none", color="grey", label="before t*")
    axes.plot(plot.x[late], plot.y[late], "o", color="C0", label="fitted frames (≥ t*)")
    slope, intercept = plot.line
    in_time = plot.x_label.startswith("time")  # SUVR: the ratio against time
    if np.isfinite(slope) and np.isfinite(intercept):
        finite = np.isfinite(plot.x)
        start = plot.tstar_min if in_time else 0.0
        xs = np.linspace(start, float(np.max(plot.x[finite])), 50)
        label = "mean over the frames ≥ t*" if in_time else "fitted line"
        axes.plot(xs, slope * xs + intercept, "-", color="C1", label=label)
    if late.any():
        x_star = plot.tstar_min if in_time else float(plot.x[late][0])
        axes.axvline(x_star, color="grey", linestyle=":", linewidth=1)
        axes.annotate(
            f"t* = {plot.tstar_min:g} min",
            (x_star, 0.02),
            xycoords=("data", "axes fraction"),
            fontsize="small",
            color="grey",
        )
    if result.residuals.size == int(late.sum()):
        residual_axes.plot(plot.x[late], result.residuals, "o", color="C0", markersize=3)
    elif np.isfinite(intercept):  # SUVR: the ratio's deviation from its mean
        residual_axes.plot(plot.x[late], plot.y[late] - intercept, "o", color="C0", markersize=3)
    residual_axes.axhline(0.0, color="grey", linewidth=0.8)
    residual_axes.set_ylabel("residual")
    residual_axes.set_xlabel(plot.x_label)
    axes.set_ylabel(plot.y_label)
    axes.set_title(f"{result.model} plot", fontsize="small")
    axes.legend(fontsize="small")


def plot_fit(
    result: FitResult,
    tacs: RegionalData,
    path: str | Path,
    *,
    title: str | None = None,
    log_y: bool = False,
) -> Path:
    """Write the plot of one fit to ``path`` (PNG, PDF or SVG by its suffix).

    Parameters
    ----------
    result
        The fit (its ``graphical`` coordinates add the method's own panel).
    tacs
        The table the fit came from (its ``unit`` labels the activity axis).
    path
        Output file; its folder is created.
    title
        Prefix of the figure title, e.g. ``"mouse 12, FDG, 7.5 MBq"``.
    log_y
        Logarithmic activity axis.

    Returns
    -------
    Path
        ``path``.
    """
    from positrix.figures import pyplot

    plt = pyplot()

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    graphical = result.graphical is not None
    columns = 2 if graphical else 1
    figure = plt.figure(figsize=(6.5 * columns, 5.5))
    grid = figure.add_gridspec(2, columns, height_ratios=[3, 1])
    if graphical:  # the TAC alone on the left; the method's plot and residuals on the right
        _tac_panel(figure.add_subplot(grid[:, 0]), None, result, tacs, log_y)
        right = figure.add_subplot(grid[0, 1])
        _graphical_panel(right, figure.add_subplot(grid[1, 1], sharex=right), result)
    else:
        top = figure.add_subplot(grid[0, 0])
        _tac_panel(top, figure.add_subplot(grid[1, 0], sharex=top), result, tacs, log_y)
    heading = f"{result.region}: {result.model}"
    if title:
        heading = f"{title} — {heading}"
    figure.suptitle(f"{heading}\n{_parameters_text(result)}", fontsize="small")
    if result.flags or not result.converged:
        notes = result.flags if result.converged else (f"FAILED: {result.reason}",)
        figure.text(0.01, 0.01, "\n".join(f"! {n}" for n in notes), color="red", fontsize="x-small")
        figure.tight_layout(rect=(0, 0.04 * len(notes), 1, 1))
    else:
        figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
