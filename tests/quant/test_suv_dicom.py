"""SUV from DICOM built with pydicom: each documented trap against a hand-computed value.

Common set-up: one 4 × 4 × 2 PET frame of 1000 Bq/mL, weight 25 g, F-18 (T½ 6586.2 s),
RadionuclideTotalDose 10 MBq given at 09:00, scan (frame start) at 10:00, 600 s frame.
"""

import numpy as np
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from positrix.errors import MissingFieldError
from positrix.image.requirements import with_dose_unit
from positrix.io import load
from positrix.quant.units import convert_units

T_HALF = 6586.2
LAMBDA = np.log(2) / T_HALF
C = 1000.0  # Bq/mL in the pixels
W = 25.0  # g


def _series(
    folder,
    *,
    series_time="100000",
    acquisition_time="100000",
    decay="START",
    start_time="090000",
    start_datetime="20260310090000",
    dose="10000000",
    series_date="20260310",
    acquisition_date="20260310",
):
    folder.mkdir()
    study, series, frame_of_reference = generate_uid(), generate_uid(), generate_uid()
    for k in range(2):
        ds = Dataset()
        ds.file_meta = FileMetaDataset()
        ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.128"
        ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.128"
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
        ds.Modality = "PT"
        ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
        ds.FrameOfReferenceUID = frame_of_reference
        ds.PatientID, ds.PatientWeight = "m1", "0.025"
        ds.SeriesDate, ds.SeriesTime = series_date, series_time
        ds.AcquisitionDate, ds.AcquisitionTime = acquisition_date, acquisition_time
        ds.Units, ds.DecayCorrection = "BQML", decay
        ds.CorrectedImage = ["ATTN", "DECY"] if decay != "NONE" else ["ATTN"]
        ds.SeriesType = ["STATIC", "IMAGE"]
        ds.NumberOfSlices, ds.ImageIndex = 2, k + 1
        ds.ActualFrameDuration, ds.FrameReferenceTime = 600000, 300000
        item = Dataset()
        if start_time:
            item.RadiopharmaceuticalStartTime = start_time
        if start_datetime:
            item.RadiopharmaceuticalStartDateTime = start_datetime
        item.RadionuclideTotalDose = dose
        item.RadionuclideHalfLife = str(T_HALF)
        item.Radiopharmaceutical = "FDG"
        ds.RadiopharmaceuticalInformationSequence = [item]
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        ds.ImagePositionPatient = [0, 0, 2.0 * k]
        ds.PixelSpacing, ds.SliceThickness = [1, 1], 2
        ds.Rows = ds.Columns = 4
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
        ds.RescaleSlope, ds.RescaleIntercept = "0.5", "0"  # pixels 2000 × 0.5 = 1000 Bq/mL
        ds.PixelData = np.full((4, 4), 2000, np.int16).tobytes()
        ds.save_as(folder / f"im{k}.dcm", enforce_file_format=True)
    return load(folder)


def _suv(image):
    return float(convert_units(image, "SUVbw").data.mean())


def test_reference_case(tmp_path):
    # decayed dose at 10:00 = 10 MBq · 2^(-3600/6586.2); SUV = C · W / decayed dose
    expected = C * W / (10e6 * 2 ** (-3600 / T_HALF))
    assert _suv(_series(tmp_path / "s")) == pytest.approx(expected, rel=1e-6)


def test_series_time_later_than_acquisition(tmp_path):
    image = _series(tmp_path / "s", series_time="113000")  # post-processed at 11:30
    expected = C * W / (10e6 * 2 ** (-3600 / T_HALF))  # still the 10:00 acquisition
    assert _suv(image) == pytest.approx(expected, rel=1e-6)


def test_missing_residual_uses_the_whole_dose(tmp_path):
    image = _series(tmp_path / "s")
    assert image.injection.residual_bq == 0.0  # DICOM records none: nothing subtracted
    assert image.injection.net_activity_bq == pytest.approx(10e6)


def test_decay_correction_admin(tmp_path):
    image = _series(tmp_path / "s", decay="ADMIN")  # values refer to 09:00
    assert _suv(image) == pytest.approx(C * W / 10e6, rel=1e-6)


def test_decay_correction_none(tmp_path):
    image = _series(tmp_path / "s", decay="NONE")  # values: mean over 10:00–10:10
    mean_dose = 10e6 * np.exp(-LAMBDA * 3600) * (1 - np.exp(-LAMBDA * 600)) / (LAMBDA * 600)
    assert _suv(image) == pytest.approx(C * W / mean_dose, rel=1e-6)


def test_midnight_crossing(tmp_path):
    # injected 23:50 (time only, no date-time), scanned 00:20 the next day: 30 min uptake
    image = _series(
        tmp_path / "s",
        series_time="002000",
        acquisition_time="002000",
        start_time="235000",
        start_datetime=None,
        series_date="20260311",
        acquisition_date="20260311",
    )
    expected = C * W / (10e6 * 2 ** (-1800 / T_HALF))
    assert _suv(image) == pytest.approx(expected, rel=1e-6)


def test_dose_in_mbq_is_caught_and_can_be_declared(tmp_path):
    image = _series(tmp_path / "s", dose="10")  # the file means 10 MBq
    with pytest.raises(MissingFieldError, match="MBq"):
        convert_units(image, "SUVbw")
    expected = C * W / (10e6 * 2 ** (-3600 / T_HALF))
    assert _suv(with_dose_unit(image, "MBq")) == pytest.approx(expected, rel=1e-6)


def test_missing_weight_is_a_clear_error(tmp_path):
    image = _series(tmp_path / "s")
    with pytest.raises(MissingFieldError, match="weight"):
        convert_units(image.replace(subject=None), "SUVbw")


def test_suv_of_an_image_without_attenuation_correction_is_refused(tmp_path):
    image = _series(tmp_path / "s")
    bare = image.replace(metadata={**image.metadata, "CorrectedImage": ["DECY"]})
    from positrix.errors import UnitError

    with pytest.raises(UnitError, match="attenuation"):
        convert_units(bare, "SUVbw")
