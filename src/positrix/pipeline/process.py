"""``positrix process``: a study through a protocol, step by step, with provenance.

Steps: ``images`` (PET and CT to NIfTI), ``vois`` (a label image on the PET grid, or a
threshold), ``tables`` (region statistics of the last frame in each unit), ``tacs``,
``kinetics`` (Patlak with an image-derived input, when the protocol asks), ``report`` (HTML
and PDF).  Each step writes ``OUT/STEP/`` and ``OUT/STEP/provenance.json`` (code version,
parameters, input and output checksums, time).  A re-run skips a step whose code version,
parameters and input checksums are unchanged and whose outputs are intact.  A step is built in
a scratch folder and moved into place only when it succeeds, so a failed step leaves the
earlier outputs (its own included) as they were, and the run reports why it stopped.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from positrix import __version__
from positrix.errors import PositrixError
from positrix.pipeline.protocol import Protocol

__all__ = ["STEPS", "StepResult", "process_study", "resolve_input"]

STEPS = ("images", "vois", "tables", "tacs", "kinetics", "report")


@dataclass(frozen=True)
class StepResult:
    """What a step did: ``done``, ``skipped`` (unchanged) or ``failed`` (with the reason)."""

    step: str
    status: str
    seconds: float
    reason: str = ""


def _checksum(path: Path) -> str:
    from positrix.facility.series import content_sha256

    return content_sha256(path)[0]


def resolve_input(study: Path, spec: str) -> Path:
    """A protocol's input inside the study: a relative path, or ``modality:PT`` (the series
    folder whose DICOM files have that modality, as the node's archive keeps them)."""
    if not spec.startswith("modality:"):
        return study / spec
    import pydicom

    wanted = spec.split(":", 1)[1]
    for folder in sorted(p for p in study.rglob("*") if p.is_dir()):
        first = next(iter(sorted(folder.glob("*.dcm"))), None)
        if first is not None:
            found = pydicom.dcmread(first, stop_before_pixels=True, specific_tags=["Modality"])
            if str(found.get("Modality", "")) == wanted:
                return folder
    raise PositrixError(
        f"no {wanted} series in the study",
        source=study,
        field="input",
        fix="check what the study holds",
    )


@dataclass
class _Context:
    study: Path
    out: Path
    protocol: Protocol

    def step_dir(self, step: str) -> Path:
        return self.out / step

    def pet(self) -> Any:
        from positrix.io import load

        return load(self.out / "images" / "pet.nii.gz")

    def ct(self) -> Any:
        from positrix.io import load

        path = self.out / "images" / "ct.nii.gz"
        return load(path) if path.exists() else None

    def labels(self) -> Any:
        from positrix.quant.labels import load_labels

        return load_labels(self.out / "vois" / "labels.nii.gz")


def _images(ctx: _Context, work: Path) -> None:
    from positrix.io import load, save

    pet = load(resolve_input(ctx.study, ctx.protocol.pet))
    if pet.modality != "PT":
        raise PositrixError(
            f"{ctx.protocol.pet} is {pet.modality}, not PET",
            field="pet",
            source=ctx.study,
            fix="point [input] pet at the PET series",
        )
    save(pet, work / "pet.nii.gz")
    if ctx.protocol.ct:
        save(load(resolve_input(ctx.study, ctx.protocol.ct)), work / "ct.nii.gz")


def _vois(ctx: _Context, work: Path) -> None:
    import numpy as np

    from positrix.quant.label_image import LabelImage
    from positrix.quant.labels import load_labels, save_labels, transfer_voi

    pet = ctx.pet()
    if ctx.protocol.labels:
        source = load_labels(ctx.study / ctx.protocol.labels)
        if source.grid != pet.grid:
            labels = np.zeros(pet.grid.shape, np.int32)
            for number, voi in zip(sorted(source.names), source.vois(), strict=True):
                moved = transfer_voi(voi, pet.grid)
                labels.ravel()[moved.index[moved.weight >= 0.5]] = number
            source = LabelImage(labels, pet.grid, dict(source.names))
        save_labels(source, work / "labels.nii.gz", like=pet)
        return
    last = np.asarray(pet.data if pet.data.ndim == 3 else pet.data[..., -1])
    fraction = ctx.protocol.threshold or 0.5
    mask = (last >= fraction * float(last.max())).astype(np.int32)
    save_labels(
        LabelImage(mask, pet.grid, {1: f"above {fraction:g} of max"}),
        work / "labels.nii.gz",
        like=pet,
    )


