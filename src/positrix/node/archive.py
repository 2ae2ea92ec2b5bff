"""The managed archive: ``ROOT/StudyUID/SeriesUID/SOPInstanceUID.dcm``, each instance written
once.  An identical resend is a no-op; a different file with a SOP Instance UID already held
is kept aside in ``ROOT/conflicts/`` and reported, never written over.  A file is written
beside its place and linked in atomically, so two receivers of one instance cannot both win.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from positrix.errors import PositrixError

__all__ = ["Archive", "Stored"]

_UID = re.compile(r"^[0-9]+(\.[0-9]+)*$")


@dataclass(frozen=True)
class Stored:
    """Where an instance went and what happened: ``stored`` (new), ``duplicate`` (the same
    bytes were already there), ``conflict`` (other bytes under that UID: kept aside)."""

    path: Path
    sha256: str
    size_bytes: int
    outcome: Literal["stored", "duplicate", "conflict"]


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Archive:
    """An archive rooted at ``root`` (created when missing)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._made: set[Path] = set()

    def path_for(self, study: str, series: str, sop: str) -> Path:
        """The instance's place; UIDs that are not DICOM UIDs are refused (no path tricks)."""
        for name, uid in (("StudyInstanceUID", study), ("SeriesInstanceUID", series),
                          ("SOPInstanceUID", sop)):  # fmt: skip
            if not _UID.match(uid or "") or len(uid) > 64:
                raise PositrixError(
                    f"'{uid}' is not a DICOM UID", field=name, fix="the sender must send valid UIDs"
                )
        return self.root / study / series / f"{sop}.dcm"

    def _write_new(self, target: Path, data: bytes) -> bool:
        """Write ``data`` at ``target`` unless something is there; ``True`` if written."""
        if target.parent not in self._made:
            target.parent.mkdir(parents=True, exist_ok=True)
            self._made.add(target.parent)
        partial = target.with_name(f".{target.name}.{os.getpid()}.{id(data)}")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(descriptor, view) :]
        finally:
            os.close(descriptor)
        try:
            os.link(partial, target)  # fails if the target exists: no overwrite, no race
            return True
        except FileExistsError:
            return False
        finally:
            partial.unlink()

    def store(self, data: bytes, *, study: str, series: str, sop: str) -> Stored:
        """Keep one encoded instance (a whole DICOM file's bytes)."""
        target = self.path_for(study, series, sop)
        digest = _digest(data)
        if self._write_new(target, data):
            return Stored(target, digest, len(data), "stored")
        if _digest(target.read_bytes()) == digest:
            return Stored(target, digest, len(data), "duplicate")
        aside = self.root / "conflicts" / f"{sop}-{digest[:16]}.dcm"
        self._write_new(aside, data)
        return Stored(aside, digest, len(data), "conflict")

    def reject(self, data: bytes, reason: str) -> Path:
        """Keep an instance the node refused (with why, beside it), so nothing is lost."""
        digest = _digest(data)
        target = self.root / "rejected" / f"{digest[:16]}.dcm"
        if self._write_new(target, data):
            target.with_suffix(".txt").write_text(reason + "\n", encoding="utf-8")
        return target
