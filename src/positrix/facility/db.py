"""Database URLs and engines: SQLite (embedded default, WAL, foreign keys on) and PostgreSQL.

Users write URLs as they know them (``sqlite:///path``, ``postgresql://user@host:5432/db``);
the driver is ours to choose (psycopg 3 for PostgreSQL).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from positrix.errors import PositrixError

__all__ = ["default_url", "make_engine", "normalised_url"]


def default_url() -> str:
    """``sqlite:///`` a file in the user's data folder (``$XDG_DATA_HOME/positrix``)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return f"sqlite:///{Path(base) / 'positrix' / 'facility.db'}"


def normalised_url(url: str | None) -> str:
    """The SQLAlchemy URL for what the user wrote (``None``: :func:`default_url`).

    Examples
    --------
    >>> normalised_url("postgresql://me@localhost:5432/facility")
    'postgresql+psycopg://me@localhost:5432/facility'
    >>> normalised_url("sqlite:///tmp/f.db")
    'sqlite:///tmp/f.db'
    """
    text = (url or default_url()).strip()
    if text.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + text.split("://", 1)[1]
    if text.startswith(("sqlite://", "postgresql+")):
        return text
    raise PositrixError(
        f"'{text}' is not a database URL Positrix can use",
        field="--db",
        fix="write sqlite:///path/to/facility.db or postgresql://user@host:5432/database",
    )


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA busy_timeout = 30000")  # ms: writers wait instead of failing
    cursor.close()


def make_engine(url: str | None = None, *, reads_only: bool = False) -> Any:
    """An engine for ``url``; SQLite files get WAL, foreign keys and a 30 s busy timeout, and
    their folder is created; transactions on SQLite start with ``BEGIN IMMEDIATE`` so that
    concurrent writers queue instead of failing ("database is locked").

    ``reads_only``: an engine for sessions that only read (a web page): on SQLite their
    transactions start deferred, so that readers never wait for the write lock (WAL lets them
    read while one writer writes)."""
    from sqlalchemy import create_engine, event

    full = normalised_url(url)
    if full.startswith("sqlite"):
        path = full.split("sqlite:///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(full, connect_args={"timeout": 30, "isolation_level": None})
        event.listen(engine, "connect", _sqlite_pragmas)

        @event.listens_for(engine, "begin")
        def _begin(connection: Any) -> None:  # pragma: no cover - exercised by every test
            connection.exec_driver_sql("BEGIN" if reads_only else "BEGIN IMMEDIATE")

        return engine
    try:
        return create_engine(full, pool_pre_ping=True)
    except ModuleNotFoundError:
        raise PositrixError(
            "PostgreSQL needs the psycopg driver",
            field="--db",
            fix="pip install 'psycopg[binary]'",
        ) from None
