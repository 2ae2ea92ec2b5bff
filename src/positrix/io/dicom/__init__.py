"""DICOM PET and CT series (legacy, one file per slice and frame)."""

from positrix.io.dicom.read import read_dicom
from positrix.io.dicom.sniff import is_dicom_file
from positrix.io.dicom.write import write_dicom

__all__ = ["is_dicom_file", "read_dicom", "write_dicom"]
