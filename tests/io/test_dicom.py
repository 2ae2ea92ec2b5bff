"""DICOM PET/CT: validation by dciodvfy, cross-check with dcm2niix, third-party layouts."""

import json
import subprocess
from datetime import timedelta

import numpy as np
import pytest
from pydicom import dcmread

from positrix.errors import FileFormatError
from positrix.image import Image, frame, reorient
from positrix.io import load, save
from positrix.io.dicom import read_dicom, write_dicom
from tests.conftest import T0, external_tool, make_pet


def _ct():
    pet = make_pet()
    rng = np.random.default_rng(3)
    hu = rng.uniform(-1000, 2000, pet.spatial_shape)
    return Image(
        hu,
        pet.affine,
        unit="HU",
        modality="CT",
        subject=pet.subject,
        frames=None,
        metadata={"PatientPosition": "HFP", "KVP": "80"},
    )


def _dciodvfy_errors(path):
    result = subprocess.run(
        [external_tool("dciodvfy"), str(path)], capture_output=True, text=True, check=False
    )
    return [
        line for line in (result.stdout + result.stderr).splitlines() if line.startswith("Error")
    ]


@pytest.mark.parametrize("kind", ["dynamic", "static", "ct", "no-decay-correction"])
def test_dciodvfy_reports_zero_errors(tmp_path, kind):
    pet = make_pet()
    image = {
        "dynamic": pet,
        "static": frame(pet, 0),
        "ct": _ct(),
        "no-decay-correction": pet.replace(decay_reference=None),
    }[kind]
    files = write_dicom(image, tmp_path)
    for path in (files[0], files[len(files) // 2], files[-1]):
        assert _dciodvfy_errors(path) == [], path


def test_dcm2niix_gives_the_same_values_and_frame_times(tmp_path):
    pet = make_pet()
    write_dicom(pet, tmp_path / "dcm")
    (tmp_path / "nii").mkdir()
    subprocess.run(
        [
            external_tool("dcm2niix"),
            "-b",
            "y",
            "-z",
            "n",
            "-f",
            "pet",
            "-o",
            str(tmp_path / "nii"),
            str(tmp_path / "dcm"),
        ],
        check=True,
        capture_output=True,
    )
    converted = load(tmp_path / "nii" / "pet.nii")  # NIfTI: RAS converted back to LPS
    directions = pet.affine[:3, :3] / np.linalg.norm(pet.affine[:3, :3], axis=0)
    converted = reorient(converted, directions)
    np.testing.assert_allclose(converted.affine, pet.affine, atol=1e-4)
    # int16 with a per-slice slope: error ≤ slope/2 = max/65534 per slice
    assert np.max(np.abs(converted.data - pet.data)) <= pet.data.max() / 65534 * 1.01
    sidecar = json.loads((tmp_path / "nii" / "pet.json").read_text())
    np.testing.assert_allclose(sidecar["FrameTimesStart"], pet.frames.start_s, atol=1e-3)
    np.testing.assert_allclose(sidecar["FrameDuration"], pet.frames.duration_s, atol=1e-3)
    assert sidecar["Units"] in ("BQML", "Bq/mL")  # dcm2niix versions differ
    assert (
        sidecar.get("ImageDecayCorrected", True)
        and sidecar.get("DecayCorrection", "START") == "START"
    )


def test_written_attributes(tmp_path):
    pet = make_pet()
    files = write_dicom(pet, tmp_path)
    ds = dcmread(files[-1])
    assert ds.SOPClassUID == "1.2.840.10008.5.1.4.1.1.128"
    assert ds.Units == "BQML" and ds.DecayCorrection == "START"
    assert ds.SeriesType == ["DYNAMIC", "IMAGE"] and ds.NumberOfTimeSlices == 3
    assert ds.ImageIndex == 15 and ds.NumberOfSlices == 5
    assert float(ds.PatientWeight) == pytest.approx(0.0246)
    assert ds.PatientSpeciesDescription == "Mus musculus"
    item = ds.RadiopharmaceuticalInformationSequence[0]
    assert float(item.RadionuclideTotalDose) == pytest.approx(
        pet.injection.net_activity_bq, rel=1e-6
    )
    assert item.RadionuclideCodeSequence[0].CodeValue == "77004003"
    assert "PatientPosition" not in ds  # PET codes it instead
    assert ds.PatientGantryRelationshipCodeSequence[0].CodeMeaning == "headfirst"
    assert all(len(str(v)) <= 16 for v in ds.ImagePositionPatient)
    assert read_dicom(tmp_path).metadata["PatientPosition"] == "HFP"  # decoded back


def _shuffled_series(tmp_path, pet, *, drop_image_index=False, series_later=False):
    """A 'vendor' series: files renamed in random order, optionally without ImageIndex."""
    source = tmp_path / "src"
    files = write_dicom(pet, source)
    out = tmp_path / "vendor"
    out.mkdir()
    rng = np.random.default_rng(0)
    for number, index in enumerate(rng.permutation(len(files))):
        ds = dcmread(files[index])
        if drop_image_index:
            del ds.ImageIndex
        if series_later:  # a post-processed series: SeriesTime after the acquisition
            ds.SeriesTime = "113000.000000"
        ds.save_as(out / f"IM{number:05d}")
    return out


@pytest.mark.parametrize("drop_image_index", [False, True])
def test_frames_are_split_whatever_the_file_order(tmp_path, drop_image_index):
    pet = make_pet()
    back = read_dicom(_shuffled_series(tmp_path, pet, drop_image_index=drop_image_index))
    np.testing.assert_allclose(back.data, pet.data, atol=pet.data.max() / 32767)
    np.testing.assert_allclose(back.frames.start_s, [0, 60, 120])


def test_series_time_after_acquisition_uses_the_acquisition(tmp_path):
    pet = make_pet()
    back = read_dicom(_shuffled_series(tmp_path, pet, series_later=True))
    assert back.frames.acquisition_start == T0
    np.testing.assert_allclose(back.frames.start_s, [0, 60, 120])


def test_per_slice_rescale_slopes_are_applied(tmp_path):
    pet = frame(make_pet(), 0)
    data = np.array(pet.data)
    data[:, :, 2] *= 1000.0  # one hot slice: its slope differs by 1000×
    files = write_dicom(pet.replace(data=data), tmp_path)
    slopes = {float(dcmread(f).RescaleSlope) for f in files}
    assert len(slopes) == len(files)
    back = read_dicom(tmp_path)
    np.testing.assert_allclose(
        back.data[:, :, 2], data[:, :, 2], rtol=0, atol=data[:, :, 2].max() / 32767
    )


def test_ct_round_trip_in_hu(tmp_path):
    ct = _ct()
    write_dicom(ct, tmp_path)
    back = load(tmp_path)
    assert back.unit == "HU" and back.modality == "CT"
    np.testing.assert_allclose(back.data, ct.data, atol=0.5 + 1e-6)  # whole HU


def test_truncated_file_names_the_file(tmp_path):
    files = write_dicom(frame(make_pet(), 0), tmp_path)
    victim = files[2]
    victim.write_bytes(victim.read_bytes()[:-100])
    with pytest.raises(FileFormatError) as err:
        read_dicom(tmp_path)
    assert victim.name in str(err.value) and "PixelData" in str(err.value)


def test_missing_slice_is_reported(tmp_path):
    files = write_dicom(make_pet(), tmp_path)
    files[7].unlink()
    with pytest.raises(FileFormatError, match="missing"):
        read_dicom(tmp_path)


def test_two_series_need_a_choice(tmp_path):
    pet = make_pet()
    write_dicom(frame(pet, 0), tmp_path / "a")
    write_dicom(_ct(), tmp_path / "b")
    with pytest.raises(FileFormatError, match="2 series"):
        read_dicom(tmp_path)
    one = read_dicom(next((tmp_path / "b").iterdir()))
    assert one.modality == "CT"


def test_refuses_to_overwrite(tmp_path):
    pet = make_pet()
    save(pet, tmp_path / "s")
    from positrix.errors import OverwriteError

    with pytest.raises(OverwriteError, match="--force"):
        save(pet, tmp_path / "s")
    save(pet, tmp_path / "s", overwrite=True)


def test_decay_reference_other_than_start_is_converted_explicitly(tmp_path):
    pet = make_pet()
    later = T0 + timedelta(minutes=30)
    from positrix.image import decay_correct

    shifted = decay_correct(pet, to=later)
    write_dicom(shifted, tmp_path)
    back = read_dicom(tmp_path)
    assert back.decay_reference == T0  # written as START, values corrected accordingly
    np.testing.assert_allclose(back.data, pet.data, rtol=1e-3, atol=pet.data.max() / 32767)


def test_enhanced_multiframe_is_refused_clearly(tmp_path):
    files = write_dicom(frame(make_pet(), 0), tmp_path / "src")
    ds = dcmread(files[0])
    ds.NumberOfFrames = 2
    (tmp_path / "mf").mkdir()
    ds.save_as(tmp_path / "mf" / "one.dcm")
    with pytest.raises(FileFormatError, match="NumberOfFrames"):
        read_dicom(tmp_path / "mf")
