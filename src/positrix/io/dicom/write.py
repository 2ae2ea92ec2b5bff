"""Write an ``Image`` as a legacy DICOM PET or CT series, one file per slice and frame.

The files use PET Image Storage (1.2.840.10008.5.1.4.1.1.128) or CT Image Storage
(1.2.840.10008.5.1.4.1.1.2), carry the animal-subject attributes of the Patient module and
pass ``dciodvfy`` without errors.  Pixel values are int16 with a per-image rescale slope.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence as DicomSequence
from pydicom.uid import (
    CTImageStorage,
    PositronEmissionTomographyImageStorage,
    generate_uid,
)
from pydicom.valuerep import DSfloat

import positrix
from positrix.errors import MissingFieldError, OverwriteError, PositrixError
from positrix.image.dynamic import decay_correct
from positrix.image.image import Image
from positrix.image.timezone import reference_zone, with_timezone
from positrix.io.dicom.codes import (
    GANTRY_RELATIONSHIP_CODES,
    ORIENTATION_CODES,
    ORIENTATION_MODIFIER_CODES,
    RADIONUCLIDE_CODES,
    RADIOPHARMACEUTICAL_CODES,
    SPECIES_CODES,
    UNIT_TO_DICOM,
)
from positrix.io.dicom.encode import SeriesEncoder
from positrix.io.dicom.sniff import is_dicom_file
from positrix.io.dicom.times import format_da, format_dt, format_tm
from positrix.io.safety import check_writable
from positrix.physics.decay import frame_decay_correction
from positrix.progress import Logger, with_progress

__all__ = ["KEPT_KEYWORDS", "write_dicom"]

#: Metadata keys (DICOM keywords) that are written back to, and read from, DICOM files.
KEPT_KEYWORDS = (
    "StudyInstanceUID",
    "SeriesInstanceUID",
    "StudyDate",
    "StudyTime",
    "FrameOfReferenceUID",
    "StudyID",
    "StudyDescription",
    "SeriesNumber",
    "PatientName",
    "AccessionNumber",
    "Manufacturer",
    "InstitutionName",
    "PatientPosition",
    "KVP",
    "ResponsiblePerson",
    "ResponsibleOrganization",
    "ClinicalTrialSponsorName",
    "ClinicalTrialProtocolID",
    "ClinicalTrialProtocolName",
    "ClinicalTrialSiteID",
    "ClinicalTrialSiteName",
    "ClinicalTrialSubjectID",
    "ClinicalTrialTimePointID",
)

_INT16_MAX = 32767


def _ds(value: float) -> DSfloat:
    """A DS value of at most 16 characters."""
    return DSfloat(float(value), auto_format=True)


def _lo(text: str, keyword: str) -> str:
    """A Long String (LO) value: at most 64 characters; longer text is cut with a warning."""
    if len(text) <= 64:
        return text
    warnings.warn(f"DICOM {keyword} keeps 64 characters: '{text[:64]}'", stacklevel=3)
    return text[:64]


def _code(value: str, scheme: str, meaning: str) -> Dataset:
    item = Dataset()
    item.CodeValue = value
    item.CodingSchemeDesignator = scheme
    item.CodeMeaning = meaning
    return item


_POSITIONS = {"HFP": ("headfirst", "prone"), "HFS": ("headfirst", "supine"),
              "FFP": ("feet-first", "prone"), "FFS": ("feet-first", "supine")}  # fmt: skip


def _pet_orientation(ds: Dataset, position: str | None) -> None:
    """PET codes patient position as code sequences (CIDs 19-21), not PatientPosition."""
    if position not in _POSITIONS:
        ds.PatientOrientationCodeSequence = DicomSequence([])
        ds.PatientGantryRelationshipCodeSequence = DicomSequence([])
        return
    relation, modifier = _POSITIONS[position]
    orientation = _code(*ORIENTATION_CODES["recumbent"])
    orientation.PatientOrientationModifierCodeSequence = DicomSequence(
        [_code(*ORIENTATION_MODIFIER_CODES[modifier])]
    )
    ds.PatientOrientationCodeSequence = DicomSequence([orientation])
    ds.PatientGantryRelationshipCodeSequence = DicomSequence(
        [_code(*GANTRY_RELATIONSHIP_CODES[relation])]
    )


def _plane_geometry(image: Image) -> tuple[list[float], list[float], NDArray[np.float64]]:
    """Image orientation, pixel spacing and the slice step vector; refuses sheared grids."""
    columns = image.affine[:3, :3]
    spacing = np.linalg.norm(columns, axis=0)
    row_dir, col_dir = columns[:, 0] / spacing[0], columns[:, 1] / spacing[1]
    normal = np.cross(row_dir, col_dir)
    slice_dir = columns[:, 2] / spacing[2]
    if abs(np.dot(row_dir, col_dir)) > 1e-4 or abs(abs(np.dot(normal, slice_dir)) - 1) > 1e-4:
        raise PositrixError(
            "DICOM needs slices perpendicular to their rows and columns; this affine is sheared",
            field="affine",
            fix="resample the image onto an orthogonal grid first (positrix.image.resample_to)",
        )
    orientation = [float(v) for v in (*row_dir, *col_dir)]
    pixel_spacing = [float(spacing[1]), float(spacing[0])]  # (row spacing = j, column = i)
    return orientation, pixel_spacing, columns[:, 2]


def _patient(ds: Dataset, image: Image) -> None:
    subject = image.subject
    meta = image.metadata
    name = meta.get("PatientName") or (subject.id if subject and subject.id else "")
    ds.PatientName = name if "^" in name or not name else f"{name}^"  # PN: family^given
    ds.PatientID = subject.id if subject and subject.id else ""
    ds.PatientBirthDate = (
        format_da(datetime.combine(subject.date_of_birth, datetime.min.time()))
        if subject and subject.date_of_birth
        else ""
    )
    ds.PatientSex = subject.sex if subject and subject.sex in ("M", "F", "O") else ""
    if subject and subject.weight_g is not None:
        ds.PatientWeight = _ds(subject.weight_g / 1000.0)
    if subject and subject.height_cm is not None:
        ds.PatientSize = _ds(subject.height_cm / 100.0)  # m
    if subject and subject.species:
        # Animal subject: the 2C attributes of the Patient module become required.
        ds.PatientSpeciesDescription = subject.species
        if subject.species in SPECIES_CODES:
            ds.PatientSpeciesCodeSequence = DicomSequence([_code(*SPECIES_CODES[subject.species])])
        ds.PatientBreedDescription = ""
        ds.PatientBreedCodeSequence = DicomSequence([])
        ds.BreedRegistrationSequence = DicomSequence([])
        ds.ResponsiblePerson = meta.get("ResponsiblePerson", "")
        if ds.ResponsiblePerson:
            ds.ResponsiblePersonRole = "INVESTIGATOR"
        ds.ResponsibleOrganization = meta.get("ResponsibleOrganization", "")
        ds.PatientSexNeutered = ""
        if subject.strain:
            ds.StrainDescription = subject.strain


def _clinical_trial(ds: Dataset, image: Image) -> None:
    meta = image.metadata
    if "ClinicalTrialProtocolID" not in meta:
        return
    ds.ClinicalTrialSponsorName = meta.get("ClinicalTrialSponsorName") or "unspecified"
    ds.ClinicalTrialProtocolID = meta["ClinicalTrialProtocolID"]
    ds.ClinicalTrialProtocolName = meta.get("ClinicalTrialProtocolName", "")
    ds.ClinicalTrialSiteID = meta.get("ClinicalTrialSiteID", "")
    ds.ClinicalTrialSiteName = meta.get("ClinicalTrialSiteName", "")
    subject_id = meta.get("ClinicalTrialSubjectID") or (image.subject and image.subject.id) or ""
    ds.ClinicalTrialSubjectID = subject_id or "unspecified"
    ds.ClinicalTrialTimePointID = meta.get("ClinicalTrialTimePointID", "")


def _base_dataset(image: Image, *, study_time: datetime | None, sop_class: str) -> Dataset:
    meta = image.metadata
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.SOPClassUID = sop_class
    _patient(ds, image)
    _clinical_trial(ds, image)
    ds.StudyInstanceUID = meta.get("StudyInstanceUID") or generate_uid()
    # Series of one study share its date and time (metadata), else the scan start.
    ds.StudyDate = meta.get("StudyDate") or (format_da(study_time) if study_time else "")
    ds.StudyTime = meta.get("StudyTime") or (format_tm(study_time) if study_time else "")
    if study_time is not None and study_time.tzinfo is not None:
        ds.TimezoneOffsetFromUTC = study_time.strftime("%z")
    ds.ReferringPhysicianName = ""
    ds.StudyID = meta.get("StudyID") or "1"
    ds.AccessionNumber = meta.get("AccessionNumber", "")
    if meta.get("StudyDescription"):
        ds.StudyDescription = _lo(meta["StudyDescription"], "StudyDescription")
    ds.Modality = image.modality
    # Every write is a new series: a derived or re-saved image must not merge with its source.
    ds.SeriesInstanceUID = generate_uid()
    ds.SeriesNumber = int(meta.get("SeriesNumber", 1))
    ds.Laterality = ""
    if image.description:
        ds.SeriesDescription = _lo(image.description, "SeriesDescription")
    ds.FrameOfReferenceUID = meta.get("FrameOfReferenceUID") or generate_uid()
    ds.PositionReferenceIndicator = ""
    ds.Manufacturer = meta.get("Manufacturer", "")
    if meta.get("InstitutionName"):
        ds.InstitutionName = meta["InstitutionName"]
    if image.scanner:
        ds.ManufacturerModelName = _lo(image.scanner, "ManufacturerModelName")
    ds.SoftwareVersions = f"positrix {positrix.__version__}"
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = 16
    ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 1
    return ds


def _pet_decay(image: Image) -> tuple[Image, str]:
    """The image decay-corrected as DICOM can say it (START, ADMIN or NONE)."""
    start = image.frames.acquisition_start if image.frames else None
    injected = image.injection.injection_time if image.injection else None
    if image.decay_reference is None:
        return image, "NONE"
    if start is not None and image.decay_reference == start:
        return image, "START"
    if injected is not None and image.decay_reference == injected:
        return image, "ADMIN"
    if start is None:
        raise MissingFieldError(
            "a decay-corrected PET image needs its acquisition start time for DICOM",
            field="frames.acquisition_start",
        )
    # DICOM knows only START and ADMIN references: correct to the scan start, explicitly.
    return decay_correct(image, to=start), "START"


def _radiopharmaceutical(image: Image) -> DicomSequence:
    injection = image.injection
    if injection is None:
        return DicomSequence([])
    item = Dataset()
    if injection.tracer:
        item.Radiopharmaceutical = _lo(injection.tracer, "Radiopharmaceutical")
        if injection.tracer.upper() in RADIOPHARMACEUTICAL_CODES:
            code = RADIOPHARMACEUTICAL_CODES[injection.tracer.upper()]
            item.RadiopharmaceuticalCodeSequence = DicomSequence([_code(*code)])
    if injection.injection_time is not None:
        item.RadiopharmaceuticalStartTime = format_tm(injection.injection_time)
        item.RadiopharmaceuticalStartDateTime = format_dt(injection.injection_time)
    if injection.activity_before_bq is not None and injection.injection_time is not None:
        item.RadionuclideTotalDose = _ds(injection.net_activity_bq)
    nuclide = injection.nuclide
    codes = []
    if nuclide is not None:
        item.RadionuclideHalfLife = _ds(nuclide.half_life_s)
        item.RadionuclidePositronFraction = _ds(nuclide.beta_plus_fraction)
        if nuclide.name in RADIONUCLIDE_CODES:
            codes = [_code(*RADIONUCLIDE_CODES[nuclide.name])]
    item.RadionuclideCodeSequence = DicomSequence(codes)
    return DicomSequence([item])


def _pet_series(ds: Dataset, image: Image, decay: str, start: datetime) -> None:
    unit = image.unit
    if unit not in UNIT_TO_DICOM:
        raise PositrixError(
            f"DICOM PET cannot label values in '{unit}'",
            field="unit",
            fix="convert to Bq/mL, SUVbw or counts first, or save as NIfTI",
        )
    ds.SeriesDate = format_da(start)
    ds.SeriesTime = format_tm(start)
    ds.Units = UNIT_TO_DICOM[unit]
    ds.CountsSource = "EMISSION"
    ds.SeriesType = ["DYNAMIC" if image.n_frames > 1 else "STATIC", "IMAGE"]
    ds.NumberOfSlices = image.spatial_shape[2]
    if image.n_frames > 1:
        ds.NumberOfTimeSlices = image.n_frames
    corrected = list(image.metadata.get("CorrectedImage", []))
    if decay == "NONE":
        corrected = [c for c in corrected if c != "DECY"]
    elif "DECY" not in corrected:
        corrected.append("DECY")
    ds.CorrectedImage = corrected
    ds.DecayCorrection = decay
    if image.reconstruction:
        ds.ReconstructionMethod = _lo(image.reconstruction, "ReconstructionMethod")
    ds.CollimatorType = "NONE"
    ds.RadiopharmaceuticalInformationSequence = _radiopharmaceutical(image)
    _pet_orientation(ds, image.metadata.get("PatientPosition"))
    ds.AcquisitionContextSequence = DicomSequence([])
    ds.ImageType = ["ORIGINAL", "PRIMARY"]
    ds.RescaleIntercept = 0


def _scale_slice(values: NDArray[np.floating], *, pet: bool) -> tuple[NDArray[np.int16], float]:
    """int16 pixels and slope such that ``pixels · slope ≈ values``."""
    peak = float(np.max(np.abs(values))) if values.size else 0.0
    if pet:
        slope = peak / _INT16_MAX if peak > 0 else 1.0
    else:  # CT: whole HU when they fit, coarser only when they must
        slope = max(1.0, peak / _INT16_MAX)
    pixels = np.clip(np.rint(values / slope), -_INT16_MAX - 1, _INT16_MAX).astype(np.int16)
    return pixels, slope


def _frame_reference_ms(image: Image, start_s: float, duration_s: float) -> float:
    """Time (ms from series start) at which the activity equals the frame's mean activity."""
    nuclide = image.injection.nuclide if image.injection else None
    if nuclide is None or duration_s <= 0:
        return (start_s + duration_s / 2.0) * 1000.0
    lam = nuclide.decay_constant_per_s
    within = float(frame_decay_correction(nuclide, 0.0, duration_s))
    return (start_s + np.log(within) / lam) * 1000.0


