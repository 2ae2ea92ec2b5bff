"""NIfTI-1 images (nibabel) with a PET-BIDS JSON sidecar.

NIfTI stores world coordinates in RAS; Positrix works in LPS and converts here, at the
boundary.  Timing, dose and weight live in the sidecar (``name.json`` next to
``name.nii[.gz]``) with the PET-BIDS keys (times in s relative to ``TimeZero``,
``InjectedRadioactivity`` in MBq, ``BodyWeight`` in kg).  BIDS has no room for the date, the
syringe residual or the subject's species, so the sidecar also carries a ``Positrix``
block with those; readers that do not know it ignore it.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from positrix.errors import FileFormatError
from positrix.image.frames import FrameTable
from positrix.image.image import Image
from positrix.image.subject import Subject
from positrix.io.safety import check_writable
from positrix.physics.injection import Injection
from positrix.physics.nuclides import get_nuclide
from positrix.physics.units import parse_iso_datetime

__all__ = ["is_nifti_file", "read_nifti", "sidecar_path", "write_nifti"]

_LPS_RAS = np.diag([-1.0, -1.0, 1.0, 1.0])  # its own inverse


def is_nifti_file(path: Path) -> bool:
    """Whether ``path`` holds NIfTI-1/2 (magic bytes, gzip-compressed or not)."""
    import gzip

    try:
        with open(path, "rb") as handle:
            head = handle.read(2)
        opener = gzip.open if head == b"\x1f\x8b" else open
        with opener(path, "rb") as handle:
            header = handle.read(544)
    except (OSError, EOFError):
        return False
    return header[344:347] in (b"n+1", b"ni1") or header[4:7] == b"n+2"


def sidecar_path(path: Path) -> Path:
    """``name.json`` for ``name.nii`` or ``name.nii.gz``."""
    name = path.name
    stem = name[:-7] if name.endswith(".nii.gz") else name.rsplit(".", 1)[0]
    return path.with_name(stem + ".json")


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _sidecar(image: Image) -> dict[str, Any]:
    frames, injection, subject = image.frames, image.injection, image.subject
    zero = frames.acquisition_start if frames else None
    side: dict[str, Any] = {"Modality": image.modality, "Units": image.unit}
    if frames is not None:
        side["FrameTimesStart"] = frames.start_s.tolist()
        side["FrameDuration"] = frames.duration_s.tolist()
    if zero is not None:
        side["TimeZero"] = zero.strftime("%H:%M:%S")
        side["ScanStart"] = 0.0
    if image.modality == "PT":
        side["ImageDecayCorrected"] = image.decay_reference is not None
        if image.decay_reference is not None and zero is not None:
            side["ImageDecayCorrectionTime"] = (image.decay_reference - zero).total_seconds()
    if injection is not None:
        if injection.tracer:
            side["TracerName"] = injection.tracer
        if injection.nuclide is not None:
            side["TracerRadionuclide"] = injection.nuclide.name.replace("-", "")
        if injection.injection_time is not None and zero is not None:
            side["InjectionStart"] = (injection.injection_time - zero).total_seconds()
        if injection.activity_before_bq is not None and injection.injection_time is not None:
            side["InjectedRadioactivity"] = injection.net_activity_bq / 1e6
            side["InjectedRadioactivityUnits"] = "MBq"
    if subject is not None and subject.weight_g is not None:
        side["BodyWeight"] = subject.weight_g / 1000.0
        side["BodyWeightUnits"] = "kg"
    if image.reconstruction:
        side["ReconMethodName"] = image.reconstruction
    if image.scanner:
        side["ManufacturersModelName"] = image.scanner
    side["Positrix"] = _positrix_block(image)
    return side


def _positrix_block(image: Image) -> dict[str, Any]:
    injection, subject = image.injection, image.subject
    block: dict[str, Any] = {
        "acquisition_start": _iso(image.frames.acquisition_start if image.frames else None),
        "decay_reference": _iso(image.decay_reference),
        "description": image.description,
        "metadata": {k: v for k, v in image.metadata.items() if _jsonable(v)},
    }
    if injection is not None:
        block["injection"] = {
            "nuclide": injection.nuclide.name if injection.nuclide else None,
            "tracer": injection.tracer,
            "injection_time": _iso(injection.injection_time),
            "activity_before_bq": injection.activity_before_bq,
            "activity_before_time": _iso(injection.activity_before_time),
            "residual_bq": injection.residual_bq,
            "residual_time": _iso(injection.residual_time),
        }
    if subject is not None:
        block["subject"] = {
            "id": subject.id,
            "species": subject.species,
            "strain": subject.strain,
            "sex": subject.sex,
            "weight_g": subject.weight_g,
            "date_of_birth": subject.date_of_birth.isoformat() if subject.date_of_birth else None,
        }
    return block


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(value)
    except TypeError:
        return False
    return True


def write_nifti(image: Image, path: str | Path, *, overwrite: bool = False) -> list[Path]:
    """Write ``image`` as NIfTI-1 (float32, RAS) plus its PET-BIDS JSON sidecar.

    Returns
    -------
    list of Path
        The image file and the sidecar.
    """
    import nibabel as nib

    path = Path(path)
    side = sidecar_path(path)
    check_writable([path, side], overwrite=overwrite)
    nii = nib.Nifti1Image(np.asarray(image.data, dtype=np.float32), _LPS_RAS @ image.affine)
    nii.header.set_xyzt_units("mm", "sec")
    nii.header.set_qform(nii.affine, code=1)
    nii.header.set_sform(nii.affine, code=1)
    path.parent.mkdir(parents=True, exist_ok=True)
    nib.save(nii, path)
    side.write_text(json.dumps(_sidecar(image), indent=2) + "\n", encoding="utf-8")
    return [path, side]


def _from_positrix(block: dict[str, Any]) -> tuple[Injection | None, Subject | None]:
    inj = block.get("injection")
    injection = None
    if inj:
        injection = Injection(
            nuclide=get_nuclide(inj["nuclide"]) if inj.get("nuclide") else None,
            tracer=inj.get("tracer"),
            injection_time=parse_iso_datetime(inj.get("injection_time")),
            activity_before_bq=inj.get("activity_before_bq"),
            activity_before_time=parse_iso_datetime(inj.get("activity_before_time")),
            residual_bq=inj.get("residual_bq") or 0.0,
            residual_time=parse_iso_datetime(inj.get("residual_time")),
        )
    sub = block.get("subject")
    subject = None
    if sub:
        birth = sub.get("date_of_birth")
        subject = Subject(
            id=sub.get("id"),
            species=sub.get("species"),
            strain=sub.get("strain"),
            sex=sub.get("sex"),
            weight_g=sub.get("weight_g"),
            date_of_birth=date.fromisoformat(birth) if birth else None,
        )
    return injection, subject


def _from_bids(
    side: dict[str, Any], zero: datetime | None
) -> tuple[Injection | None, Subject | None]:
    """Injection and subject from plain PET-BIDS keys (sidecars not written by Positrix)."""
    injection = None
    if "TracerRadionuclide" in side or "InjectedRadioactivity" in side:
        units = str(side.get("InjectedRadioactivityUnits", "MBq"))
        scale = {"MBq": 1e6, "kBq": 1e3, "Bq": 1.0, "GBq": 1e9, "mCi": 3.7e7}.get(units)
        if scale is None:
            raise FileFormatError(
                f"unknown InjectedRadioactivityUnits '{units}'",
                field="InjectedRadioactivityUnits",
                fix="use MBq, kBq, Bq, GBq or mCi",
            )
        start = side.get("InjectionStart")
        injection = Injection(
            nuclide=get_nuclide(side["TracerRadionuclide"])
            if "TracerRadionuclide" in side
            else None,
            tracer=side.get("TracerName"),
            injection_time=zero + timedelta(seconds=float(start))
            if zero is not None and start is not None
            else None,
            activity_before_bq=float(side["InjectedRadioactivity"]) * scale
            if "InjectedRadioactivity" in side
            else None,
        )
    subject = None
    if "BodyWeight" in side:
        unit = str(side.get("BodyWeightUnits", "kg"))
        grams = {"kg": 1000.0, "g": 1.0, "lb": 453.59237}.get(unit)
        if grams is None:
            raise FileFormatError(
                f"unknown BodyWeightUnits '{unit}'", field="BodyWeightUnits", fix="use kg or g"
            )
        subject = Subject(weight_g=float(side["BodyWeight"]) * grams)
    return injection, subject


def read_nifti(path: str | Path) -> Image:
    """Read a NIfTI image and, if present, its JSON sidecar.

    Without a sidecar the unit is ``"unknown"`` and a 4-D image gets contiguous frames of
    the header's time step (``pixdim[4]`` in its ``xyzt_units``) with an unknown start.
    """
    import nibabel as nib

    path = Path(path)
    try:
        nii: Any = nib.load(path)
        data = nii.get_fdata(dtype=np.float32)  # scaled, and a copy rather than a memmap
    except Exception as err:  # nibabel raises many types for broken files
        raise FileFormatError(
            f"cannot read NIfTI ({err})", source=path, fix="check that the file is complete"
        ) from None
    affine = _LPS_RAS @ nii.affine
    if data.ndim == 5 and data.shape[3] == 1:
        data = data[:, :, :, 0, :]
    if data.ndim == 2:
        data = data[:, :, np.newaxis]
    side_path = sidecar_path(path)
    side: dict[str, Any] = {}
    if side_path.exists():
        try:
            side = json.loads(side_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as err:
            raise FileFormatError(
                f"the JSON sidecar is not valid JSON ({err})",
                source=side_path,
                fix="repair or remove the sidecar",
            ) from None
    return _image_from(data, affine, side, path, _header_step_s(nii))


def _header_step_s(nii: Any) -> float:
    """Frame duration from the header's time step (``pixdim[4]`` with its unit), else 1 s."""
    zooms = nii.header.get_zooms()
    step = float(zooms[3]) if len(zooms) > 3 else 0.0
    unit = nii.header.get_xyzt_units()[1]
    scale = {"msec": 1e-3, "usec": 1e-6, "sec": 1.0}.get(unit, 1.0)
    return step * scale if step > 0 else 1.0


