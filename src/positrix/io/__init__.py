"""Layer 3: file formats ↔ ``Image``.

``load(path)`` sniffs the format from the content; ``save(image, path)`` picks it from the
output name.  Nothing is ever written over an existing file unless ``overwrite=True``.
"""

from __future__ import annotations

from pathlib import Path

from positrix.image.image import Image
from positrix.progress import Logger

__all__ = ["load", "planned_outputs", "save"]


def load(path: str | Path, *, log: Logger | None = None) -> Image:
    """Read an image from DICOM (file or folder), NIfTI(+JSON), Interfile or Inveon.

    The path is kept in ``image.metadata["source_path"]`` so that later errors can name it.

    See ``docs/io.md`` for worked examples.
    """
    path = Path(path)
    image = _read(path, log)
    return image.replace(metadata={**image.metadata, "source_path": str(path)})


def _read(path: Path, log: Logger | None) -> Image:
    from positrix.io.formats import sniff_format

    kind = sniff_format(path)
    if kind == "dicom":
        from positrix.io.dicom import read_dicom

        return read_dicom(path, log=log)
    if kind == "nifti":
        from positrix.io.nifti import read_nifti

        return read_nifti(path)
    if kind == "interfile":
        from positrix.io.interfile import read_interfile

        return read_interfile(path)
    from positrix.io.inveon import read_inveon

    return read_inveon(path)


def planned_outputs(path: str | Path) -> list[Path]:
    """The files :func:`save` would write for ``path`` (refuses a name of no known format),
    so that a command can check every output before any work.

    Examples
    --------
    >>> [p.name for p in planned_outputs("pet.nii.gz")]
    ['pet.nii.gz', 'pet.json']
    """
    from positrix.io.formats import format_for_output

    path = Path(path)
    kind = format_for_output(path)
    if kind == "nifti":
        from positrix.io.nifti import sidecar_path

        return [path, sidecar_path(path)]
    if kind == "interfile":
        return [path.with_suffix(".hv"), path.with_suffix(".v")]
    if kind == "inveon":
        data = path if path.name.endswith(".img") else path.with_name(path.name[: -len(".hdr")])
        return [data, data.with_name(data.name + ".hdr")]
    return [path]


def save(
    image: Image, path: str | Path, *, overwrite: bool = False, log: Logger | None = None
) -> list[Path]:
    """Write ``image``; the format follows the name (``.nii[.gz]``, ``.hv``, ``.img``, folder).

    ``log`` receives progress lines for long writes (DICOM series).

    Returns
    -------
    list of Path
        Every file written.
    """
    from positrix.io.formats import format_for_output

    path = Path(path)
    kind = format_for_output(path)
    if kind == "dicom":
        from positrix.io.dicom import write_dicom

        return write_dicom(image, path, overwrite=overwrite, log=log)
    if kind == "nifti":
        from positrix.io.nifti import write_nifti

        return write_nifti(image, path, overwrite=overwrite)
    if kind == "interfile":
        from positrix.io.interfile import write_interfile

        return write_interfile(image, path, overwrite=overwrite)
    from positrix.io.inveon import write_inveon

    return write_inveon(image, path, overwrite=overwrite)