def write_dicom(
    image: Image, directory: str | Path, *, overwrite: bool = False, log: Logger | None = None
) -> list[Path]:
    """Write ``image`` as a DICOM series of one file per slice (and frame) into ``directory``.

    Parameters
    ----------
    image
        A PET (``modality="PT"``) or CT (``modality="CT"``, unit ``"HU"``) image.
    directory
        Output folder, created if needed; file names are ``PT_0001_0001.dcm`` (frame, slice).
    overwrite
        Replace existing files of the same name.
    log
        Where progress lines (files written, ETA) go; silent when ``None``.

    Returns
    -------
    list of Path
        The files written.
    """
    directory = Path(directory)
    if image.modality not in ("PT", "CT"):
        raise PositrixError(
            f"DICOM writing supports PT and CT, not {image.modality}",
            field="modality",
            fix="save as NIfTI instead",
        )
    if image.modality == "CT" and image.unit != "HU":
        raise PositrixError(f"a DICOM CT must be in HU, this one is in {image.unit}", field="unit")
    n_slices, n_frames = image.spatial_shape[2], image.n_frames
    paths = [
        directory / f"{image.modality}_{t + 1:04d}_{k + 1:04d}.dcm"
        for t in range(n_frames)
        for k in range(n_slices)
    ]
    check_writable(paths, overwrite=overwrite)
    _check_no_other_dicom(directory, paths)
    _check_finite(image)
    image = with_timezone(image, reference_zone(image))  # TM values share one zone
    if image.modality == "PT":
        return _write_pet(image, paths, log)
    return _write_ct(image, paths, log)


