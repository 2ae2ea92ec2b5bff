"""``positrix facility …``: the facility database (thin: every rule is in positrix.facility)."""

from __future__ import annotations

import argparse
from typing import Any

from positrix.cli.output import print_json

__all__ = ["add_parser"]


def _db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        help="database URL: sqlite:///path/facility.db (default: in the user's data folder) "
        "or postgresql://user@host:5432/db",
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def add_parser(subparsers: Any) -> None:
    """Register ``positrix facility init|audit``."""
    facility = subparsers.add_parser("facility", help="the facility database")
    commands = facility.add_subparsers(dest="facility_command", required=True, metavar="COMMAND")
    init = commands.add_parser(
        "init",
        help="create or upgrade a facility database",
        description="Creates the database (or upgrades it to this version's schema); a "
        "database made by a newer Positrix is refused. A new database gets its first admin.",
    )
    init.add_argument("--admin", default="admin", help="username of the first admin")
    _db(init)
    init.set_defaults(run=run_init)
    audit = commands.add_parser(
        "audit",
        help="the audit log: every write, who, when, before and after",
        description="Lists the newest entries; --verify recomputes the hash chain and exits "
        "2 naming the first entry that was edited or deleted.",
    )
    audit.add_argument("--verify", action="store_true", help="check the hash chain")
    audit.add_argument("--last", type=int, default=20, help="entries to list (default 20)")
    _db(audit)
    audit.set_defaults(run=run_audit)


def _engine(args: argparse.Namespace) -> Any:
    from positrix.facility.db import make_engine

    return make_engine(args.db)


def run_init(args: argparse.Namespace) -> int:
    """Create or upgrade the database; add the first admin to a new one."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from positrix.facility.models import User
    from positrix.facility.people import create_user
    from positrix.facility.schema import init_database

    engine = _engine(args)
    revision = init_database(engine)
    created = False
    with Session(engine) as session:
        if session.scalar(select(User.id).limit(1)) is None:
            create_user(session, None, args.admin, role="admin")
            session.commit()
            created = True
    url = engine.url.render_as_string(hide_password=True)
    engine.dispose()
    if args.json:
        print_json({"database": url, "schema": revision, "admin_created": created})
    else:
        extra = f"; first admin '{args.admin}' created" if created else ""
        print(f"{url}: schema {revision}{extra}")
    return 0


def run_audit(args: argparse.Namespace) -> int:
    """List the newest audit entries, or verify the chain (exit 2 when broken)."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from positrix.errors import PositrixError
    from positrix.facility.audit import verify_chain
    from positrix.facility.models import AuditEntry

    engine = _engine(args)
    with Session(engine) as session:
        if args.verify:
            report = verify_chain(session)
            if args.json:
                print_json(
                    {
                        "entries": report.entries,
                        "ok": report.ok,
                        "broken_at": report.broken_at,
                        "reason": report.reason,
                    }
                )
            if not report.ok:
                raise PositrixError(
                    f"the audit chain is broken at entry {report.broken_at}: {report.reason}",
                    field="audit",
                    fix="restore the database from a backup and investigate the change",
                )
            if not args.json:
                print(f"audit chain intact: {report.entries} entries")
            return 0
        query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(max(args.last, 0))
        entries = list(session.scalars(query))[::-1]
        rows = [
            {
                "id": e.id,
                "at": e.at.isoformat(),
                "actor": e.actor,
                "action": e.action,
                "table": e.table_name,
                "row": e.row_id,
                "after": e.after,
            }
            for e in entries
        ]
    engine.dispose()
    if args.json:
        print_json(rows)
    else:
        for row in rows:
            print(
                f"{row['id']:>6} {row['at']} {row['actor']:<12} {row['action']:<12} "
                f"{row['table']}/{row['row']} {row['after']}"
            )
    return 0
