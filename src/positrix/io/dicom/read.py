"""Read a legacy DICOM PET or CT series into an ``Image``.

Dynamic PET series are split into frames by ImageIndex (or, without it, by
FrameReferenceTime and AcquisitionTime); each image's RescaleSlope/Intercept is applied.
Time zones: TimezoneOffsetFromUTC when present, otherwise times are taken as UTC.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError

from positrix.errors import FileFormatError, PositrixError
from positrix.image.frames import FrameTable
from positrix.image.image import Image
from positrix.image.subject import Subject
from positrix.io.dicom.codes import (
    DICOM_TO_UNIT,
    GANTRY_RELATIONSHIP_CODES,
    ORIENTATION_MODIFIER_CODES,
    RADIONUCLIDE_CODES,
)
from positrix.io.dicom.sniff import is_dicom_file
from positrix.io.dicom.times import parse_da_tm, parse_dt, utc_offset
from positrix.io.dicom.write import KEPT_KEYWORDS
from positrix.physics.injection import Injection
from positrix.physics.nuclides import Nuclide, get_nuclide, list_nuclides
from positrix.progress import Logger

__all__ = ["is_dicom_file", "read_dicom"]


_MEDIA_DIRECTORY = "1.2.840.10008.1.3.10"
#: Image storage SOP classes (CT, enhanced CT, MR, NM, secondary capture, PET, enhanced PET):
#: such a file without pixel data is truncated, not a non-image object to skip.
_IMAGE_STORAGE = {
    f"1.2.840.10008.5.1.4.1.1.{n}" for n in ("2", "2.1", "4", "20", "7", "128", "130")
}


def _headers(paths: Iterable[Path], *, series: str | None = None) -> list[tuple[Path, Dataset]]:
    """Headers of the image files among ``paths``; a broken file is an error, except beside
    a file the user named (``series`` given): there only if it belongs to that series."""
    found: list[tuple[Path, Dataset]] = []
    for path in paths:
        if not path.is_file() or not is_dicom_file(path):
            continue
        try:
            found += _header(path)
        except FileFormatError:
            if series is None or _series_uid(path) == series:
                raise
    return found


def _series_uid(path: Path) -> str | None:
    """SeriesInstanceUID of a (possibly broken) file, or ``None`` if it cannot be read."""
    try:
        return str(dcmread(path, stop_before_pixels=True).get("SeriesInstanceUID", "")) or None
    except Exception:  # a broken neighbour of unknown series: not ours to judge
        return None


def _header(path: Path) -> list[tuple[Path, Dataset]]:
    """``[(path, header)]`` of an image file, ``[]`` for a non-image object."""
    try:
        # one parse per file; the pixel data is read only when it is used
        header = dcmread(path, defer_size="4 KB")
    except (InvalidDicomError, OSError, ValueError, EOFError) as err:
        raise FileFormatError(
            f"corrupt DICOM header ({err})", source=path, fix="re-export the series"
        ) from None
    meta = getattr(header, "file_meta", None)
    sop_class = str(header.get("SOPClassUID", "") or getattr(meta, "MediaStorageSOPClassUID", ""))
    if sop_class == _MEDIA_DIRECTORY or path.name.upper() == "DICOMDIR":
        return []  # the media directory of a CD/USB export: not part of a series
    if "PixelData" not in header and (sop_class in _IMAGE_STORAGE or not sop_class):
        raise FileFormatError(
            "the DICOM file ends before its pixel data (truncated)",
            source=path,
            field="PixelData",
            fix="copy or export the file again",
        )
    if "PixelData" not in header:
        return []  # a non-image object (report, presentation state): not part of a series
    return [(path, header)]


def _series_files(path: Path) -> list[tuple[Path, Dataset]]:
    """Files of one series: the folder's only series, or the series of the given file."""
    if path.is_dir():
        headers = _headers(sorted(p for p in path.rglob("*") if p.is_file()))
        wanted = None
    else:
        try:
            wanted = dcmread(path, stop_before_pixels=True).get("SeriesInstanceUID")
        except (InvalidDicomError, OSError, ValueError, EOFError) as err:
            raise FileFormatError(
                f"corrupt DICOM header ({err})", source=path, fix="re-export the series"
            ) from None
        if not wanted:
            raise FileFormatError(
                "the DICOM file has no SeriesInstanceUID (truncated or not an image)",
                source=path,
                field="SeriesInstanceUID",
                fix="copy or export the file again",
            )
        _header(path)  # the named file itself must be whole
        siblings = sorted(p for p in path.parent.iterdir() if p.is_file())
        headers = _headers(siblings, series=str(wanted))
    if not headers:
        raise FileFormatError("no DICOM files found", source=path, fix="point to a DICOM folder")
    series: dict[str, list[tuple[Path, Dataset]]] = defaultdict(list)
    for item in headers:
        series[str(item[1].get("SeriesInstanceUID", ""))].append(item)
    if wanted is not None:
        return series[str(wanted)]
    if len(series) > 1:
        listing = "; ".join(
            f"{items[0][1].get('Modality', '?')} '{items[0][1].get('SeriesDescription', '')}' "
            f"({len(items)} files, e.g. {items[0][0].name})"
            for items in series.values()
        )
        raise FileFormatError(
            f"the folder holds {len(series)} series: {listing}",
            source=path,
            fix="give one file of the wanted series (or a folder with only that series)",
        )
    return next(iter(series.values()))