def _check_no_other_dicom(directory: Path, paths: Sequence[Path]) -> None:
    """Refuse a folder that holds DICOM files this series would not replace."""
    if not directory.is_dir():
        return
    ours = {p.name for p in paths}
    others = [p for p in directory.iterdir() if p.name not in ours and is_dicom_file(p)]
    if others:
        raise OverwriteError(
            f"the folder already holds {len(others)} other DICOM file(s), e.g. {others[0].name}; "
            "a reader would mix them with this series",
            source=directory,
            fix="write the series into an empty folder",
        )


def _check_finite(image: Image) -> None:
    bad = int(np.count_nonzero(~np.isfinite(image.data)))
    if bad:
        raise PositrixError(
            f"{bad} voxel(s) are NaN or infinite, which DICOM integers cannot hold",
            field="data",
            fix="replace them first (e.g. numpy.nan_to_num) or save as NIfTI",
        )


def _plane_attributes(base: Dataset, image: Image) -> NDArray[np.float64]:
    """Set the in-plane geometry shared by every slice; return the slice step (mm)."""
    orientation, spacing, step = _plane_geometry(image)
    base.ImageOrientationPatient = [_ds(v) for v in orientation]
    base.PixelSpacing = [_ds(v) for v in spacing]
    base.SliceThickness = _ds(float(np.linalg.norm(step)))
    base.Rows, base.Columns = image.spatial_shape[1], image.spatial_shape[0]
    return step


