"""The audit chain: every write recorded (who, when, what, before, after), each entry hashed
together with the previous entry's hash, so that an edited or deleted entry breaks the chain.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from positrix.facility.models import AuditEntry

__all__ = ["GENESIS", "ChainReport", "entry_hash", "record", "verify_chain"]

#: The "previous hash" of the first entry.
GENESIS = "0" * 64
#: PostgreSQL advisory-lock key of the audit chain ("PXAUDIT" in ASCII, as a number).
_CHAIN_LOCK = 0x50584155444954


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def entry_hash(previous: str, fields: dict[str, Any]) -> str:
    """SHA-256 of the previous hash and the entry's fields in canonical JSON.

    Examples
    --------
    >>> len(entry_hash(GENESIS, {"actor": "ana"}))
    64
    """
    return hashlib.sha256((previous + _canonical(fields)).encode("utf-8")).hexdigest()


def _fields(entry: AuditEntry) -> dict[str, Any]:
    return {
        "at": entry.at.astimezone(UTC).isoformat(),
        "actor": entry.actor,
        "action": entry.action,
        "table": entry.table_name,
        "row": entry.row_id,
        "before": entry.before,
        "after": entry.after,
    }


def record(
    session: Session,
    actor: str,
    action: str,
    table: str,
    row_id: int | None,
    *,
    before: Any = None,
    after: Any = None,
) -> AuditEntry:
    """Append one entry in the caller's transaction (it commits or rolls back with the write).

    On SQLite every write transaction holds the database (``BEGIN IMMEDIATE``); on PostgreSQL
    a transaction-scoped advisory lock serialises the writers of the chain, so two writers
    cannot chain to the same predecessor.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK})
    last_query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)
    last = session.scalars(last_query).first()
    entry = AuditEntry(
        at=datetime.now(UTC),
        actor=actor,
        action=action,
        table_name=table,
        row_id=row_id,
        before=_canonical(before),
        after=_canonical(after),
        previous_hash=last.hash if last is not None else GENESIS,
        hash="",
    )
    entry.hash = entry_hash(entry.previous_hash, _fields(entry))
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class ChainReport:
    """The outcome of :func:`verify_chain`: entries checked and the first broken one."""

    entries: int
    broken_at: int | None
    reason: str

    @property
    def ok(self) -> bool:
        """Whether the whole chain holds."""
        return self.broken_at is None


def verify_chain(session: Session) -> ChainReport:
    """Recompute every hash in order; report the first entry that was edited, removed or
    inserted out of order."""
    previous = GENESIS
    count = 0
    for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.id)):
        count += 1
        if entry.previous_hash != previous:
            return ChainReport(count, entry.id, "its predecessor was deleted or replaced")
        if entry_hash(previous, _fields(entry)) != entry.hash:
            return ChainReport(count, entry.id, "its content was changed after it was written")
        previous = entry.hash
    return ChainReport(count, None, "")
