"""The study report: one self-contained HTML page and a PDF (WeasyPrint) per study.

Header (animal, tracer, net injected activity and time, uptake time, scanner,
reconstruction), fused PET/CT slices and a coronal MIP at a fixed window with a colour bar in
the report's unit, the VOI table with units, the TAC plot, kinetic results when given, and QC
lines: the activity in the field of view against the injected activity decayed (meaningful
when the whole animal is in the field of view) and the decay reference.
"""

from __future__ import annotations

import base64
import html
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from positrix.image.image import Image
from positrix.io.safety import check_writable
from positrix.quant.label_image import LabelImage

__all__ = ["StudyReport", "activity_in_view", "report_data", "write_study_report"]

_TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass(frozen=True)
class StudyReport:
    """Where the report went."""

    html: Path
    pdf: Path
    data: dict[str, Any] = field(default_factory=dict)


def activity_in_view(pet: Image, frame_index: int = -1) -> tuple[float, float] | None:
    """(activity in the field of view, injected activity decayed to the frame) in Bq for one
    frame of a PET in Bq/mL decay-corrected to the injection, or ``None`` when unknown."""
    from positrix.image.dynamic import decay_correct

    injection = pet.injection
    if injection is None or pet.frames is None or injection.injection_time is None:
        return None
    if pet.unit != "Bq/mL" or injection.nuclide is None:
        return None
    f = frame_index % pet.n_frames
    uncorrected = decay_correct(pet, to=None)
    in_view = float(np.sum(uncorrected.frame_data(f), dtype=np.float64)) * pet.voxel_volume_ml
    start = pet.frames.seconds_from_start(injection.injection_time)
    factor = float(pet.frames.decay_correction_factors(injection.nuclide, reference=start)[f])
    return in_view, injection.net_activity_bq / factor


def _picture(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode()


def _header(pet: Image) -> dict[str, Any]:
    subject, injection, frames = pet.subject, pet.injection, pet.frames
    rows: dict[str, Any] = {}
    if subject is not None:
        rows["animal"] = subject.id or "—"
        rows["species / strain"] = f"{subject.species or '—'} / {subject.strain or '—'}"
        rows["sex"] = subject.sex or "—"
        rows["weight"] = f"{subject.weight_g:.1f} g" if subject.weight_g else "—"
    if injection is not None:
        rows["tracer"] = (
            f"{injection.tracer or '—'} ({injection.nuclide.name if injection.nuclide else '—'})"
        )
        rows["net injected"] = f"{injection.net_activity_bq / 1e6:.3f} MBq"
        if injection.injection_time is not None:
            rows["injected at"] = injection.injection_time.isoformat(timespec="seconds")
            if frames is not None and frames.acquisition_start is not None:
                mid = frames.start_s[-1] + frames.duration_s[-1] / 2
                uptake = (frames.acquisition_start - injection.injection_time).total_seconds() + mid
                rows["uptake (last frame mid)"] = f"{uptake / 60:.1f} min"
    rows["scanner"] = pet.scanner or "—"
    rows["reconstruction"] = pet.reconstruction or "—"
    rows["frames"] = str(pet.n_frames)
    return rows


def _voi_table(pet: Image, labels: LabelImage | None) -> list[dict[str, Any]]:
    from positrix.quant.stats import region_stats

    if labels is None:
        return []
    rows = region_stats(pet, labels.vois(), peak_ml=0.0)
    last = max(r.frame for r in rows)
    return [
        {
            "region": r.region,
            "mean": r.mean,
            "sd": r.sd,
            "max": r.max,
            "volume_ml": r.volume_ml,
            "unit": r.unit,
        }
        for r in rows
        if r.frame == last
    ]


def report_data(pet: Image, *, unit: str, labels: LabelImage | None,
                kinetics: list[dict[str, Any]] | None = None) -> dict[str, Any]:  # fmt: skip
    """Everything the report prints, as plain data (also written as JSON)."""
    from positrix.quant.units import convert_units

    shown = convert_units(pet, unit) if unit != pet.unit else pet
    qc = []
    check = activity_in_view(pet)
    if check is not None:
        qc.append(
            f"activity in the field of view, last frame: {check[0] / 1e6:.3f} MBq; "
            f"injected activity decayed to it: {check[1] / 1e6:.3f} MBq "
            f"(ratio {check[0] / check[1]:.3f})"
        )
    reference = pet.decay_reference.isoformat(timespec="seconds") if pet.decay_reference else None
    qc.append(f"decay reference: {reference or 'none (frame-mean activity, not decay-corrected)'}")
    return {
        "title": f"{pet.subject.id if pet.subject and pet.subject.id else 'study'} — "
        f"{pet.description or 'PET'}",
        "header": _header(pet),
        "unit": unit,
        "vois": _voi_table(shown, labels),
        "kinetics": kinetics or [],
        "qc": qc,
    }


def _figures(pet: Image, ct: Image | None, labels: LabelImage | None, unit: str,
             folder: Path) -> dict[str, str]:  # fmt: skip
    from positrix.quant.tac import extract_tacs, plot_tacs, plot_title
    from positrix.quant.units import convert_units
    from positrix.reports.snapshot import snapshot

    shown = convert_units(pet, unit) if unit != pet.unit else pet
    pictures = {"slices": snapshot(shown, folder / "slices.png", ct=ct, mip=True,
                                   title=f"last frame, {unit}")}  # fmt: skip
    if labels is not None and pet.is_dynamic:
        tacs = extract_tacs(shown, labels.vois())
        pictures["tacs"] = plot_tacs(tacs, folder / "tacs.png", title=plot_title(pet))
    return {name: _picture(path) for name, path in pictures.items()}


def _html(data: dict[str, Any], figures: dict[str, str]) -> str:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    environment = Environment(
        loader=FileSystemLoader(_TEMPLATES), autoescape=select_autoescape(["html"])
    )
    return environment.get_template("study.html").render(d=data, figures=figures, e=html.escape)


def write_study_report(pet: Image, folder: str | Path, *, ct: Image | None = None,
                       labels: LabelImage | None = None, unit: str = "SUVbw",
                       kinetics: list[dict[str, Any]] | None = None,
                       overwrite: bool = False) -> StudyReport:  # fmt: skip
    """Write ``report.html`` (self-contained: pictures embedded) and ``report.pdf`` into
    ``folder``."""
    import json

    from weasyprint import HTML

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    targets = [folder / "report.html", folder / "report.pdf", folder / "report.json"]
    check_writable(targets, overwrite=overwrite)
    data = report_data(pet, unit=unit, labels=labels, kinetics=kinetics)
    with tempfile.TemporaryDirectory() as tmp:
        figures = _figures(pet, ct, labels, unit, Path(tmp))
    page = _html(data, figures)
    targets[0].write_text(page, encoding="utf-8")
    HTML(string=page).write_pdf(targets[1])
    targets[2].write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")
    return StudyReport(targets[0], targets[1], data)
