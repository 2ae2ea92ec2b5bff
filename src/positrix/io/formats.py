"""Which format a path holds (sniffed from content) and which format to write."""

from __future__ import annotations

from pathlib import Path

from positrix.errors import FileFormatError
from positrix.io.dicom.sniff import is_dicom_file
from positrix.io.interfile import is_interfile_header
from positrix.io.inveon import inveon_header_path, is_inveon_header
from positrix.io.nifti import is_nifti_file

__all__ = ["FORMATS", "format_for_output", "sniff_format"]

#: Format names known to :func:`positrix.io.load` and :func:`positrix.io.save`.
FORMATS = ("dicom", "nifti", "interfile", "inveon")


def sniff_format(path: Path) -> str:
    """Name of the format stored at ``path``, judged by content, not by suffix.

    Raises
    ------
    FileFormatError
        When the path does not exist or holds no format Positrix reads.
    """
    if not path.exists():
        raise FileFormatError("no such file or folder", source=path, fix="check the path")
    if path.is_dir():
        if any(is_dicom_file(p) for p in path.rglob("*") if p.is_file()):
            return "dicom"
        raise FileFormatError(
            "the folder holds no DICOM files", source=path, fix="give a file or a DICOM folder"
        )
    if is_dicom_file(path):
        return "dicom"
    if is_nifti_file(path):
        return "nifti"
    if is_interfile_header(path):
        return "interfile"
    header = inveon_header_path(path)
    if header is not None and is_inveon_header(header):
        return "inveon"
    if path.suffix.lower() in (".hdr", ".img") and path.stat().st_size in (348, 540):
        raise FileFormatError(
            "this looks like an Analyze 7.5 header, which Positrix does not read",
            source=path,
            fix="convert it to NIfTI (e.g. with nibabel or medcon)",
        )
    raise FileFormatError(
        "unknown file format (not DICOM, NIfTI, Interfile or Inveon)",
        source=path,
        fix="give a DICOM file or folder, .nii/.nii.gz, an Interfile .hv, or an Inveon .img.hdr",
    )


def format_for_output(path: Path) -> str:
    """Format to write for an output path, from its name: ``.nii[.gz]`` NIfTI, ``.hv``
    Interfile, ``.img`` Inveon, anything else (a folder) DICOM."""
    name = path.name.lower()
    if name.endswith((".nii", ".nii.gz")):
        return "nifti"
    if name.endswith(".hv"):
        return "interfile"
    if name.endswith((".img", ".img.hdr")):
        return "inveon"
    if "." not in name or path.is_dir():
        return "dicom"
    raise FileFormatError(
        f"cannot tell the output format from the name '{path.name}'",
        source=path,
        fix="end it with .nii, .nii.gz, .hv or .img, or give a folder name for DICOM",
    )
