import numpy as np
import pytest

from positrix.errors import FileFormatError
from positrix.io import load, save
from positrix.io.interfile import read_interfile

STIR_HEADER = """!INTERFILE  :=
!imaging modality := PT
name of data file := img.v
!GENERAL DATA :=
!GENERAL IMAGE DATA :=
!type of data := PET
imagedata byte order := BIGENDIAN
!PET STUDY (General) :=
!PET data type := Image
process status := Reconstructed
!number format := signed integer
!number of bytes per pixel := 2
number of dimensions := 3
matrix axis label [1] := x
!matrix size [1] := 4
scaling factor (mm/pixel) [1] := 2.0
matrix axis label [2] := y
!matrix size [2] := 3
scaling factor (mm/pixel) [2] := 2.0
matrix axis label [3] := z
!matrix size [3] := 2
scaling factor (mm/pixel) [3] := 3.27
first pixel offset (mm) [1] := -3
first pixel offset (mm) [2] := -2
first pixel offset (mm) [3] := 0
number of time frames := 1
image scaling factor[1] := 0.5
data offset in bytes[1] := 0
quantification units := 1
!END OF INTERFILE :=
"""


def test_reads_a_stir_style_header(tmp_path):
    raw = np.arange(24, dtype=">i2")
    (tmp_path / "img.v").write_bytes(raw.tobytes())
    (tmp_path / "img.hv").write_text(STIR_HEADER)
    image = load(tmp_path / "img.hv")
    assert image.spatial_shape == (4, 3, 2)
    assert image.data[1, 0, 0] == 0.5 and image.data[0, 1, 0] == 2.0  # x fastest, scaled
    assert image.data[0, 0, 1] == 6.0
    np.testing.assert_allclose(np.diag(image.affine), [2.0, 2.0, 3.27, 1.0])
    np.testing.assert_allclose(image.affine[:3, 3], [-3, -2, 0])
    assert image.unit == "unknown"  # STIR's numeric "quantification units" is not a unit


def test_header_that_contradicts_the_data_size(tmp_path):
    (tmp_path / "img.v").write_bytes(np.zeros(20, ">i2").tobytes())
    (tmp_path / "img.hv").write_text(STIR_HEADER)
    with pytest.raises(FileFormatError) as err:
        read_interfile(tmp_path / "img.hv")
    assert "img.v" in str(err.value) and "matrix size" in str(err.value)


def test_missing_data_file(tmp_path):
    (tmp_path / "img.hv").write_text(STIR_HEADER)
    with pytest.raises(FileFormatError, match="missing"):
        read_interfile(tmp_path / "img.hv")


def test_writer_output_is_parsed_back(tmp_path, pet):
    files = save(pet, tmp_path / "out.hv")
    assert [f.suffix for f in files] == [".hv", ".v"]
    assert files[1].stat().st_size == pet.data.size * 4
