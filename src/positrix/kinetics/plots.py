"""Plots of a fit: data and model against time, and the residuals (units on the axes)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from positrix.kinetics.data import RegionalData
from positrix.kinetics.fitting import FitResult

__all__ = ["plot_fit"]


def plot_fit(result: FitResult, tacs: RegionalData, folder: str | Path) -> Path:
    """Write ``folder/<region>_<model>.png``; returns the path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{result.region}_{result.model}.png"
    t = tacs.sampling.mid_min
    figure, (top, bottom) = plt.subplots(
        2, 1, figsize=(7, 5.5), sharex=True, gridspec_kw={"height_ratios": [3, 1]}
    )
    top.plot(t, tacs.curve(result.region), "o", markersize=3, label=f"{result.region} (data)")
    tac_space = result.model in (
        "1tcm",
        "2tcm",
        "2tcm-irr",
        "srtm",
        "srtm2",
        "mrtm",
        "mrtm2",
        "ma1",
    )  # the other methods fit transformed coordinates
    if tac_space and result.fitted.size == t.size:
        top.plot(t, result.fitted, "-", label=f"{result.model} fit")
        bottom.plot(t, result.residuals, "o", markersize=3)
    bottom.axhline(0.0, color="grey", linewidth=0.8)
    top.set_ylabel("activity (table unit)")
    bottom.set_ylabel("residual")
    bottom.set_xlabel("time (min, frame mid-time)")
    top.legend(fontsize="small")
    title = ", ".join(f"{k} {v:.3g}" for k, v in result.parameters.items() if np.isfinite(v))
    top.set_title(title, fontsize="small")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
