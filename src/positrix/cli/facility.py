"""``positrix facility …``: the facility database (thin: every rule is in positrix.facility)."""

from __future__ import annotations

import argparse
from typing import Any

from positrix.cli import facility_calibration, facility_money
from positrix.cli.facility_common import actor_option, db_options, engine_of, when, work
from positrix.cli.output import print_json

__all__ = ["add_parser"]


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
    db_options(init)
    init.set_defaults(run=run_init)
    audit = commands.add_parser(
        "audit",
        help="the audit log: every write, who, when, before and after",
        description="Lists the newest entries; --verify recomputes the hash chain and exits "
        "2 naming the first entry that was edited or deleted.",
    )
    audit.add_argument("--verify", action="store_true", help="check the hash chain")
    audit.add_argument("--last", type=int, default=20, help="entries to list (default 20)")
    db_options(audit)
    audit.set_defaults(run=run_audit)
    _add_work_parsers(commands)
    facility_money.add_parsers(commands)
    facility_calibration.add_parsers(commands)
    seed = commands.add_parser(
        "seed-demo",
        help="fill a new database with a realistic synthetic facility",
        description="185 projects of 45 PIs, three years of bookings and usage on four "
        "instruments, tracer batches, animals and imaging sessions, entered through the same "
        "imports staff use; the same facility every time (seeded).",
    )
    seed.add_argument("--year", type=int, default=2026, help="the last year of bookings")
    db_options(seed)
    seed.set_defaults(run=run_seed_demo)
    ledger = commands.add_parser(
        "ledger",
        help="radioactive stock per nuclide, decayed to now (or --at)",
        description="Per nuclide, all decayed to --at: received (batches), dispensed "
        "(syringes drawn), injected (net of residuals), still in stock, and waste in the decay "
        "store; then each container in the store with its release date.",
    )
    ledger.add_argument("--at", help="ISO 8601 date-time with offset (default: now)")
    actor_option(ledger)
    db_options(ledger)
    ledger.set_defaults(run=run_ledger)


def _add_work_parsers(commands: Any) -> None:
    imports = commands.add_parser(
        "import",
        help="batch entry from a CSV (institutions, users, projects, members, instruments, "
        "trainings, bookings, usage, services, charges, batches, animals, sessions, events)",
        description="One import is one transaction: a bad row is refused with file, line, "
        "column and fix, and nothing is kept. Columns: see docs/facility.md.",
    )
    imports.add_argument("kind", choices=list(_KINDS), help="what the file holds")
    imports.add_argument("file", help="CSV with a header row")
    actor_option(imports)
    db_options(imports)
    imports.set_defaults(run=run_import)

    book = commands.add_parser("book", help="book an instrument for a project")
    book.add_argument("--instrument", required=True, help="instrument name")
    book.add_argument("--project", required=True, help="project code")
    book.add_argument("--user", required=True, help="who will use it")
    book.add_argument("--start", required=True, help="ISO 8601 date-time with offset")
    book.add_argument("--end", required=True, help="ISO 8601 date-time with offset")
    book.add_argument("--assisted", action="store_true", help="staff assist the session")
    actor_option(book)
    db_options(book)
    book.set_defaults(run=run_book)

    cancel = commands.add_parser("cancel", help="cancel a booking (frees its slot)")
    cancel.add_argument("booking", type=int, help="booking id")
    actor_option(cancel)
    db_options(cancel)
    cancel.set_defaults(run=run_cancel)

    usage = commands.add_parser("usage", help="record what was really used on a booking")
    usage.add_argument("booking", type=int, help="booking id")
    usage.add_argument("--start", required=True, help="ISO 8601 date-time with offset")
    usage.add_argument("--end", required=True, help="ISO 8601 date-time with offset")
    usage.add_argument("--operator", help="username of the operator")
    actor_option(usage)
    db_options(usage)
    usage.set_defaults(run=run_usage)

    user = commands.add_parser("user", help="user accounts")
    actions = user.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    password = actions.add_parser(
        "set-password",
        help="set a password, read from standard input (never from the command line)",
        description="Reads the new password from standard input (one line) and stores only "
        "its argon2 hash. The user themself or an admin may set it.",
    )
    password.add_argument("username", help="whose password")
    password.add_argument(
        "--password-file", help="read the password from this file's first line instead"
    )
    actor_option(password)
    db_options(password)
    password.set_defaults(run=run_set_password)

    report = commands.add_parser("report", help="facility reports")
    kinds = report.add_subparsers(dest="report_command", required=True, metavar="REPORT")
    hours = kinds.add_parser(
        "hours",
        help="booked, used and billable hours and amounts",
        description="Bookings that start in [--from, --to), cancelled ones excluded; billable "
        "time is the longer of booked and used, at least the instrument's minimum, rounded up "
        "to its step; amounts at each project's rate tier.",
    )
    hours.add_argument("--from", dest="start", required=True, help="date or date-time (UTC)")
    hours.add_argument("--to", dest="end", required=True, help="date or date-time (UTC), excl.")
    hours.add_argument(
        "--by",
        default="project",
        choices=["project", "pi", "instrument", "month"],
        help="grouping",
    )
    actor_option(hours)
    db_options(hours)
    hours.set_defaults(run=run_report_hours)