def _tz(ds: Dataset) -> Any:
    return utc_offset(ds.get("TimezoneOffsetFromUTC"))


def _acquisition_time(ds: Dataset) -> datetime | None:
    tz = _tz(ds)
    moment = parse_dt(ds.get("AcquisitionDateTime"), tz=tz)
    if moment is None:
        moment = parse_da_tm(
            ds.get("AcquisitionDate") or ds.get("SeriesDate"), ds.get("AcquisitionTime"), tz=tz
        )
    return moment


def _frame_groups(items: list[tuple[Path, Dataset]]) -> list[list[tuple[Path, Dataset]]]:
    """Group the files of a series into time frames, in time order."""
    first = items[0][1]
    n_slices = first.get("NumberOfSlices")
    keyed: dict[Any, list[tuple[Path, Dataset]]] = defaultdict(list)
    if n_slices and all("ImageIndex" in ds for _, ds in items):
        for item in items:
            keyed[(int(item[1].ImageIndex) - 1) // int(n_slices)].append(item)
    else:
        for item in items:
            ds = item[1]
            keyed[(float(ds.get("FrameReferenceTime", 0) or 0), str(_acquisition_time(ds)))].append(
                item
            )
    return [keyed[key] for key in sorted(keyed)]


def _geometry(
    frame: list[tuple[Path, Dataset]], source: Path
) -> tuple[list[tuple[Path, Dataset]], NDArray[np.float64]]:
    """Slices sorted along their normal, and the voxel-to-LPS affine."""
    ds0 = frame[0][1]
    try:
        orientation = np.asarray(ds0.ImageOrientationPatient, dtype=np.float64).reshape(6)
        spacing = np.asarray(ds0.PixelSpacing, dtype=np.float64).reshape(2)
        positions = np.array([np.asarray(ds.ImagePositionPatient, float) for _, ds in frame])
        positions = positions.reshape(len(frame), 3)
    except (AttributeError, ValueError, TypeError) as err:
        raise FileFormatError(
            f"missing or malformed image geometry ({err})",
            source=frame[0][0],
            field="ImageOrientationPatient/ImagePositionPatient/PixelSpacing",
            fix="the series lacks the Image Plane module; re-export it from the scanner",
        ) from None
    row_dir, col_dir = orientation[:3], orientation[3:]
    normal = np.cross(row_dir, col_dir)
    order = np.argsort(positions @ normal)
    frame = [frame[i] for i in order]
    positions = positions[order]
    if len(frame) > 1:
        steps = np.diff(positions @ normal)
        if np.any(steps < 1e-6) or np.ptp(steps) > 0.01 * np.median(steps) + 1e-4:
            raise FileFormatError(
                "slices are duplicated or unevenly spaced "
                f"(steps {steps.min():.4g}–{steps.max():.4g} mm)",
                source=source,
                field="ImagePositionPatient",
                fix="check that the folder holds one complete series",
            )
        step = (positions[-1] - positions[0]) / (len(frame) - 1)
    else:
        thickness = float(ds0.get("SpacingBetweenSlices") or ds0.get("SliceThickness") or 1.0)
        step = normal * thickness
    affine = np.eye(4)
    affine[:3, 0] = row_dir * spacing[1]
    affine[:3, 1] = col_dir * spacing[0]
    affine[:3, 2] = step
    affine[:3, 3] = positions[0]
    return frame, affine


def _skipped_note(folder: Path) -> str:
    """Names of the folder's files that are not DICOM (a corrupt slice is one of them)."""
    others = [p.name for p in sorted(folder.iterdir()) if p.is_file() and not is_dicom_file(p)]
    if not others:
        return ""
    listed = ", ".join(others[:5]) + (" …" if len(others) > 5 else "")
    return f" (not DICOM, so skipped: {listed})"


def _rescale_slope(path: Path, header: Dataset) -> float:
    """RescaleSlope; PET and CT must carry a non-zero one (stored values are not Bq/mL or HU)."""
    value = header.get("RescaleSlope")
    modality = str(header.get("Modality", ""))
    if value in (None, ""):
        if modality in ("PT", "CT"):
            raise FileFormatError(
                f"a {modality} image without RescaleSlope: its stored integers are not "
                f"{'Bq/mL' if modality == 'PT' else 'HU'}",
                source=path,
                field="RescaleSlope",
                fix="export the series again with Rescale Slope/Intercept (type 1 in DICOM)",
            )
        return 1.0
    slope = float(value)
    if slope == 0 or not np.isfinite(slope):
        raise FileFormatError(
            f"RescaleSlope is {value}: every voxel would be the intercept",
            source=path,
            field="RescaleSlope",
            fix="export the series again; the slope must be a non-zero number",
        )
    return slope


def _pixels(path: Path, header: Dataset) -> NDArray[np.float32]:
    try:
        raw = header.pixel_array
    except Exception as err:  # pydicom raises many types for truncated pixel data
        raise FileFormatError(
            f"cannot read the pixel data ({err})",
            source=path,
            field="PixelData",
            fix="the file is truncated or corrupt: copy or export it again",
        ) from None
    slope = _rescale_slope(path, header)
    intercept = float(header.get("RescaleIntercept", 0) or 0)
    return (raw.astype(np.float64) * slope + intercept).T.astype(np.float32)


def _nuclide(item: Dataset) -> Nuclide | None:
    """The nuclide from its code (CID 4020), else from a matching half-life (±1 %)."""
    by_code = {code[0]: name for name, code in RADIONUCLIDE_CODES.items()}
    for code in item.get("RadionuclideCodeSequence", []):
        name = by_code.get(str(code.get("CodeValue", "")))
        if name is not None:
            return get_nuclide(name)
    half_life = item.get("RadionuclideHalfLife")
    if half_life:
        for nuclide in list_nuclides():
            if abs(nuclide.half_life_s - float(half_life)) <= 0.01 * nuclide.half_life_s:
                return nuclide
    return None


def _injection(ds: Dataset, series_start: datetime | None) -> Injection | None:
    sequence = ds.get("RadiopharmaceuticalInformationSequence")
    if not sequence:
        return None
    item = sequence[0]
    tz = _tz(ds)
    when = parse_dt(item.get("RadiopharmaceuticalStartDateTime"), tz=tz)
    if when is None and item.get("RadiopharmaceuticalStartTime") and series_start is not None:
        when = parse_da_tm(
            series_start.strftime("%Y%m%d"), item.RadiopharmaceuticalStartTime, tz=tz
        )
        if when is not None and when > series_start:  # injected before midnight, scanned after
            when -= timedelta(days=1)
    dose = item.get("RadionuclideTotalDose")
    return Injection(
        nuclide=_nuclide(item),
        tracer=str(item.get("Radiopharmaceutical", "")) or None,
        injection_time=when,
        # a dose of 0 (or less) is "not entered" on many consoles: unknown, not zero
        activity_before_bq=float(dose) if dose not in (None, "") and float(dose) > 0 else None,
    )


def _subject(ds: Dataset) -> Subject:
    weight = ds.get("PatientWeight")
    birth = str(ds.get("PatientBirthDate", "") or "")
    try:
        born = date(int(birth[:4]), int(birth[4:6]), int(birth[6:8])) if len(birth) >= 8 else None
    except ValueError:
        born = None  # an invalid or partly masked date (e.g. 20250000): unknown
    return Subject(
        id=str(ds.get("PatientID", "")) or None,
        species=str(ds.get("PatientSpeciesDescription", "")) or None,
        strain=str(ds.get("StrainDescription", "") or ds.get("PatientBreedDescription", ""))
        or None,
        sex=str(ds.get("PatientSex", "")) or None,
        weight_g=float(weight) * 1000.0 if weight not in (None, "") and float(weight) > 0 else None,
        date_of_birth=born,
        height_cm=float(ds.PatientSize) * 100.0
        if ds.get("PatientSize") not in (None, "") and float(ds.PatientSize) > 0
        else None,
    )


def _metadata(ds: Dataset) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    for keyword in KEPT_KEYWORDS:
        value = ds.get(keyword)
        if value not in (None, ""):
            meta[keyword] = int(value) if keyword == "SeriesNumber" else str(value)
    position = _pet_position(ds)
    if position and "PatientPosition" not in meta:
        meta["PatientPosition"] = position
    if "CorrectedImage" in ds:
        meta["CorrectedImage"] = [str(v) for v in np.atleast_1d(ds.CorrectedImage)]
    if not ds.get("TimezoneOffsetFromUTC"):
        meta["times"] = "no TimezoneOffsetFromUTC: the clock times are taken as UTC"
    return meta


def _pet_position(ds: Dataset) -> str | None:
    """HFP/HFS/FFP/FFS from PET's orientation code sequences (CIDs 19-21), if coded."""
    try:
        modifier = ds.PatientOrientationCodeSequence[0].PatientOrientationModifierCodeSequence[0]
        relation = ds.PatientGantryRelationshipCodeSequence[0]
    except (AttributeError, IndexError):
        return None
    head = {
        GANTRY_RELATIONSHIP_CODES["headfirst"][0]: "HF",
        GANTRY_RELATIONSHIP_CODES["feet-first"][0]: "FF",
    }.get(str(relation.CodeValue))
    lying = {
        ORIENTATION_MODIFIER_CODES["prone"][0]: "P",
        ORIENTATION_MODIFIER_CODES["supine"][0]: "S",
    }.get(str(modifier.CodeValue))
    return head + lying if head and lying else None


def _reference_start_s(ds: Dataset, reference_ms: float, duration_s: float) -> float:
    """Frame start from FrameReferenceTime, the time at which the activity equals the
    frame's mean activity: ``t_ref = t_s + ln(λΔ / (1 - e^(-λΔ))) / λ`` (mid-frame without
    a half-life)."""
    sequence = ds.get("RadiopharmaceuticalInformationSequence") or [Dataset()]
    half_life = float(sequence[0].get("RadionuclideHalfLife", 0) or 0)
    if half_life <= 0 or duration_s <= 0:
        return reference_ms / 1000.0 - duration_s / 2.0
    x = np.log(2.0) / half_life * duration_s
    return reference_ms / 1000.0 - float(np.log(x / -np.expm1(-x))) * half_life / np.log(2.0)


def _pet_timing(
    ds: Dataset, frames: list[list[tuple[Path, Dataset]]]
) -> tuple[FrameTable, datetime | None]:
    """Frame table relative to the series reference time (quantification.md, step 2)."""
    tz = _tz(ds)
    series = parse_da_tm(ds.get("SeriesDate"), ds.get("SeriesTime"), tz=tz)
    acquisitions = [_acquisition_time(group[0][1]) for group in frames]
    if len(frames) > 1 and len(set(acquisitions)) < len(frames):
        acquisitions = [None] * len(frames)  # one time for several frames: not per frame
    known = [a for a in acquisitions if a is not None]
    start = series
    if known and (start is None or start > min(known)):
        start = min(known)  # a post-processed series: SeriesTime is after the scan
    durations = [float(group[0][1].get("ActualFrameDuration", 0) or 0) / 1000.0 for group in frames]
    starts = []
    for group, acquired, duration in zip(frames, acquisitions, durations, strict=True):
        if acquired is not None and start is not None:
            starts.append((acquired - start).total_seconds())
        else:
            reference_ms = float(group[0][1].get("FrameReferenceTime", 0) or 0)
            starts.append(_reference_start_s(ds, reference_ms, duration))
    # ActualFrameDuration is whole ms: absorb sub-ms overlaps with the next frame's start
    for f in range(len(starts) - 1):
        overlap = starts[f] + durations[f] - starts[f + 1]
        if 0 < overlap <= 1e-3:
            durations[f] = starts[f + 1] - starts[f]
    return FrameTable(starts, durations, start), start


def read_dicom(path: str | Path, *, log: Logger | None = None) -> Image:
    """Read the DICOM series at ``path`` (a folder with one series, or one file of it).

    Returns
    -------
    Image
        PET in the unit of the Units attribute (``Bq/mL`` for BQML) with frames, decay
        reference, injection and subject; CT in HU.
    """
    path = Path(path)
    items = _series_files(path)
    ds = items[0][1]
    if int(ds.get("NumberOfFrames", 1) or 1) > 1:
        raise FileFormatError(
            f"enhanced multi-frame DICOM ({ds.get('SOPClassUID', '?')}) is not supported yet",
            source=items[0][0],
            field="NumberOfFrames",
            fix="export the series as legacy single-frame PET/CT images",
        )
    modality = str(ds.get("Modality", "OT"))
    frames_files = _frame_groups(items) if modality == "PT" else [items]
    sizes = {len(group) for group in frames_files}
    if len(sizes) > 1:
        raise FileFormatError(
            f"the frames have different numbers of slices ({sorted(sizes)}): files are missing"
            + _skipped_note(items[0][0].parent),
            source=path,
            fix="copy the complete series",
        )
    volumes = []
    affine = None
    for group in frames_files:
        group, group_affine = _geometry(group, path)
        if affine is not None and not np.allclose(affine, group_affine, atol=1e-3):
            raise FileFormatError(
                "the frames of the series have different slice positions", source=path
            )
        affine = group_affine
        volumes.append(np.stack([_pixels(p, h) for p, h in group], axis=-1))
        if log is not None and len(frames_files) > 1:
            log(f"read frame {len(volumes)}/{len(frames_files)} ({len(group)} slices)")
    assert affine is not None
    data = np.stack(volumes, axis=-1) if len(volumes) > 1 else volumes[0]
    if modality == "PT":
        return _pet_image(ds, data, affine, frames_files, path)
    frames = None
    start = parse_da_tm(
        ds.get("AcquisitionDate") or ds.get("SeriesDate"),
        ds.get("AcquisitionTime") or ds.get("SeriesTime"),
        tz=_tz(ds),
    )
    if start is not None:
        frames = FrameTable([0.0], [0.0], start)
    return Image(
        data,
        affine,
        unit="HU" if modality == "CT" else "unknown",
        frames=frames,
        modality=modality if modality in ("CT", "MR", "NM") else "OT",
        subject=_subject(ds),
        scanner=str(ds.get("ManufacturerModelName", "")) or None,
        description=str(ds.get("SeriesDescription", "")) or None,
        metadata=_metadata(ds),
    )


def _pet_image(
    ds: Dataset,
    data: NDArray[np.float32],
    affine: NDArray[np.float64],
    frames_files: list[list[tuple[Path, Dataset]]],
    path: Path,
) -> Image:
    frames, start = _pet_timing(ds, frames_files)
    injection = _injection(ds, start)
    decay = str(ds.get("DecayCorrection", "NONE")).upper()
    if decay == "START":
        reference = start
    elif decay == "ADMIN":
        reference = injection.injection_time if injection else None
        if reference is None:
            raise FileFormatError(
                "DecayCorrection is ADMIN but the administration time is missing",
                source=path,
                field="RadiopharmaceuticalStartDateTime",
            )
    elif decay == "NONE":
        reference = None
    else:
        raise PositrixError(
            f"unknown DecayCorrection '{decay}'", source=path, field="DecayCorrection"
        )
    units = str(ds.get("Units", "")).upper()
    return Image(
        data,
        affine,
        unit=DICOM_TO_UNIT.get(units, units or "unknown"),
        frames=frames,
        decay_reference=reference,
        modality="PT",
        subject=_subject(ds),
        injection=injection,
        scanner=str(ds.get("ManufacturerModelName", "")) or None,
        reconstruction=str(ds.get("ReconstructionMethod", "")) or None,
        description=str(ds.get("SeriesDescription", "")) or None,
        metadata=_metadata(ds),
    )
