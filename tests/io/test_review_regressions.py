"""Cases found in review: each once gave a wrong number, lost data or a traceback."""

import json
from datetime import UTC, datetime, timedelta, timezone

import nibabel as nib
import numpy as np
import pytest
from pydicom import dcmread

from positrix.errors import FileFormatError, OverwriteError, PositrixError
from positrix.image import FrameTable, Grid, Image, frame, resample_to, select_frames
from positrix.io import load, save
from positrix.io.dicom import read_dicom, write_dicom
from tests.conftest import make_pet


def test_non_ascii_text_survives_dicom(tmp_path):
    pet = make_pet()
    pet = pet.replace(metadata={"PatientName": "Müller^Jürgen"}, description="Maus 鼠 PET")
    write_dicom(frame(pet, 0), tmp_path)
    back = read_dicom(tmp_path)
    assert back.metadata["PatientName"] == "Müller^Jürgen"
    assert back.description == "Maus 鼠 PET"


def test_non_finite_voxels_are_refused_for_dicom(tmp_path):
    data = np.array(make_pet().data)
    data[0, 0, 0, 0] = np.nan
    with pytest.raises(PositrixError, match="1 voxel"):
        write_dicom(make_pet().replace(data=data), tmp_path)
    assert not any(tmp_path.iterdir())  # nothing half-written


def test_resaving_fewer_frames_into_a_series_folder_is_refused(tmp_path):
    pet = make_pet()
    write_dicom(pet, tmp_path / "s")
    loaded = read_dicom(tmp_path / "s")
    with pytest.raises(OverwriteError, match="other DICOM"):
        write_dicom(select_frames(loaded, [0, 1]), tmp_path / "s", overwrite=True)
    write_dicom(select_frames(loaded, [0, 1]), tmp_path / "t")
    new_uid = dcmread(next((tmp_path / "t").iterdir())).SeriesInstanceUID
    assert new_uid != loaded.metadata["SeriesInstanceUID"]  # a derived image: a new series


def _mixed_zone_pet():
    """Scan at 00:10 UTC, injection given as 01:40 at UTC+2 (i.e. 30 min before the scan)."""
    pet = make_pet()
    start = datetime(2026, 5, 2, 0, 10, tzinfo=UTC)
    plus2 = timezone(timedelta(hours=2))
    injection = pet.injection.__class__(
        nuclide=pet.injection.nuclide,
        tracer="FDG",
        injection_time=datetime(2026, 5, 2, 1, 40, tzinfo=plus2),
        activity_before_bq=5e6,
    )
    frames = FrameTable(pet.frames.start_s, pet.frames.duration_s, start)
    return pet.replace(frames=frames, injection=injection, decay_reference=start)


@pytest.mark.parametrize("name", ["dcm", "p.img"])
def test_times_in_different_zones_keep_their_differences(tmp_path, name):
    pet = _mixed_zone_pet()
    save(pet, tmp_path / name)
    back = load(tmp_path / name)
    uptake = back.frames.acquisition_start - back.injection.injection_time
    assert uptake == timedelta(minutes=30)
    if name == "dcm":
        item = dcmread(next((tmp_path / name).iterdir())).RadiopharmaceuticalInformationSequence[0]
        assert item.RadiopharmaceuticalStartTime.startswith("234000")  # same zone as SeriesTime


def test_frames_without_acquisition_time_use_frame_reference_time(tmp_path):
    pet = make_pet()
    files = write_dicom(pet, tmp_path / "a")
    (tmp_path / "b").mkdir()
    for path in files:
        ds = dcmread(path)
        del ds.AcquisitionTime
        del ds.AcquisitionDate
        ds.save_as(tmp_path / "b" / path.name)
    back = read_dicom(tmp_path / "b")
    np.testing.assert_allclose(back.frames.start_s, [0, 60, 120], atol=1e-3)


def test_sub_millisecond_frame_durations_read_back(tmp_path):
    pet = make_pet(frames="3x10.0006s")
    write_dicom(pet, tmp_path)
    back = read_dicom(tmp_path)
    np.testing.assert_allclose(back.frames.start_s, pet.frames.start_s, atol=1e-6)
    np.testing.assert_allclose(back.frames.duration_s, pet.frames.duration_s, atol=1e-3)


def test_resampling_an_oblique_grid_onto_itself_changes_nothing():
    angle = np.deg2rad(17)
    affine = np.eye(4)
    affine[:3, :3] = np.array(
        [[np.cos(angle), -np.sin(angle), 0], [np.sin(angle), np.cos(angle), 0], [0, 0, 1]]
    ) @ np.diag([0.8, 0.5, 1.2])
    affine[:3, 3] = [3.3, -7.1, 2.2]
    image = Image(np.random.default_rng(0).uniform(1, 2, (4, 5, 6)), affine, unit="Bq/mL")
    out = resample_to(image, Grid(image.spatial_shape, affine))
    np.testing.assert_allclose(out.data, image.data, rtol=1e-6)


def _bids(tmp_path, side, shape=(2, 2, 2, 3)):
    nib.save(nib.Nifti1Image(np.ones(shape, np.float32), np.eye(4)), tmp_path / "x.nii")
    (tmp_path / "x.json").write_text(json.dumps(side))
    return tmp_path / "x.nii"


