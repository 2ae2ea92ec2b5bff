"""``positrix node start|triage|assign``: the DICOM node (thin: positrix.node and
positrix.facility hold the rules)."""

from __future__ import annotations

import argparse
from typing import Any

from positrix.cli.facility_common import actor_option, db_options, work
from positrix.cli.output import print_json

__all__ = ["add_parser"]


def add_parser(subparsers: Any) -> None:
    """Register ``positrix node``."""
    node = subparsers.add_parser("node", help="the DICOM node that receives scans")
    actions = node.add_subparsers(dest="node_command", required=True, metavar="ACTION")
    start = actions.add_parser(
        "start",
        help="receive DICOM (C-ECHO, C-STORE, C-FIND) until Ctrl-C",
        description="Keeps each instance once in the archive (a resend is a no-op, a "
        "conflicting file is kept aside), routes studies to projects with --routes and "
        "registers them in the facility database; unrouted studies wait in triage.",
    )
    start.add_argument("--port", type=int, default=11112, help="TCP port (default 11112)")
    start.add_argument("--ae-title", default="POSITRIX", help="AE title (default POSITRIX)")
    start.add_argument("--host", default="127.0.0.1", help="address (default 127.0.0.1)")
    start.add_argument("--archive", default="positrix-archive", help="archive folder")
    start.add_argument("--routes", help="routing rules (TOML, see docs/node.md)")
    start.add_argument(
        "--protocol", help="process each routed study with this protocol once it has arrived"
    )
    start.add_argument("--processed", help="outputs of --protocol (default ARCHIVE/processed)")
    start.add_argument(
        "--settle-s",
        type=float,
        default=10.0,
        help="a study has arrived when nothing came for it for this long (default 10 s)",
    )
    db_options(start)
    start.set_defaults(run=run_start)
    listing = actions.add_parser("triage", help="studies no routing rule matched (staff)")
    actor_option(listing)
    db_options(listing)
    listing.set_defaults(run=run_triage)
    assign = actions.add_parser("assign", help="assign a study in triage to a project (staff)")
    assign.add_argument("study", help="StudyInstanceUID")
    assign.add_argument("--project", required=True, help="project code")
    assign.add_argument("--animal", default="", help="the animal's facility id")
    actor_option(assign)
    db_options(assign)
    assign.set_defaults(run=run_assign)


def run_start(args: argparse.Namespace) -> int:
    """Run the node in the foreground."""
    import logging
    import threading
    from pathlib import Path

    from positrix.errors import PositrixError
    from positrix.facility.db import make_engine
    from positrix.facility.schema import require_current
    from positrix.node.routing import load_routes
    from positrix.node.scp import Node, NodeConfig

    if not 0 < args.port < 65536 or not 0 < len(args.ae_title) <= 16:
        raise PositrixError(
            "the port must be 1–65535 and the AE title 1–16 characters", field="--port/--ae-title"
        )
    engine = make_engine(args.db)
    require_current(engine)
    engine.dispose()
    routes = tuple(load_routes(args.routes)) if args.routes else ()
    from positrix.pipeline.protocol import load_protocol

    protocol = load_protocol(args.protocol) if args.protocol else None
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    node = Node(
        NodeConfig(
            archive=Path(args.archive),
            db_url=args.db,
            ae_title=args.ae_title,
            host=args.host,
            port=args.port,
            routes=routes,
            protocol=protocol,
            processed=Path(args.processed) if args.processed else None,
            settle_s=args.settle_s,
        )
    )
    node.start()
    print(f"DICOM node {args.ae_title} on {args.host}:{args.port} (Ctrl-C stops)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        node.stop()
    print(", ".join(f"{v} {k}" for k, v in node.stats.items()))
    return 0


def run_triage(args: argparse.Namespace) -> int:
    """List the studies waiting in triage."""
    from positrix.facility.dicom import triage

    rows = work(args, triage)
    if args.json:
        print_json(rows)
        return 0
    for row in rows:
        print(
            f"{row['study_uid']}  {row['patient_id']:<16} {row['study_description']:<30} "
            f"{row['instances']} instances"
        )
    if not rows:
        print("nothing waits in triage")
    return 0


def run_assign(args: argparse.Namespace) -> int:
    """Assign a study to a project."""
    from positrix.facility.dicom import assign_study

    moved = work(
        args, lambda s, a: assign_study(s, a, args.study, project=args.project, animal=args.animal)
    )
    if args.json:
        print_json({"study_uid": args.study, "project": args.project, "instances": moved})
    else:
        print(f"{moved} instances of {args.study} assigned to {args.project}")
    return 0
