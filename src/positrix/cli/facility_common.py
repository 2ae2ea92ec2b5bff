"""Options and plumbing shared by the ``positrix facility`` commands: the database URL,
the acting user, one transaction per command, date-times as users write them."""

from __future__ import annotations

import argparse
import os
from typing import Any

__all__ = ["actor_option", "db_options", "engine_of", "session_actor", "when", "work"]


def db_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--db URL`` and ``--json``."""
    parser.add_argument(
        "--db",
        help="database URL: sqlite:///path/facility.db (default: in the user's data folder) "
        "or postgresql://user@host:5432/db",
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def actor_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--as USER`` (default ``$POSITRIX_USER``)."""
    parser.add_argument(
        "--as",
        dest="actor",
        default=os.environ.get("POSITRIX_USER"),
        help="the acting user's username (default: $POSITRIX_USER)",
    )


def session_actor(args: argparse.Namespace, session: Any) -> Any:
    """The acting user named by ``--as``, or a clear error."""
    from positrix.errors import PositrixError
    from positrix.facility.people import get_user

    if not args.actor:
        raise PositrixError(
            "who is acting is not said", field="--as", fix="give --as USERNAME (or $POSITRIX_USER)"
        )
    return get_user(session, args.actor)


def when(text: str, field: str, *, day_ok: bool = False) -> Any:
    """An ISO 8601 date-time with offset (or, with ``day_ok``, a date: midnight UTC)."""
    from datetime import UTC, date, datetime

    from positrix.physics.units import parse_iso_datetime

    if day_ok and len(text.strip()) == 10:
        try:
            return datetime.combine(date.fromisoformat(text.strip()), datetime.min.time(), UTC)
        except ValueError:
            pass
    return parse_iso_datetime(text, field=field, require_offset=not day_ok)


def work(args: argparse.Namespace, action: Any) -> Any:
    """Run ``action(session, actor)`` in one transaction: committed, or rolled back on error."""
    from sqlalchemy.orm import Session

    from positrix.facility.schema import require_current

    engine = engine_of(args)
    try:
        require_current(engine)
        with Session(engine) as session, session.begin():
            return action(session, session_actor(args, session))
    finally:
        engine.dispose()


def engine_of(args: argparse.Namespace) -> Any:
    """The engine of ``--db`` (default: the file in the user's data folder)."""
    from positrix.facility.db import make_engine

    return make_engine(args.db)
