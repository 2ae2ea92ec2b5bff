"""``positrix facility invoice|charge|waste|backup|restore``: billing, the decay store and
the safety copies (thin: the rules are in positrix.facility)."""

from __future__ import annotations

import argparse
from typing import Any

from positrix.cli.facility_common import actor_option, db_options, engine_of, when, work
from positrix.cli.output import print_json

__all__ = ["add_parsers"]


def add_parsers(commands: Any) -> None:
    """Register the commands on ``positrix facility``'s sub-command set."""
    _invoice_parsers(commands)
    _waste_parsers(commands)
    _backup_parsers(commands)


def _invoice_parsers(commands: Any) -> None:
    invoice = commands.add_parser(
        "invoice",
        help="a project's monthly invoice: draft (staff), --approve (PI), --send (staff)",
        description="Staff draft (or redraft) the invoice from the month's bookings (billable "
        "time at the project's rate tier; no-shows billed as booked, cancellations not) and "
        "service charges; the project's PI approves it; staff send it. Approved and sent "
        "invoices are frozen. Members of the project may look at it.",
    )
    invoice.add_argument("project", help="project code")
    invoice.add_argument("--month", required=True, help="YYYY-MM (UTC month)")
    step = invoice.add_mutually_exclusive_group()
    step.add_argument("--approve", action="store_true", help="approve the draft (the PI)")
    step.add_argument("--send", action="store_true", help="mark it sent (staff)")
    invoice.add_argument(
        "--pdf",
        nargs="?",
        const="",
        metavar="FILE",
        help="also write a PDF (default name invoice-PROJECT-YYYY-MM.pdf)",
    )
    invoice.add_argument("--currency", default="EUR", help="currency shown (default EUR)")
    actor_option(invoice)
    db_options(invoice)
    invoice.set_defaults(run=run_invoice)

    charge = commands.add_parser(
        "charge",
        help="charge a service (tracer dose, analysis hour, report…) to a project",
        description="Staff record that a priced service was delivered; it appears on the "
        "project's invoice of that month at the project's rate tier.",
    )
    charge.add_argument("project", help="project code")
    charge.add_argument("service", help="service code (see import services)")
    charge.add_argument("--quantity", type=float, default=1.0, help="units (default 1)")
    charge.add_argument("--at", required=True, help="ISO 8601 date-time with offset")
    charge.add_argument("--note", default="", help="free text shown on the invoice")
    actor_option(charge)
    db_options(charge)
    charge.set_defaults(run=run_charge)


def _waste_parsers(commands: Any) -> None:
    waste = commands.add_parser("waste", help="radioactive waste stored for decay")
    actions = waste.add_subparsers(dest="waste_command", required=True, metavar="ACTION")
    store = actions.add_parser(
        "store",
        help="put a waste container in the decay store",
        description="Records the container's nuclide and activity at a time; it may be "
        "released when decayed below --release-below (default: 2^-10 of its activity, ten "
        "half-lives).",
    )
    store.add_argument("--nuclide", required=True, help="e.g. F-18")
    store.add_argument("--activity", required=True, help="activity with unit, e.g. 12 MBq")
    store.add_argument("--at", required=True, help="when it was measured (ISO 8601 + offset)")
    store.add_argument("--container", default="", help="container label")
    store.add_argument("--release-below", help="release limit with unit, e.g. 1 kBq")
    actor_option(store)
    db_options(store)
    store.set_defaults(run=run_waste_store)
    release = actions.add_parser(
        "release",
        help="release a container that has decayed below its limit",
        description="Refused while the container is above its limit, naming the date from "
        "which it may go.",
    )
    release.add_argument("waste", type=int, help="container id (see ledger)")
    release.add_argument("--at", help="ISO 8601 date-time with offset (default: now)")
    actor_option(release)
    db_options(release)
    release.set_defaults(run=run_waste_release)


def _backup_parsers(commands: Any) -> None:
    backup = commands.add_parser(
        "backup",
        help="write a consistent backup of the database to one file",
        description="A gzip JSON-lines file with every table, the schema revision and a "
        "SHA-256; taken in one snapshot while the facility works; restorable into SQLite or "
        "PostgreSQL.",
    )
    backup.add_argument("file", help="output file, e.g. facility-2026-12-07.jsonl.gz")
    backup.add_argument("--force", action="store_true", help="replace an existing file")
    db_options(backup)
    backup.set_defaults(run=run_backup)
    restore = commands.add_parser(
        "restore",
        help="restore a backup into a new, empty database",
        description="Checks the backup's SHA-256, restores every row (an older schema is "
        "upgraded afterwards) and verifies the audit chain. A database with data is refused.",
    )
    restore.add_argument("file", help="a file written by backup")
    db_options(restore)
    restore.set_defaults(run=run_restore)


