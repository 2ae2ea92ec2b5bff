"""Create or upgrade a facility database with the package's Alembic migrations.

A database whose schema is newer than this code (a revision it does not know) is refused:
older code must not write into a schema it does not understand.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from positrix.errors import PositrixError

__all__ = ["current_revision", "head_revision", "init_database", "require_current"]

_MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _config(connection: Any = None) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest schema revision this code ships."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Any) -> str | None:
    """The revision a database is at (``None`` for an empty database)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def init_database(engine: Any, *, revision: str = "head") -> str:
    """Create or upgrade the database to ``revision`` (default: the newest); returns it.

    Raises
    ------
    PositrixError
        When the database is at a revision this code does not know (made by newer code).
    """
    from alembic import command
    from alembic.script import ScriptDirectory

    known = {s.revision for s in ScriptDirectory.from_config(_config()).walk_revisions()}
    found = current_revision(engine)
    if found is not None and found not in known:
        raise PositrixError(
            f"the database's schema is revision {found}, newer than this Positrix knows "
            f"(up to {head_revision()})",
            source=str(engine.url.render_as_string(hide_password=True)),
            field="schema",
            fix="upgrade Positrix (pip install -U positrix) before using this database",
        )
    with engine.begin() as connection:
        command.upgrade(_config(connection), revision)
    return current_revision(engine) or ""


def require_current(engine: Any) -> None:
    """Refuse a database that is empty, older or newer than this code's schema."""
    found, head = current_revision(engine), head_revision()
    if found == head:
        return
    where = str(engine.url.render_as_string(hide_password=True))
    if found is None:
        raise PositrixError(
            "the database is not initialised",
            source=where,
            field="schema",
            fix=f"run positrix facility init --db {where}",
        )
    raise PositrixError(
        f"the database's schema is revision {found}, this Positrix uses {head}",
        source=where,
        field="schema",
        fix=f"run positrix facility init --db {where} (it upgrades), or upgrade Positrix",
    )