_KINDS = (
    "institutions",
    "users",
    "projects",
    "members",
    "instruments",
    "trainings",
    "bookings",
    "usage",
    "services",
    "charges",
    "batches",
    "animals",
    "sessions",
    "events",
)


def run_import(args: argparse.Namespace) -> int:
    """Import one CSV file in one transaction."""
    from positrix.facility.imports import import_csv

    result = work(args, lambda s, a: import_csv(s, a, args.kind, args.file))
    if args.json:
        print_json({"kind": result.kind, "rows": result.rows, "sha256": result.sha256})
    else:
        print(f"imported {result.rows} {result.kind} from {args.file}")
    return 0


def run_book(args: argparse.Namespace) -> int:
    """Book a slot; a conflict exits 2 naming the booking it collides with."""
    from positrix.facility.bookings import book

    start, end = when(args.start, "--start"), when(args.end, "--end")

    def action(session: Any, actor: Any) -> dict[str, Any]:
        made = book(
            session,
            actor,
            instrument=args.instrument,
            project=args.project,
            user=args.user,
            start=start,
            end=end,
            assisted=args.assisted,
        )
        return {"id": made.id, "start": made.start.isoformat(), "end": made.end.isoformat()}

    result = work(args, action)
    if args.json:
        print_json(result)
    else:
        print(f"booking {result['id']}: {args.instrument} {result['start']} to {result['end']}")
    return 0


def run_cancel(args: argparse.Namespace) -> int:
    """Cancel a booking."""
    from positrix.facility.bookings import cancel

    work(args, lambda s, a: cancel(s, a, args.booking))
    if args.json:
        print_json({"id": args.booking, "status": "cancelled"})
    else:
        print(f"booking {args.booking} cancelled")
    return 0


def run_usage(args: argparse.Namespace) -> int:
    """Record the actual start, end and operator of a booking."""
    from positrix.facility.bookings import record_usage

    start, end = when(args.start, "--start"), when(args.end, "--end")
    work(
        args,
        lambda s, a: record_usage(s, a, args.booking, start=start, end=end, operator=args.operator),
    )
    if args.json:
        print_json({"booking": args.booking, "start": start.isoformat(), "end": end.isoformat()})
    else:
        print(f"usage of booking {args.booking} recorded")
    return 0


def run_set_password(args: argparse.Namespace) -> int:
    """Set a password read from standard input (it never appears in argv or in logs)."""
    import sys

    from positrix.errors import PositrixError
    from positrix.facility.people import set_password

    if args.password_file:
        from pathlib import Path

        try:
            lines = Path(args.password_file).read_text(encoding="utf-8").splitlines()
        except OSError as err:
            raise PositrixError(
                f"cannot read ({err.strerror})", source=args.password_file, fix="check the path"
            ) from None
        password = lines[0] if lines else ""
    else:
        password = sys.stdin.readline().rstrip("\n")
    if not password:
        raise PositrixError(
            "no password on standard input", field="stdin", fix="pipe or type it, then Enter"
        )
    work(args, lambda s, a: set_password(s, a, args.username, password))
    print(f"password of {args.username} set")
    return 0


