"""Image series and files registered by checksum: the same content is one record, however
often it arrives (a re-sent DICOM series, a copied NIfTI), so results point at content, not
at paths that move.

A folder's checksum is the SHA-256 of its files' relative paths and SHA-256s in sorted order;
a file's is that of its bytes.  DICOM files lend their modality and Study/Series UIDs.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from positrix.errors import PositrixError
from positrix.facility.access import require_project
from positrix.facility.audit import record
from positrix.facility.models import ImagingSession, Series, User

__all__ = ["Registration", "content_sha256", "register_series"]

_CHUNK = 1 << 20


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file())
    raise PositrixError("no such file or folder", source=path, fix="check the path")


def content_sha256(path: str | Path) -> tuple[str, int]:
    """SHA-256 (hex) and size (bytes) of a file, or of a folder's files.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> _ = f.write_bytes(b"abc")
    >>> content_sha256(f)[0][:16], content_sha256(f)[1]
    ('ba7816bf8f01cfea', 3)
    """
    path = Path(path)
    files = _files(path)
    size = sum(f.stat().st_size for f in files)
    if path.is_file():
        return _file_sha256(path), size
    digest = hashlib.sha256()
    for f in files:
        digest.update(f"{f.relative_to(path).as_posix()}\0{_file_sha256(f)}\n".encode())
    return digest.hexdigest(), size


def _dicom_identity(files: list[Path]) -> tuple[str, str, str]:
    """Modality, StudyInstanceUID, SeriesInstanceUID of the first DICOM file (or blanks)."""
    import pydicom
    from pydicom.errors import InvalidDicomError

    for f in files[:1]:
        try:
            ds = pydicom.dcmread(f, stop_before_pixels=True)
        except (InvalidDicomError, OSError):
            return "", "", ""
        return (
            str(ds.get("Modality", "")),
            str(ds.get("StudyInstanceUID", "")),
            str(ds.get("SeriesInstanceUID", "")),
        )
    return "", "", ""


@dataclass(frozen=True)
class Registration:
    """The series record and whether this call created it (``False``: already known)."""

    series: Series
    created: bool


def register_series(
    session: Session,
    actor: User,
    path: str | Path,
    *,
    project: str,
    imaging_session: int | None = None,
    modality: str = "",
) -> Registration:
    """Register a file or a series folder by its checksum for ``project`` (members, staff).

    Content already registered is not registered again: its record comes back with
    ``created=False`` (a different project's content is refused instead of being shared).
    """
    target = require_project(session, actor, project, write=True)
    path = Path(path)
    sha256, size = content_sha256(path)
    known = session.scalars(select(Series).where(Series.sha256 == sha256)).first()
    if known is not None:
        if known.project_id != target.id:
            raise PositrixError(
                f"this content is registered to another project (series {known.id})",
                source=path,
                field="project",
                fix="check the project, or ask staff to move the series",
            )
        return Registration(known, created=False)
    if imaging_session is not None and session.get(ImagingSession, imaging_session) is None:
        raise PositrixError(
            f"no imaging session {imaging_session}", field="session", fix="check the id"
        )
    found_modality, study_uid, series_uid = _dicom_identity(_files(path))
    series = Series(
        sha256=sha256,
        imaging_session_id=imaging_session,
        project_id=target.id,
        modality=modality or found_modality,
        study_uid=study_uid,
        series_uid=series_uid,
        path=str(path.resolve()),
        size_bytes=size,
        registered_at=datetime.now(UTC),
    )
    session.add(series)
    session.flush()
    record(
        session,
        actor.username,
        "register",
        "series",
        series.id,
        after={"sha256": sha256, "path": series.path, "project": project, "bytes": size},
    )
    return Registration(series, created=True)
