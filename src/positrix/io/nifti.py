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
import logging
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from positrix.errors import FileFormatError, MissingFieldError, PositrixError
from positrix.image.frames import FrameTable
from positrix.image.image import Image
from positrix.image.subject import Subject
from positrix.io.dicom.codes import DICOM_TO_UNIT
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
            "height_cm": subject.height_cm,
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
    if image.is_dynamic and image.frames is not None:
        # pixdim[4]: the frame duration when all are equal (the sidecar has each frame's)
        durations = image.frames.duration_s
        if np.allclose(durations, durations[0]):
            nii.header["pixdim"][4] = float(durations[0])
    nii.header.set_qform(nii.affine, code=1)
    nii.header.set_sform(nii.affine, code=1)
    try:  # build the sidecar before writing anything, so that a refusal leaves nothing
        text = json.dumps(_sidecar(image), indent=2, allow_nan=False) + "\n"
    except ValueError:
        raise FileFormatError(
            "a value of the image's metadata is not finite (NaN or infinite)",
            source=side,
            fix="correct the subject or injection values (positrix edit)",
        ) from None
    path.parent.mkdir(parents=True, exist_ok=True)
    nib.save(nii, path)
    side.write_text(text, encoding="utf-8")
    return [path, side]


def _nuclide(name: Any, path: Path, field: str) -> Any:
    """The nuclide named in the sidecar; an unknown name is refused naming file and key."""
    try:
        return get_nuclide(str(name))
    except PositrixError as err:
        raise FileFormatError(
            err.problem, source=sidecar_path(path), field=field, fix=err.fix
        ) from None


def _block_value(
    section: dict[str, Any], key: str, path: Path, *, positive: bool = False
) -> float | None:
    """A number of the Positrix block (``None`` if absent), checked for type and sign."""
    value = section.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not np.isfinite(value):
        raise FileFormatError(
            f"'{value}' is not a number",
            source=sidecar_path(path),
            field=f"Positrix.{key}",
            fix="write the value as a JSON number (or repair the file with positrix edit)",
        )
    if value < 0 or (positive and value == 0):
        raise FileFormatError(
            f"{key} is {value}: it must be {'> 0' if positive else '≥ 0'}",
            source=sidecar_path(path),
            field=f"Positrix.{key}",
            fix="correct the value (positrix edit sets subject and injection values)",
        )
    return float(value)


def _block_time(section: dict[str, Any], key: str, path: Path) -> datetime | None:
    try:
        return parse_iso_datetime(section.get(key), field=f"Positrix.{key}")
    except PositrixError as err:
        raise FileFormatError(
            err.problem, source=sidecar_path(path), field=err.field, fix=err.fix
        ) from None


def _from_positrix(block: dict[str, Any], path: Path) -> tuple[Injection | None, Subject | None]:
    inj = block.get("injection")
    injection = None
    if inj:
        injection = Injection(
            nuclide=_nuclide(inj["nuclide"], path, "Positrix.nuclide")
            if inj.get("nuclide")
            else None,
            tracer=inj.get("tracer"),
            injection_time=_block_time(inj, "injection_time", path),
            activity_before_bq=_block_value(inj, "activity_before_bq", path),
            activity_before_time=_block_time(inj, "activity_before_time", path),
            residual_bq=_block_value(inj, "residual_bq", path) or 0.0,
            residual_time=_block_time(inj, "residual_time", path),
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
            weight_g=_block_value(sub, "weight_g", path, positive=True),
            date_of_birth=date.fromisoformat(birth) if birth else None,
            height_cm=_block_value(sub, "height_cm", path, positive=True),
        )
    return injection, subject


def _contradiction(path: Path, key: str, bids: str, ours: str) -> FileFormatError:
    return FileFormatError(
        f"the sidecar contradicts itself: {key} says {bids}, its Positrix block {ours}",
        source=sidecar_path(path),
        field=key,
        fix=f"correct {key} or the Positrix block so that they agree (or remove {key})",
    )


def _check_agreement(
    side: dict[str, Any], injection: Injection | None, subject: Subject | None, path: Path
) -> None:
    """The PET-BIDS keys must agree with the Positrix block they duplicate."""
    if "TracerRadionuclide" in side:
        nuclide = _nuclide(side["TracerRadionuclide"], path, "TracerRadionuclide")
        ours = injection.nuclide if injection is not None else None
        if ours is None or ours.name != nuclide.name:
            raise _contradiction(
                path, "TracerRadionuclide", nuclide.name, ours.name if ours else "nothing"
            )
    activity = _scaled(side, "InjectedRadioactivity", path, _ACTIVITY, "MBq")
    if activity is not None:
        try:
            ours_bq = injection.net_activity_bq if injection is not None else None
        except MissingFieldError:
            ours_bq = None
        except PositrixError as err:
            raise err.with_source(sidecar_path(path)) from None
        if ours_bq is None or not np.isclose(activity, ours_bq, rtol=1e-6):
            shown = f"{ours_bq / 1e6:.6g} MBq" if ours_bq is not None else "nothing"
            raise _contradiction(path, "InjectedRadioactivity", f"{activity / 1e6:.6g} MBq", shown)
    weight = _scaled(side, "BodyWeight", path, _MASS, "kg")
    if weight is not None:
        ours_g = subject.weight_g if subject is not None else None
        if ours_g is None or not np.isclose(weight, ours_g, rtol=1e-6):
            shown = f"{ours_g:g} g" if ours_g is not None else "nothing"
            raise _contradiction(path, "BodyWeight", f"{weight:g} g", shown)


