"""Backup and restore of a facility database, engine-independent.

A backup is one gzip-compressed JSON-lines file: a header (format, schema revision, time,
row counts), one line per row of every table in dependency order, and a trailer with the
SHA-256 of everything before it.  It is read in one consistent snapshot of the database, so
it can be taken while the facility works; it restores into a new database of either engine
(SQLite ⇄ PostgreSQL).  A backup of an older schema is restored at its own revision and then
upgraded, like the database it came from would have been.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from alembic.runtime.migration import MigrationContext
from sqlalchemy import Date, DateTime, insert, select, text
from sqlalchemy.orm import Session

from positrix.errors import FileFormatError, PositrixError
from positrix.facility.audit import verify_chain
from positrix.facility.models import Base, User
from positrix.facility.schema import current_revision, init_database, require_current
from positrix.io.safety import check_writable

__all__ = ["BACKUP_FORMAT", "BackupSummary", "backup_database", "restore_database"]

#: The format name and version in a backup's header.
BACKUP_FORMAT = "positrix-facility-backup/1"
_BATCH = 5000


@dataclass(frozen=True)
class BackupSummary:
    """What a backup holds, or what a restore wrote: schema revision and rows per table."""

    schema: str
    rows: dict[str, int]
    sha256: str

    @property
    def total(self) -> int:
        """All rows."""
        return sum(self.rows.values())


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _lines(connection: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    for table in Base.metadata.sorted_tables:
        for row in connection.execute(select(table).order_by(*table.primary_key.columns)):
            yield table.name, {k: _plain(v) for k, v in row._mapping.items()}


def backup_database(engine: Any, path: str | Path, *, overwrite: bool = False) -> BackupSummary:
    """Write a consistent backup of the database at ``engine`` to ``path`` (``.jsonl.gz``).

    The file is written beside its target and renamed into place when complete, so a backup
    interrupted half-way leaves no file that looks whole.
    """
    target = Path(path)
    check_writable([target], overwrite=overwrite)
    require_current(engine)
    partial = target.with_name(target.name + ".partial")
    digest = hashlib.sha256()
    counts: dict[str, int] = {}
    options = {"isolation_level": "REPEATABLE READ"} if engine.dialect.name == "postgresql" else {}
    try:
        schema = _dump(engine, partial, digest, counts, options)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, target)
    return BackupSummary(schema, counts, digest.hexdigest())


def _dump(engine: Any, partial: Path, digest: Any, counts: dict[str, int],
          options: dict[str, str]) -> str:  # fmt: skip
    with engine.connect().execution_options(**options) as connection, connection.begin():
        schema = MigrationContext.configure(connection).get_current_revision() or ""
        header = {"format": BACKUP_FORMAT, "schema": schema,
                  "created": datetime.now(UTC).isoformat()}  # fmt: skip
        with gzip.open(partial, "wt", encoding="utf-8") as out:
            _write(out, digest, header)
            for table, row in _lines(connection):
                counts[table] = counts.get(table, 0) + 1
                _write(out, digest, {"t": table, "r": row})
            out.write(json.dumps({"end": True, "rows": counts, "sha256": digest.hexdigest()}))
            out.write("\n")
    return schema


def _write(out: Any, digest: Any, item: dict[str, Any]) -> None:
    line = json.dumps(item, separators=(",", ":"), ensure_ascii=False) + "\n"
    digest.update(line.encode("utf-8"))
    out.write(line)


def _read(path: Path) -> tuple[dict[str, Any], list[tuple[str, dict[str, Any]]], dict[str, Any]]:
    """Header, rows and trailer of a backup, its checksum verified."""
    digest = hashlib.sha256()
    rows: list[tuple[str, dict[str, Any]]] = []
    header: dict[str, Any] | None = None
    trailer: dict[str, Any] | None = None
    try:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for line in handle:
                item = json.loads(line)
                if item.get("end"):
                    trailer = item
                    break
                digest.update(line.encode("utf-8"))
                if header is None:
                    header = item
                else:
                    rows.append((item["t"], item["r"]))
    except OSError as err:
        raise FileFormatError(f"cannot read the backup ({err})", source=path) from None
    except (json.JSONDecodeError, KeyError, TypeError):
        raise FileFormatError("not a Positrix facility backup", source=path) from None
    if header is None or header.get("format") != BACKUP_FORMAT:
        raise FileFormatError(
            "not a Positrix facility backup", source=path, fix="give a file made by backup"
        )
    if trailer is None or trailer.get("sha256") != digest.hexdigest():
        raise FileFormatError(
            "the backup is truncated or was changed (its checksum does not match)",
            source=path,
            fix="use another backup",
        )
    return header, rows, trailer


def _decoder(table: Any) -> dict[str, Any]:
    decode: dict[str, Any] = {}
    for column in table.columns:
        kind = column.type
        if isinstance(kind, DateTime) or isinstance(getattr(kind, "impl", None), DateTime):
            decode[column.name] = datetime.fromisoformat
        elif isinstance(kind, Date):
            decode[column.name] = date.fromisoformat
    return decode


def restore_database(engine: Any, path: str | Path) -> BackupSummary:
    """Restore the backup at ``path`` into the new, empty database at ``engine``; the audit
    chain is verified afterwards.

    Raises
    ------
    PositrixError
        When the database already holds data, the backup is damaged or newer than this code,
        or the restored audit chain does not hold.
    """
    source = Path(path)
    header, rows, trailer = _read(source)
    where = engine.url.render_as_string(hide_password=True)
    if current_revision(engine) is not None:
        with Session(engine) as session:
            if session.scalar(select(User.id).limit(1)) is not None:
                raise PositrixError(
                    "the database already holds data; a restore goes into a new database",
                    source=where,
                    field="--db",
                    fix="give a new database URL (an empty file or database)",
                )
    init_database(engine, revision=header["schema"])
    tables = {t.name: t for t in Base.metadata.sorted_tables}
    with engine.begin() as connection:
        for name in tables:
            batch = [r for t, r in rows if t == name]
            if not batch:
                continue
            decode = _decoder(tables[name])
            for k in range(0, len(batch), _BATCH):
                chunk = [
                    {
                        c: (decode[c](v) if c in decode and v is not None else v)
                        for c, v in row.items()
                    }
                    for row in batch[k : k + _BATCH]
                ]
                connection.execute(insert(tables[name]), chunk)
        if engine.dialect.name == "postgresql":
            _move_sequences(connection, tables)
    init_database(engine)
    with Session(engine) as session:
        report = verify_chain(session)
    if not report.ok:
        raise PositrixError(
            f"the restored audit chain is broken at entry {report.broken_at}: {report.reason}",
            source=source,
            fix="the backup was made from a tampered database; use an older backup",
        )
    return BackupSummary(header["schema"], dict(trailer["rows"]), trailer["sha256"])


def _move_sequences(connection: Any, tables: dict[str, Any]) -> None:
    """Explicit ids were inserted: move each id sequence past the largest."""
    for name, table in tables.items():
        if "id" in table.columns:
            connection.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                    f"coalesce((SELECT max(id) FROM {name}), 1))"
                )
            )