def test_old_dcm2niix_sidecar(tmp_path):
    image = load(
        _bids(
            tmp_path,
            {
                "Modality": "PT",
                "Units": "BQML",
                "DecayCorrection": "START",
                "FrameDuration": [60, 60, 120],
                "AcquisitionTime": "09:30:00.000000",
            },
        )
    )
    assert image.unit == "Bq/mL"
    np.testing.assert_allclose(image.frames.duration_s, [60, 60, 120])
    np.testing.assert_allclose(image.frames.start_s, [0, 60, 120])
    assert image.decay_reference == image.frames.acquisition_start


def test_sidecar_that_hides_its_decay_state_is_refused(tmp_path):
    with pytest.raises(FileFormatError, match="ImageDecayCorrected"):
        load(_bids(tmp_path, {"Units": "Bq/mL", "FrameDuration": [1, 1, 1]}))


@pytest.mark.parametrize(
    "side",
    [
        [],
        {"Positrix": None},
        {"InjectedRadioactivity": "10 MBq", "TracerRadionuclide": "F18"},
        {"BodyWeight": 25, "BodyWeightUnits": "stone"},
    ],
)
def test_malformed_sidecars_name_the_problem(tmp_path, side):
    with pytest.raises(FileFormatError, match=r"x\.json"):
        load(_bids(tmp_path, side))


def test_nifti_without_sidecar_keeps_a_common_frame_duration(tmp_path):
    pet = make_pet(frames="3x30s")
    save(pet, tmp_path / "p.nii")
    (tmp_path / "p.json").unlink()
    np.testing.assert_allclose(load(tmp_path / "p.nii").frames.duration_s, [30, 30, 30])


def test_inveon_with_non_latin_text_and_no_partial_files(tmp_path):
    pet = make_pet()
    tracer = pet.injection.__class__(**{**pet.injection.__dict__, "tracer": "[¹⁸F]FDG"})
    save(pet.replace(injection=tracer), tmp_path / "x.img")
    assert load(tmp_path / "x.img").injection.tracer == "[¹⁸F]FDG"


@pytest.mark.parametrize(
    ("key", "bad"),
    [
        ("data_file_pointer", "data_file_pointer 0 x"),
        ("x_dimension", "x_dimension -4"),
    ],
)
def test_inveon_bad_header_values(tmp_path, key, bad):
    save(make_pet(), tmp_path / "x.img")
    header = tmp_path / "x.img.hdr"
    lines = [bad if line.startswith(key) else line for line in header.read_text().splitlines()]
    header.write_text("\n".join(lines))
    with pytest.raises(FileFormatError, match=key):
        load(header)


def test_interfile_non_integer_matrix_size(tmp_path):
    save(make_pet(), tmp_path / "x.hv")
    header = tmp_path / "x.hv"
    header.write_text(
        header.read_text().replace("!matrix size [1] := 9", "!matrix size [1] := 9.5")
    )
    with pytest.raises(FileFormatError, match="matrix size"):
        load(header)


def test_interfile_single_data_offset_for_several_frames(tmp_path):
    pet = make_pet()
    save(pet, tmp_path / "x.hv")
    header = tmp_path / "x.hv"
    text = "\n".join(
        line
        for line in header.read_text().splitlines()
        if not line.startswith("data offset in bytes")
    )
    header.write_text(
        text.replace("number of time frames", "data offset in bytes := 0\nnumber of time frames")
    )
    back = load(header)
    np.testing.assert_allclose(back.data, pet.data.astype(np.float32)[::-1, ::-1], rtol=1e-6)


def test_dicomdir_in_the_folder_is_ignored(tmp_path):
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    write_dicom(frame(make_pet(), 0), tmp_path)
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.1.3.10"
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = "1.2.840.10008.1.3.10"
    ds.save_as(tmp_path / "DICOMDIR", enforce_file_format=True)
    assert read_dicom(tmp_path).modality == "PT"


@pytest.mark.filterwarnings("ignore:Invalid value for VR DA")
def test_invalid_birth_date_is_unknown(tmp_path):
    files = write_dicom(frame(make_pet(), 0), tmp_path / "a")
    (tmp_path / "b").mkdir()
    for path in files:
        ds = dcmread(path)
        ds.PatientBirthDate = "20250000"
        ds.save_as(tmp_path / "b" / path.name)
    assert read_dicom(tmp_path / "b").subject.date_of_birth is None


def test_ct_and_pet_of_one_study_share_the_study_date(tmp_path):
    from positrix.simulation.demo_mouse import demo_mouse_study

    study = demo_mouse_study(frames="1x60s", pet_voxel_mm=2.0, ct_voxel_mm=2.0)
    pet_file = write_dicom(study.pet, tmp_path / "pet")[0]
    ct_file = write_dicom(study.ct, tmp_path / "ct")[0]
    pet_ds, ct_ds = dcmread(pet_file), dcmread(ct_file)
    assert (pet_ds.StudyDate, pet_ds.StudyTime) == (ct_ds.StudyDate, ct_ds.StudyTime)


def test_missing_image_position_is_a_clear_error(tmp_path):
    files = write_dicom(frame(make_pet(), 0), tmp_path / "a")
    (tmp_path / "b").mkdir()
    for path in files:
        ds = dcmread(path)
        del ds.ImagePositionPatient
        ds.save_as(tmp_path / "b" / path.name)
    with pytest.raises(FileFormatError, match="ImagePositionPatient"):
        read_dicom(tmp_path / "b")
