"""Time-activity curves: one value per frame and region, with their frame table and unit.

Table format (CSV or TSV, chosen by the suffix): columns ``frame_start_s,
frame_duration_s, frame_mid_s``, then one column per region (the regional mean); with
``statistics=True`` also ``<region>_sd, _median, _min, _max, _peak, _volume_ml, _n_voxels``.
A ``# unit: …`` comment line above the header states the unit of the values.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from positrix.errors import MissingFieldError, PositrixError
from positrix.image.frames import FrameTable
from positrix.image.image import Image
from positrix.io.safety import check_writable
from positrix.quant.stats import RegionStats, region_stats
from positrix.quant.voi import VOI

__all__ = ["TACs", "extract_tacs", "plot_tacs", "plot_title", "write_tacs"]

_EXTRA = ("sd", "median", "min", "max", "peak", "volume_ml", "n_voxels")


@dataclass(frozen=True, eq=False)
class TACs:
    """Regional time-activity curves.

    Attributes
    ----------
    frames
        Frame timing.
    regions
        Region names, in column order.
    values
        Mean per frame and region, shape ``(n_frames, n_regions)``.
    unit
        Unit of ``values``.
    stats
        The full statistics they came from (for extra columns), or empty.
    """

    frames: FrameTable
    regions: tuple[str, ...]
    values: NDArray[np.float64]
    unit: str
    stats: tuple[RegionStats, ...] = ()

    def curve(self, region: str) -> NDArray[np.float64]:
        """Values of one region, shape ``(n_frames,)``."""
        return self.values[:, self.regions.index(region)]


def _sds(tacs: TACs) -> NDArray[np.float64] | None:
    """Voxel SD per frame and region, shape like ``values``, or ``None`` without stats."""
    if len(tacs.stats) != tacs.values.size:
        return None
    sd = np.array([s.sd for s in tacs.stats]).reshape(len(tacs.regions), -1).T
    return sd if np.all(np.isfinite(sd)) else None


def extract_tacs(image: Image, vois: Sequence[VOI], *, peak_ml: float | None = 0.0) -> TACs:
    """Mean of each VOI in each frame of a dynamic (or static) image."""
    if image.frames is None:
        raise MissingFieldError(
            "a time-activity curve needs frame times",
            source=image.metadata.get("source_path"),
            field="frames",
            fix="load a dynamic image whose file records frame start and duration",
        )
    rows = region_stats(image, vois, peak_ml=peak_ml)
    values = np.array([r.mean for r in rows]).reshape(len(vois), image.n_frames).T
    return TACs(image.frames, tuple(v.name for v in vois), values, image.unit, tuple(rows))


def write_tacs(
    tacs: TACs, path: str | Path, *, statistics: bool = False, overwrite: bool = False
) -> Path:
    """Write the table (``.csv`` comma-separated, ``.tsv`` tab-separated)."""
    path = Path(path)
    check_writable([path], overwrite=overwrite)
    delimiter = "\t" if path.suffix.lower() in (".tsv", ".tab") else ","
    header = ["frame_start_s", "frame_duration_s", "frame_mid_s", *tacs.regions]
    by_key = {(s.region, s.frame): s for s in tacs.stats}
    if statistics:
        header += [f"{r}_{x}" for r in tacs.regions for x in _EXTRA]
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        handle.write(f"# unit: {tacs.unit}\n")
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        f = tacs.frames
        for t in range(f.n_frames):
            times = (f.start_s[t], f.duration_s[t], f.mid_s[t])
            row: list[object] = [repr(float(v)) for v in (*times, *tacs.values[t])]
            if statistics:
                for region in tacs.regions:
                    stat = by_key[(region, t)]
                    row += [getattr(stat, x) for x in _EXTRA]
            writer.writerow(row)
    return path


def plot_title(image: Image) -> str:
    """``"mouse m07 (24.6 g), FDG (F-18), 9.25 MBq injected"`` from what the image records."""
    from positrix.physics.units import format_activity

    parts = []
    subject = image.subject
    if subject is not None and (subject.id or subject.weight_g):
        who = subject.id or "subject"
        parts.append(who + (f" ({subject.weight_g:g} g)" if subject.weight_g else ""))
    injection = image.injection
    if injection is not None:
        nuclide = injection.nuclide.name if injection.nuclide else None
        tracer = injection.tracer or nuclide
        if tracer:
            parts.append(tracer + (f" ({nuclide})" if nuclide and nuclide != tracer else ""))
        try:
            parts.append(f"{format_activity(injection.net_activity_bq)} injected")
        except PositrixError:
            pass
    return ", ".join(parts)


def plot_tacs(
    tacs: TACs,
    path: str | Path,
    *,
    overwrite: bool = False,
    title: str = "",
    log_y: bool = False,
) -> Path:
    """Plot the curves against frame mid-time (min); PNG, PDF or SVG by the suffix.

    Concentrations are shown in kBq/mL or MBq/mL as their size asks (never a 1e7 offset);
    error bars are ± 1 SD of the voxels when the TACs carry their statistics.

    Parameters
    ----------
    tacs
        The curves.
    path
        Output file.
    overwrite
        Replace an existing file.
    title
        Figure title, e.g. :func:`plot_title` of the image.
    log_y
        Logarithmic value axis.
    """
    from positrix.figures import pyplot

    plt = pyplot()

    from positrix.physics.units import readable_concentration

    path = Path(path)
    check_writable([path], overwrite=overwrite)
    figure, axes = plt.subplots(figsize=(7, 4.5))
    minutes = tacs.frames.mid_s / 60.0
    finite = tacs.values[np.isfinite(tacs.values)]
    factor, shown = readable_concentration(tacs.unit, float(np.max(np.abs(finite), initial=0)))
    sds = _sds(tacs)
    for index, region in enumerate(tacs.regions):
        axes.errorbar(
            minutes,
            tacs.values[:, index] * factor,
            yerr=None if sds is None else sds[:, index] * factor,
            marker="o",
            markersize=3,
            capsize=2,
            label=region,
        )
    axes.set_xlabel("time after scan start (min, frame mid-time)")
    axes.set_ylabel(f"mean uptake ({shown})" + ("; bars ± 1 SD" if sds is not None else ""))
    if log_y:
        axes.set_yscale("log")
    if title:
        axes.set_title(title, fontsize="small")
    axes.grid(alpha=0.3)
    axes.legend(fontsize="small", ncols=2)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path