def _number(side: dict[str, Any], key: str, path: Path) -> float | None:
    """A numeric sidecar value, ``None`` if absent; a clear error if it is not a number."""
    value = side.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FileFormatError(
            f"'{value}' is not a number",
            source=sidecar_path(path),
            field=key,
            fix="write the value as a JSON number; its unit goes in the matching *Units key",
        )
    return float(value)


def _numbers(side: dict[str, Any], key: str, path: Path, n: int) -> list[float] | None:
    values = side.get(key)
    if values is None:
        return None
    if (
        not isinstance(values, list)
        or len(values) != n
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
    ):
        raise FileFormatError(
            f"expected a list of {n} numbers (one per frame), got {values!r:.60}",
            source=sidecar_path(path),
            field=key,
            fix="list one number per frame of the image",
        )
    return [float(v) for v in values]


def _scaled(
    side: dict[str, Any], key: str, path: Path, units: dict[str, float], default: str
) -> float | None:
    value = _number(side, key, path)
    if value is None:
        return None
    unit = str(side.get(f"{key}Units", default))
    if unit not in units:
        raise FileFormatError(
            f"unknown unit '{unit}'",
            source=sidecar_path(path),
            field=f"{key}Units",
            fix="use one of " + ", ".join(units),
        )
    if value == 0:
        return None  # 0 is how many tools write "not entered"
    if value < 0:
        raise FileFormatError(
            f"{key} is {value} {unit}: it must be > 0",
            source=sidecar_path(path),
            field=key,
            fix="correct the value in the sidecar",
        )
    return value * units[unit]


_ACTIVITY = {"MBq": 1e6, "kBq": 1e3, "Bq": 1.0, "GBq": 1e9, "mCi": 3.7e7, "uCi": 3.7e4}
_MASS = {"kg": 1000.0, "g": 1.0, "lb": 453.59237}


def _from_bids(
    side: dict[str, Any], zero: datetime | None, path: Path
) -> tuple[Injection | None, Subject | None]:
    """Injection and subject from plain PET-BIDS keys (sidecars not written by Positrix)."""
    injection = None
    if "TracerRadionuclide" in side or "InjectedRadioactivity" in side:
        start = _number(side, "InjectionStart", path)
        injection = Injection(
            nuclide=_nuclide(side["TracerRadionuclide"], path, "TracerRadionuclide")
            if "TracerRadionuclide" in side
            else None,
            tracer=side.get("TracerName"),
            injection_time=zero + timedelta(seconds=start)
            if zero is not None and start is not None
            else None,
            activity_before_bq=_scaled(side, "InjectedRadioactivity", path, _ACTIVITY, "MBq"),
        )
    weight = _scaled(side, "BodyWeight", path, _MASS, "kg")
    subject = Subject(weight_g=weight) if weight is not None else None
    return injection, subject


def _bids_zero(side: dict[str, Any]) -> datetime | None:
    """Time zero of a plain BIDS sidecar: TimeZero (or dcm2niix's AcquisitionTime). BIDS
    keeps no date, so the date is set to 1970-01-01; only time differences are used."""
    for key in ("TimeZero", "AcquisitionTime", "SeriesTime"):
        text = str(side.get(key) or "")
        match = re.match(r"^(\d{1,2}):(\d{1,2}):(\d{1,2})(\.\d+)?$", text.strip())
        if match:
            micro = round(float(match[4] or 0) * 1e6)
            return datetime(
                1970, 1, 1, int(match[1]), int(match[2]), int(match[3]), micro, tzinfo=UTC
            )
    return None


def _bids_decay_reference(
    side: dict[str, Any],
    zero: datetime | None,
    injection: Injection | None,
    unit: str,
    path: Path,
) -> datetime | None:
    """The decay reference of a plain BIDS sidecar; refuses to guess when it is not stated."""
    corrected = side.get("ImageDecayCorrected")
    if corrected is None and "DecayCorrection" in side:  # older dcm2niix: the DICOM value
        code = str(side["DecayCorrection"]).upper()
        if code == "ADMIN" and injection is not None and injection.injection_time is not None:
            return injection.injection_time
        corrected = code == "START"
    if corrected is None:
        if unit in ("Bq/mL", "kBq/mL", "MBq/mL"):
            raise FileFormatError(
                "the sidecar does not say whether the image is decay corrected",
                source=sidecar_path(path),
                field="ImageDecayCorrected",
                fix="add ImageDecayCorrected (true/false) and ImageDecayCorrectionTime",
            )
        return None
    if not corrected:
        return None
    if zero is None:
        raise FileFormatError(
            "the image is decay corrected but the sidecar gives no time zero",
            source=sidecar_path(path),
            field="TimeZero",
            fix="add TimeZero (hh:mm:ss)",
        )
    offset = _number(side, "ImageDecayCorrectionTime", path) or 0.0
    return zero + timedelta(seconds=offset)