def _slice_attributes(ds: Dataset, image: Image, step: NDArray[np.float64], k: int) -> None:
    """Position of slice ``k`` and its pixels' slope."""
    position = image.affine[:3, 3] + k * step
    ds.ImagePositionPatient = [_ds(v) for v in position]
    normal = np.cross(image.affine[:3, 0], image.affine[:3, 1])
    ds.SliceLocation = _ds(float(np.dot(position, normal / np.linalg.norm(normal))))


def _pixels(ds: Dataset, values: NDArray[np.floating], *, pet: bool) -> None:
    pixels, slope = _scale_slice(np.asarray(values, dtype=np.float64), pet=pet)
    ds.RescaleSlope = _ds(slope)
    ds.add_new(0x7FE00010, "OW", np.ascontiguousarray(pixels.T).tobytes())  # PixelData


def _write_pet(image: Image, paths: Sequence[Path], log: Logger | None) -> list[Path]:
    if image.frames is None or image.frames.acquisition_start is None:
        raise MissingFieldError(
            "DICOM PET needs the acquisition start date and time (SeriesDate/SeriesTime)",
            field="frames.acquisition_start",
            fix="give the image a FrameTable with acquisition_start",
        )
    image, decay = _pet_decay(image)
    frames = image.frames
    assert frames is not None and frames.acquisition_start is not None
    start = frames.acquisition_start
    base = _base_dataset(image, study_time=start, sop_class=PositronEmissionTomographyImageStorage)
    _pet_series(base, image, decay, start)
    nuclide = image.injection.nuclide if image.injection else None
    if decay != "NONE" and nuclide is None:
        raise MissingFieldError(
            "a decay-corrected PET image needs its nuclide for the DICOM DecayFactor",
            field="injection.nuclide",
        )
    ref = image.decay_reference
    n_slices = image.spatial_shape[2]
    step = _plane_attributes(base, image)
    encoder = SeriesEncoder(base)
    written: list[Path] = []
    frame_starts = frames.start_times()
    directory_made = False
    slots = ((t, k) for t in range(image.n_frames) for k in range(n_slices))
    for t, k in with_progress(slots, total=len(paths), label="DICOM files", log=log):
        t0, dt = float(frames.start_s[t]), float(frames.duration_s[t])
        ds = Dataset()
        ds.SOPInstanceUID = generate_uid()
        index = t * n_slices + k + 1
        ds.ImageIndex = index
        ds.InstanceNumber = index
        ds.AcquisitionDate = format_da(frame_starts[t])
        ds.AcquisitionTime = format_tm(frame_starts[t])
        ds.FrameReferenceTime = _ds(_frame_reference_ms(image, t0, dt))
        ds.ActualFrameDuration = round(dt * 1000.0)
        if decay != "NONE" and nuclide is not None and ref is not None:
            ref_s = frames.seconds_from_start(ref)
            factor = frame_decay_correction(nuclide, t0, dt, reference_s=ref_s)
            ds.DecayFactor = _ds(float(factor))
        _slice_attributes(ds, image, step, k)
        _pixels(ds, image.frame_data(t)[:, :, k], pet=True)
        path = paths[index - 1]
        if not directory_made:
            path.parent.mkdir(parents=True, exist_ok=True)
            directory_made = True
        encoder.write(path, ds)
        written.append(path)
    return written