def run_report_hours(args: argparse.Namespace) -> int:
    """Print the hours report (or its JSON: key, bookings, booked_h, used_h, billable_h,
    amount)."""
    from positrix.facility.reports import report_hours

    start = when(args.start, "--from", day_ok=True)
    end = when(args.end, "--to", day_ok=True)
    rows = work(args, lambda s, a: report_hours(s, a, start=start, end=end, by=args.by))
    if args.json:
        print_json(rows)
        return 0
    print(
        f"{args.by:<16} {'bookings':>8} {'booked h':>9} {'used h':>8} {'billable h':>10} "
        f"{'amount':>11}"
    )
    for row in rows:
        print(
            f"{row['key']:<16} {row['bookings']:>8} {row['booked_h']:>9.2f} "
            f"{row['used_h']:>8.2f} {row['billable_h']:>10.2f} {row['amount']:>11.2f}"
        )
    return 0


def run_ledger(args: argparse.Namespace) -> int:
    """Print the radioactive material ledger per nuclide and the decay store."""
    from datetime import UTC, datetime

    from positrix.facility.ledger import radioactive_stock, waste_in_store
    from positrix.physics.units import format_activity

    at = when(args.at, "--at") if args.at else datetime.now(UTC)
    rows, store = work(args, lambda s, a: (radioactive_stock(s, a, at), waste_in_store(s, a, at)))
    if args.json:
        print_json({"at": at.isoformat(), "nuclides": rows, "waste": store})
        return 0
    print(f"radioactive material at {at.isoformat()}")
    names = ("received", "dispensed", "injected", "in stock", "waste")
    print(f"{'nuclide':<8} {'batches':>7} " + " ".join(f"{n:>11}" for n in names))
    for row in rows:
        values = (
            row[k]
            for k in ("received_bq", "dispensed_bq", "injected_bq", "in_stock_bq", "waste_bq")
        )
        print(
            f"{row['nuclide']:<8} {row['batches']:>7} "
            + " ".join(f"{format_activity(v):>11}" for v in values)
        )
    for item in store:
        state = "may be released" if item["releasable"] else f"until {item['release_after']}"
        print(
            f"waste {item['id']} {item['nuclide']} {item['container']}: "
            f"{format_activity(item['activity_bq'])}, {state}"
        )
    return 0


def run_seed_demo(args: argparse.Namespace) -> int:
    """Initialise an empty database and fill it with the demo facility."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from positrix.errors import PositrixError
    from positrix.facility.demo_facility import seed_demo_facility
    from positrix.facility.models import User
    from positrix.facility.schema import init_database

    engine = engine_of(args)
    try:
        init_database(engine)
        with Session(engine) as session, session.begin():
            if session.scalar(select(User.id).limit(1)) is not None:
                raise PositrixError(
                    "the database already holds users: the demo facility goes into a new one",
                    source=engine.url.render_as_string(hide_password=True),
                    field="--db",
                    fix="give a new database, e.g. --db sqlite:///demo-facility.db",
                )
            counts = seed_demo_facility(session, start_year=args.year - 2, years=3)
    finally:
        engine.dispose()
    if args.json:
        print_json(counts)
    else:
        print(", ".join(f"{v} {k}" for k, v in counts.items()))
    return 0


def run_init(args: argparse.Namespace) -> int:
    """Create or upgrade the database; add the first admin to a new one."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from positrix.facility.models import User
    from positrix.facility.people import create_user
    from positrix.facility.schema import init_database

    engine = engine_of(args)
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
    from positrix.facility.schema import require_current

    engine = engine_of(args)
    require_current(engine)
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