def run_invoice(args: argparse.Namespace) -> int:
    """Draft, approve, send or show an invoice; optionally write its PDF."""
    from positrix.facility.invoices import (
        approve_invoice,
        draft_invoice,
        get_invoice,
        invoice_as_dict,
        send_invoice,
    )

    def action(session: Any, actor: Any) -> dict[str, Any]:
        if args.approve:
            made = approve_invoice(session, actor, args.project, args.month)
        elif args.send:
            made = send_invoice(session, actor, args.project, args.month)
        elif actor.role in ("admin", "staff") and _is_draft_or_new(session, actor, args):
            made = draft_invoice(session, actor, args.project, args.month)
        else:
            made = get_invoice(session, actor, args.project, args.month)
        return invoice_as_dict(made)

    name = None
    if args.pdf is not None:  # refuse an existing PDF before anything changes
        from pathlib import Path

        from positrix.io.safety import check_writable

        name = args.pdf or f"invoice-{args.project}-{args.month}.pdf"
        check_writable([Path(name)], overwrite=False)
    invoice = work(args, action)
    if name is not None:
        from positrix.facility.invoice_pdf import write_invoice_pdf

        invoice["pdf"] = str(write_invoice_pdf(invoice, name, currency=args.currency))
    if args.json:
        print_json(invoice)
        return 0
    _print_invoice(invoice, args.currency)
    return 0


def _is_draft_or_new(session: Any, actor: Any, args: argparse.Namespace) -> bool:
    from positrix.facility.access import NotFoundError
    from positrix.facility.invoices import get_invoice

    try:
        return get_invoice(session, actor, args.project, args.month).status == "draft"
    except NotFoundError:
        return True


def _print_invoice(invoice: dict[str, Any], currency: str) -> None:
    print(
        f"invoice {invoice['project']} {invoice['month']} ({invoice['status']}, "
        f"{invoice['rate_tier']} rates, prices and amounts in {currency})"
    )
    for line in invoice["lines"]:
        print(
            f"  {line['reference']:<14} {line['description'][:44]:<44} "
            f"{line['quantity']:>7.2f} {line['unit']:<5} × {line['unit_price']:>8.2f} = "
            f"{line['amount']:>9.2f}"
        )
    count = len(invoice["lines"])
    print(f"  total {invoice['total']:.2f} {currency} ({count} line{'s' * (count != 1)})")
    if "pdf" in invoice:
        print(f"  PDF: {invoice['pdf']}")


def run_charge(args: argparse.Namespace) -> int:
    """Charge a service to a project."""
    from positrix.facility.services import add_charge

    at = when(args.at, "--at")
    charge_id = work(
        args,
        lambda s, a: (
            add_charge(
                s, a, args.project, args.service, quantity=args.quantity, at=at, note=args.note
            ).id
        ),
    )
    if args.json:
        print_json({"id": charge_id, "project": args.project, "service": args.service})
    else:
        print(f"charge {charge_id}: {args.quantity:g} × {args.service} to {args.project}")
    return 0


def run_waste_store(args: argparse.Namespace) -> int:
    """Record a waste container in the decay store."""
    from positrix.facility.waste import release_after, store_waste
    from positrix.physics.units import format_activity, parse_activity

    activity = parse_activity(args.activity, field="--activity")
    limit = (
        parse_activity(args.release_below, field="--release-below") if args.release_below else None
    )
    at = when(args.at, "--at")

    def action(session: Any, actor: Any) -> dict[str, Any]:
        made = store_waste(
            session,
            actor,
            nuclide=args.nuclide,
            activity_bq=activity,
            measured_at=at,
            container=args.container,
            release_limit_bq=limit,
        )
        return {
            "id": made.id,
            "release_limit_bq": made.release_limit_bq,
            "release_after": release_after(made).isoformat(timespec="minutes"),
        }

    result = work(args, action)
    if args.json:
        print_json(result)
    else:
        print(
            f"waste {result['id']}: {format_activity(activity)} {args.nuclide} stored; "
            f"release below {format_activity(result['release_limit_bq'])}, after "
            f"{result['release_after']}"
        )
    return 0


def run_waste_release(args: argparse.Namespace) -> int:
    """Release a decayed container."""
    from datetime import UTC, datetime

    from positrix.facility.waste import release_waste

    at = when(args.at, "--at") if args.at else datetime.now(UTC)
    work(args, lambda s, a: release_waste(s, a, args.waste, at=at))
    if args.json:
        print_json({"id": args.waste, "released_at": at.isoformat()})
    else:
        print(f"waste {args.waste} released at {at.isoformat(timespec='minutes')}")
    return 0


def run_backup(args: argparse.Namespace) -> int:
    """Write a backup file."""
    from positrix.facility.backup import backup_database

    engine = engine_of(args)
    try:
        summary = backup_database(engine, args.file, overwrite=args.force)
    finally:
        engine.dispose()
    if args.json:
        print_json(
            {
                "file": args.file,
                "schema": summary.schema,
                "rows": summary.rows,
                "sha256": summary.sha256,
            }
        )
    else:
        print(
            f"{args.file}: {summary.total} rows of {len(summary.rows)} tables, schema "
            f"{summary.schema}, sha256 {summary.sha256[:16]}…"
        )
    return 0


def run_restore(args: argparse.Namespace) -> int:
    """Restore a backup into a new database."""
    from positrix.facility.backup import restore_database

    engine = engine_of(args)
    try:
        summary = restore_database(engine, args.file)
        where = engine.url.render_as_string(hide_password=True)
    finally:
        engine.dispose()
    if args.json:
        print_json({"database": where, "schema": summary.schema, "rows": summary.rows})
    else:
        print(
            f"{where}: {summary.total} rows restored from {args.file} (schema "
            f"{summary.schema}); audit chain intact"
        )
    return 0