def read_nifti(path: str | Path) -> Image:
    """Read a NIfTI image and, if present, its JSON sidecar.

    Without a sidecar the unit is ``"unknown"`` and a 4-D image gets contiguous frames of
    the header's time step (``pixdim[4]`` in its ``xyzt_units``) with an unknown start.
    """
    import nibabel as nib

    path = Path(path)
    nibabel_log = logging.getLogger("nibabel.global")
    level = nibabel_log.level
    try:
        nibabel_log.setLevel(logging.CRITICAL + 1)  # header problems get our own error
        nii: Any = nib.load(path)
        data = nii.get_fdata(dtype=np.float32)  # scaled, and a copy rather than a memmap
    except Exception as err:  # nibabel raises many types for broken files
        reason = " ".join(str(err).split())
        raise FileFormatError(
            f"cannot read NIfTI ({reason})", source=path, fix="check that the file is complete"
        ) from None
    finally:
        nibabel_log.setLevel(level)
    _check_voxel_size(nii, path)
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


def _check_voxel_size(nii: Any, path: Path) -> None:
    """Refuse a header with no orientation (qform and sform codes 0) and voxel sizes ≤ 0:
    nibabel would silently take 1 mm voxels."""
    import nibabel as nib

    header = nii.header
    if isinstance(header, nib.Nifti1Header) and not isinstance(header, nib.Nifti2Header):
        with nib.openers.ImageOpener(str(path)) as handle:  # unfixed: nibabel sets 0 to 1
            header = nib.Nifti1Header.from_fileobj(handle, check=False)
    pixdim = np.asarray(header["pixdim"][1:4], dtype=np.float64)
    coded = int(header["qform_code"]) > 0 or int(header["sform_code"]) > 0
    if not coded and not np.all(pixdim > 0):
        raise FileFormatError(
            f"the header gives voxel sizes {pixdim.tolist()} mm and no qform/sform, so "
            "the voxel size is unknown",
            source=path,
            field="pixdim",
            fix="set pixdim[1:4] to the voxel size in mm (or a qform/sform) and write it again",
        )


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
    if not isinstance(side, dict) or not isinstance(side.get("Positrix", {}), dict):
        raise FileFormatError(
            "the sidecar must be a JSON object (and its Positrix entry too)",
            source=sidecar_path(path),
            fix="repair or remove the sidecar",
        )
    block = side.get("Positrix", {})
    zero = parse_iso_datetime(block.get("acquisition_start")) if block else _bids_zero(side)
    n_t = data.shape[3] if data.ndim == 4 else 1
    durations = _numbers(side, "FrameDuration", path, n_t)
    starts = _numbers(side, "FrameTimesStart", path, n_t)
    frames = None
    if starts is not None:
        if durations is None:
            raise FileFormatError(
                "FrameTimesStart is given without FrameDuration",
                source=sidecar_path(path),
                field="FrameDuration",
                fix="add FrameDuration (s), one per frame",
            )
        frames = FrameTable(starts, durations, zero)
    elif durations is not None:
        scan_start = _number(side, "ScanStart", path) or 0.0
        frames = FrameTable.from_durations(durations, acquisition_start=zero)
        frames = FrameTable(frames.start_s + scan_start, frames.duration_s, zero)
    elif data.ndim == 4:
        frames = FrameTable.from_durations([step_s] * n_t, acquisition_start=zero)
    units = str(side.get("Units") or "unknown")
    unit = DICOM_TO_UNIT.get(units.upper(), units)
    metadata = dict(block.get("metadata", {}))
    if block:
        injection, subject = _from_positrix(block, path)
        _check_agreement(side, injection, subject, path)
        reference = _block_time(block, "decay_reference", path)
    else:
        injection, subject = _from_bids(side, zero, path)
        reference = _bids_decay_reference(side, zero, injection, unit, path)
        if zero is not None:
            metadata["date_unknown"] = True  # BIDS keeps clock times only
    return Image(
        data,
        affine,
        unit=unit,
        frames=frames,
        decay_reference=reference,
        modality=str(side.get("Modality", "PT" if side else "OT")),
        subject=subject,
        injection=injection,
        scanner=side.get("ManufacturersModelName"),
        reconstruction=side.get("ReconMethodName"),
        description=block.get("description"),
        metadata=metadata,
    )