def _write_ct(image: Image, paths: Sequence[Path], log: Logger | None) -> list[Path]:
    start = image.frames.acquisition_start if image.frames else None
    base = _base_dataset(image, study_time=start, sop_class=CTImageStorage)
    base.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    base.PatientPosition = image.metadata.get("PatientPosition", "")
    base.KVP = image.metadata.get("KVP", "")
    base.AcquisitionNumber = 1
    base.RescaleIntercept = 0
    base.RescaleType = "HU"
    if start is not None:
        base.SeriesDate, base.SeriesTime = format_da(start), format_tm(start)
        base.AcquisitionDate, base.AcquisitionTime = base.SeriesDate, base.SeriesTime
    step = _plane_attributes(base, image)
    encoder = SeriesEncoder(base)
    written: list[Path] = []
    volume = image.frame_data(0)
    slices = range(image.spatial_shape[2])
    for k in with_progress(slices, total=len(paths), label="DICOM files", log=log):
        ds = Dataset()
        ds.SOPInstanceUID = generate_uid()
        ds.InstanceNumber = k + 1
        _slice_attributes(ds, image, step, k)
        _pixels(ds, volume[:, :, k], pet=False)
        paths[k].parent.mkdir(parents=True, exist_ok=True)
        encoder.write(paths[k], ds)
        written.append(paths[k])
    return written
