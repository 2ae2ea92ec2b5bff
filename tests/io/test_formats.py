import shutil

import pytest

from positrix.errors import FileFormatError
from positrix.io import save
from positrix.io.formats import format_for_output, sniff_format


def test_sniffing_uses_content_not_the_name(tmp_path, pet):
    save(pet, tmp_path / "a.nii")
    shutil.copy(tmp_path / "a.nii", tmp_path / "misnamed.img")
    assert sniff_format(tmp_path / "misnamed.img") == "nifti"
    save(pet, tmp_path / "b.hv")
    shutil.copy(tmp_path / "b.hv", tmp_path / "b.hdr")
    assert sniff_format(tmp_path / "b.hdr") == "interfile"
    save(pet, tmp_path / "c.img")
    assert sniff_format(tmp_path / "c.img") == "inveon"
    assert sniff_format(tmp_path / "c.img.hdr") == "inveon"
    save(pet, tmp_path / "dicom")
    assert sniff_format(tmp_path / "dicom") == "dicom"
    assert sniff_format(next((tmp_path / "dicom").iterdir())) == "dicom"


def test_unknown_and_missing_inputs(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(FileFormatError, match="unknown file format"):
        sniff_format(tmp_path / "notes.txt")
    with pytest.raises(FileFormatError, match="no such file"):
        sniff_format(tmp_path / "absent.nii")
    (tmp_path / "analyze.hdr").write_bytes(b"\x00" * 348)
    with pytest.raises(FileFormatError, match="Analyze"):
        sniff_format(tmp_path / "analyze.hdr")


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("x.nii", "nifti"),
        ("x.nii.gz", "nifti"),
        ("x.hv", "interfile"),
        ("x.img", "inveon"),
        ("series", "dicom"),
    ],
)
def test_output_format_from_name(tmp_path, name, kind):
    assert format_for_output(tmp_path / name) == kind


def test_unknown_output_name(tmp_path):
    with pytest.raises(FileFormatError, match="output format"):
        format_for_output(tmp_path / "x.png")
