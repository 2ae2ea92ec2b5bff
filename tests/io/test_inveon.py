"""Inveon/microPET: XMedCon cross-check, calibration, data types, orientation, errors."""

import subprocess

import nibabel as nib
import numpy as np
import pytest

from positrix.errors import FileFormatError
from positrix.io import load
from positrix.io.inveon import read_inveon
from tests.conftest import external_tool


def test_medcon_written_inveon_reads_like_its_nifti_source(tmp_path):
    data = np.random.default_rng(0).uniform(0, 100, (6, 5, 4, 3)).astype(np.float32)
    nii = nib.Nifti1Image(data, np.diag([0.8, 0.9, 1.1, 1.0]))
    nii.header.set_xyzt_units("mm", "sec")
    nii.header["pixdim"][4] = 60.0
    nib.save(nii, tmp_path / "t.nii")
    subprocess.run(
        [external_tool("medcon"), "-f", "t.nii", "-c", "conc"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    source = load(tmp_path / "t.nii")
    converted = load(tmp_path / "m000-t.img")  # by the data file; the header is found
    assert converted.data.shape == source.data.shape
    np.testing.assert_array_equal(converted.data, source.data)  # float32 copied exactly
    assert converted.voxel_size_mm == pytest.approx((0.8, 0.9, 1.1))
    np.testing.assert_allclose(converted.frames.start_s, [0, 60, 120])
    np.testing.assert_allclose(converted.frames.duration_s, [60, 60, 60])


def _write_pair(tmp_path, header_lines, raw: np.ndarray, dtype: str):
    (tmp_path / "s.img").write_bytes(raw.astype(dtype).tobytes(order="F"))
    (tmp_path / "s.img.hdr").write_text("\n".join(header_lines) + "\n")
    return tmp_path / "s.img.hdr"


def _header(
    data_type, *, frames=1, calibration="calibration_units 1", branching="0.9673", extra=()
):
    lines = [
        "# Header file for data file s.img",
        "version 001.910",
        "modality 0",
        f"data_type {data_type}",
        "x_dimension 4",
        "y_dimension 3",
        "z_dimension 2",
        f"total_frames {frames}",
        "pixel_size_x 0.776",
        "pixel_size_y 0.776",
        "pixel_size_z 0.796",
        "subject_orientation 2",
        calibration,
        "calibration_factor 2.5",
        f"isotope_branching_fraction {branching}",
        "isotope F-18",
        "scan_time Sun Sep 16 01:03:52 1973",
        "injection_time Sun Sep 16 00:58:52 1973",
        "dose_units 1",
        "dose 0.2",
        "subject_weight 25",
        "subject_weight_units 1",
        *extra,
        "end_of_header",
    ]
    for f in range(frames):
        lines += [
            f"frame {f}",
            f"data_file_pointer 0 {f * 24 * (4 if data_type in (3, 4, 5, 7) else 2)}",
            f"frame_start {f * 60}",
            "frame_duration 60",
            f"scale_factor {0.5 + f}",
            "end_of_header",
        ]
    return lines


@pytest.mark.parametrize(("data_type", "dtype"), [(2, "<i2"), (6, ">i2"), (4, "<f4"), (5, ">f4")])
def test_calibration_formula_and_data_types(tmp_path, data_type, dtype):
    raw = np.arange(48, dtype=np.float64).reshape(4, 3, 2, 2)
    header = _write_pair(
        tmp_path,
        _header(data_type, frames=2),
        np.concatenate([raw[..., 0].ravel("F"), raw[..., 1].ravel("F")]),
        dtype,
    )
    image = read_inveon(header)
    # nCi/cc → Bq/mL: raw · scale_factor · calibration_factor / branching · 37 (hand formula)
    for f, scale in enumerate((0.5, 1.5)):
        expected = raw[..., f] * scale * 2.5 / 0.9673 * 37.0
        np.testing.assert_allclose(image.data[..., f], expected, rtol=1e-6)
    assert image.unit == "Bq/mL"
    folded = read_inveon(header, branching_in_calibration=True)
    np.testing.assert_allclose(folded.data, image.data * 0.9673, rtol=1e-6)


def test_header_fields(tmp_path):
    header = _write_pair(tmp_path, _header(4), np.zeros(24), "<f4")
    image = read_inveon(header)
    assert image.voxel_size_mm == pytest.approx((0.776, 0.776, 0.796))
    assert image.injection.nuclide.name == "F-18"
    assert image.injection.activity_before_bq == pytest.approx(0.2 * 3.7e7)  # mCi
    assert (image.frames.acquisition_start - image.injection.injection_time).total_seconds() == 300
    assert image.subject.weight_g == 25.0
    # head-first prone: +x → patient right, +y → anterior, +z → feet (AMIDE's labels)
    np.testing.assert_allclose(np.sign(np.diag(image.affine)[:3]), [-1, -1, -1])
    np.testing.assert_allclose(image.grid.center_mm, 0.0, atol=1e-9)


def test_truncated_data_and_contradicting_header(tmp_path):
    header = _write_pair(tmp_path, _header(4), np.zeros(20), "<f4")  # 24 voxels expected
    with pytest.raises(FileFormatError) as err:
        read_inveon(header)
    assert "s.img" in str(err.value) and "truncated" in str(err.value)


def test_unknown_data_type(tmp_path):
    header = _write_pair(tmp_path, _header(9), np.zeros(24), "<f4")
    with pytest.raises(FileFormatError, match="data_type"):
        read_inveon(header)