def _tables(ctx: _Context, work: Path) -> None:
    import csv

    from positrix.quant.stats import region_stats
    from positrix.quant.units import convert_units

    pet, labels = ctx.pet(), ctx.labels()
    with (work / "uptake.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["region", "unit", "mean", "sd", "max", "volume_ml", "n_voxels"])
        for unit in ctx.protocol.units:
            shown = convert_units(pet, unit) if unit != pet.unit else pet
            rows = region_stats(shown, labels.vois(), peak_ml=0.0)
            last = max(r.frame for r in rows)
            for r in (r for r in rows if r.frame == last):
                writer.writerow(
                    [
                        r.region,
                        unit,
                        f"{r.mean:.6g}",
                        f"{r.sd:.6g}",
                        f"{r.max:.6g}",
                        f"{r.volume_ml:.6g}",
                        r.n_voxels,
                    ]
                )


def _tacs(ctx: _Context, work: Path) -> None:
    from positrix.quant.tac import extract_tacs, plot_tacs, plot_title, write_tacs

    pet = ctx.pet()
    tacs = extract_tacs(pet, ctx.labels().vois())
    write_tacs(tacs, work / "tacs.csv")
    plot_tacs(tacs, work / "tacs.png", title=plot_title(pet))


def kinetic_rows(pet: Any, labels: Any, settings: dict[str, Any]) -> list[dict[str, Any]]:
    """Patlak Ki per region with an image-derived input (rows for the report and JSON)."""
    from positrix.kinetics.fitting import frame_weights, parameter_unit
    from positrix.kinetics.models.patlak import fit_patlak
    from positrix.kinetics.quality import assess
    from positrix.kinetics.sampling import Sampling
    from positrix.quant.idif import image_derived_input
    from positrix.quant.tac import extract_tacs

    vois = {v.name: v for v in labels.vois()}
    name = settings.get("input_region", "heart")
    if name not in vois:
        raise PositrixError(
            f"no region '{name}' for the input",
            field="input_region",
            fix="one of " + ", ".join(vois),
        )
    if pet.frames is None or pet.n_frames < 3:
        raise PositrixError(
            "kinetics needs a dynamic PET",
            field="kinetics",
            fix="remove [kinetics] for a static study",
        )
    inp = image_derived_input(pet, vois[name])
    sampling = Sampling.from_frames(pet.frames)
    tacs = extract_tacs(pet, list(vois.values()))
    rows = []
    for region in settings.get("regions") or [v for v in vois if v != name]:
        curve = tacs.curve(region)
        fit = assess(
            fit_patlak(
                curve,
                inp,
                sampling,
                frame_weights("duration", sampling, curve),
                tstar_min=float(settings.get("tstar_min", 5.0)),
                region=region,
            )
        )
        rows.append(
            {
                "region": region,
                "model": "patlak",
                "parameter": "Ki",
                "value": float(fit.parameters["Ki"]),
                "unit": parameter_unit("Ki", "patlak"),
                "status": fit.status,
                "flags": list(fit.flags),
            }
        )
    return rows


def _kinetics(ctx: _Context, work: Path) -> None:
    rows = kinetic_rows(ctx.pet(), ctx.labels(), ctx.protocol.kinetics or {})
    (work / "kinetics.json").write_text(json.dumps(rows, indent=2), encoding="utf-8")


def _report(ctx: _Context, work: Path) -> None:
    from positrix.reports.study import write_study_report

    kinetics_file = ctx.out / "kinetics" / "kinetics.json"
    kinetics = json.loads(kinetics_file.read_text()) if ctx.protocol.kinetics else None
    write_study_report(
        ctx.pet(),
        work,
        ct=ctx.ct(),
        labels=ctx.labels(),
        unit=ctx.protocol.report_unit,
        kinetics=kinetics,
    )


_RUN: dict[str, Callable[[_Context, Path], None]] = {
    "images": _images,
    "vois": _vois,
    "tables": _tables,
    "tacs": _tacs,
    "kinetics": _kinetics,
    "report": _report,
}


def _inputs(ctx: _Context, step: str) -> list[Path]:
    p = ctx.protocol
    if step == "images":
        found = [resolve_input(ctx.study, p.pet)]
        return found + ([resolve_input(ctx.study, p.ct)] if p.ct else [])
    pet = [ctx.out / "images" / "pet.nii.gz"]
    if step == "vois":
        return pet + ([ctx.study / p.labels] if p.labels else [])
    labels = [ctx.out / "vois" / "labels.nii.gz", ctx.out / "vois" / "labels.tsv"]
    if step == "report":
        extra = [ctx.out / "images" / "ct.nii.gz"] if p.ct else []
        extra += [ctx.out / "kinetics" / "kinetics.json"] if p.kinetics else []
        return pet + labels + extra
    return pet + labels


def _parameters(ctx: _Context, step: str) -> dict[str, Any]:
    p = ctx.protocol
    table: dict[str, dict[str, Any]] = {
        "images": {"pet": p.pet, "ct": p.ct},
        "vois": {"labels": p.labels, "threshold": p.threshold},
        "tables": {"units": list(p.units)},
        "tacs": {},
        "kinetics": p.kinetics or {},
        "report": {"unit": p.report_unit, "kinetics": bool(p.kinetics)},
    }
    return table[step]


def _outputs(folder: Path) -> dict[str, str]:
    return {
        f.name: _checksum(f)
        for f in sorted(folder.iterdir())
        if f.is_file() and f.name != "provenance.json"
    }


def _unchanged(folder: Path, key: str) -> bool:
    record = folder / "provenance.json"
    if not record.exists():
        return False
    try:
        kept = json.loads(record.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return False
    return bool(kept.get("key") == key and kept.get("outputs") == _outputs(folder))


def _run_step(ctx: _Context, step: str) -> StepResult:
    started = time.perf_counter()
    inputs = {
        str(p.relative_to(ctx.study) if p.is_relative_to(ctx.study) else p): _checksum(p)
        for p in _inputs(ctx, step)
    }
    parameters = _parameters(ctx, step)
    key = hashlib.sha256(
        json.dumps([__version__, parameters, inputs], sort_keys=True, default=str).encode()
    ).hexdigest()
    folder = ctx.step_dir(step)
    if _unchanged(folder, key):
        return StepResult(step, "skipped", time.perf_counter() - started)
    ctx.out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{step}-", dir=ctx.out))
    try:
        _RUN[step](ctx, work)
        seconds = time.perf_counter() - started
        record = {
            "step": step,
            "key": key,
            "code_version": __version__,
            "parameters": parameters,
            "inputs": inputs,
            "outputs": _outputs(work),
            "seconds": round(seconds, 3),
        }
        (work / "provenance.json").write_text(json.dumps(record, indent=2), encoding="utf-8")
        old = folder.with_name(f".{step}-old")
        if folder.exists():
            folder.rename(old)
        work.rename(folder)
        shutil.rmtree(old, ignore_errors=True)
        return StepResult(step, "done", seconds)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def process_study(study: str | Path, protocol: Protocol, *, out: str | Path | None = None,
                  log: Callable[[str], None] = print) -> list[StepResult]:  # fmt: skip
    """Run every step of ``protocol`` on ``study`` (outputs in ``out``, default
    ``STUDY/processed``); stops at the first failing step, whose reason is in its result."""
    study = Path(study)
    ctx = _Context(study, Path(out) if out else study / "processed", protocol)
    results = []
    steps = [s for s in STEPS if s != "kinetics" or protocol.kinetics]
    for n, step in enumerate(steps, start=1):
        try:
            result = _run_step(ctx, step)
        except PositrixError as err:
            result = StepResult(step, "failed", 0.0, str(err))
        except Exception as err:  # a step's bug must not hide the earlier results
            result = StepResult(step, "failed", 0.0, f"{type(err).__name__}: {err}")
        results.append(result)
        log(
            f"[{n}/{len(steps)}] {step}: {result.status} ({result.seconds:.1f} s)"
            + (f" — {result.reason}" if result.reason else "")
        )
        if result.status == "failed":
            break
    return results
