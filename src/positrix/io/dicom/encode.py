"""Fast writing of a series: encode the attributes shared by every file once.

A legacy series repeats the same patient, study, series and equipment attributes in every
file; only a dozen attributes change per slice.  :class:`SeriesEncoder` encodes the shared
part once (explicit VR little endian) and, per file, only the changing elements, then
merges the two in tag order — the bytes pydicom's ``save_as`` would write, several times
faster.
"""

from __future__ import annotations

from pathlib import Path

from pydicom.charset import convert_encodings
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_data_element, write_file_meta_info
from pydicom.uid import ExplicitVRLittleEndian

__all__ = ["SeriesEncoder"]


#: Text is written as UTF-8, matching SpecificCharacterSet "ISO_IR 192" in every file.
_ENCODINGS = convert_encodings(["ISO_IR 192"])


def _encode(element: DataElement) -> bytes:
    buffer = DicomBytesIO()
    buffer.is_little_endian = True
    buffer.is_implicit_VR = False
    write_data_element(buffer, element, encodings=_ENCODINGS)
    return buffer.getvalue()


class SeriesEncoder:
    """Write DICOM files that share ``base`` and differ by a few elements.

    Parameters
    ----------
    base
        The attributes common to every file of the series (no ambiguous VRs).
    """

    def __init__(self, base: Dataset) -> None:
        self._sop_class = base.SOPClassUID
        self._shared = {int(element.tag): _encode(element) for element in base}

    def write(self, path: Path, varying: Dataset) -> None:
        """Write one Part-10 file: preamble, file meta, shared + ``varying`` elements."""
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = self._sop_class
        meta.MediaStorageSOPInstanceUID = varying.SOPInstanceUID
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        buffer = DicomBytesIO()
        buffer.is_little_endian = True
        buffer.is_implicit_VR = False
        buffer.write(b"\x00" * 128 + b"DICM")
        write_file_meta_info(buffer, meta, enforce_standard=True)
        elements = dict(self._shared)
        elements.update({int(element.tag): _encode(element) for element in varying})
        for tag in sorted(elements):
            buffer.write(elements[tag])
        path.write_bytes(buffer.getvalue())