def _image_from(
    data: np.ndarray, affine: np.ndarray, side: dict[str, Any], path: Path, step_s: float
) -> Image:
    block = side.get("Positrix", {})
    zero = parse_iso_datetime(block.get("acquisition_start"))
    if zero is None and "TimeZero" in side:
        clock = datetime.strptime(str(side["TimeZero"])[:8], "%H:%M:%S")
        zero = datetime(1970, 1, 1, clock.hour, clock.minute, clock.second, tzinfo=UTC)
    n_t = data.shape[3] if data.ndim == 4 else 1
    frames = None
    if "FrameTimesStart" in side:
        starts, durations = side["FrameTimesStart"], side.get("FrameDuration")
        if durations is None or len(starts) != n_t or len(durations) != n_t:
            raise FileFormatError(
                f"the sidecar has {len(starts)} frame starts and "
                f"{len(durations or [])} durations but the image has {n_t} frames",
                source=sidecar_path(path),
                field="FrameTimesStart",
                fix="make FrameTimesStart and FrameDuration list one value per frame",
            )
        frames = FrameTable(starts, durations, zero)
    elif data.ndim == 4:
        frames = FrameTable.from_durations([step_s] * n_t, acquisition_start=zero)
    if "Positrix" in side:
        injection, subject = _from_positrix(block)
        reference = parse_iso_datetime(block.get("decay_reference"))
    else:
        injection, subject = _from_bids(side, zero)
        reference = None
        if side.get("ImageDecayCorrected") and zero is not None:
            reference = zero + timedelta(seconds=float(side.get("ImageDecayCorrectionTime", 0)))
    return Image(
        data,
        affine,
        unit=str(side.get("Units") or "unknown"),
        frames=frames,
        decay_reference=reference,
        modality=str(side.get("Modality", "PT" if side else "OT")),
        subject=subject,
        injection=injection,
        scanner=side.get("ManufacturersModelName"),
        reconstruction=side.get("ReconMethodName"),
        description=block.get("description"),
        metadata=block.get("metadata", {}),
    )
