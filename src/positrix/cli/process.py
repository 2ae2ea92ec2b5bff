"""``positrix process`` and ``positrix batch``: studies through a protocol (thin: the steps
are in positrix.pipeline)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from positrix.cli.facility_common import actor_option
from positrix.cli.output import print_json

__all__ = ["add_parsers"]


def _record_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", help="facility database URL: record the analysis there")
    parser.add_argument("--project", help="project code the analysis belongs to (with --db)")
    parser.add_argument(
        "--hours",
        type=float,
        default=0.0,
        help="analyst hours spent, recorded with the analysis (with --db)",
    )
    actor_option(parser)
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def add_parsers(subparsers: Any) -> None:
    """Register ``positrix process`` and ``positrix batch``."""
    process = subparsers.add_parser(
        "process",
        help="a study through a protocol: images, VOIs, tables, TACs, kinetics, report",
        description="Runs the protocol's steps with provenance (OUT/STEP/provenance.json); a "
        "re-run skips unchanged steps; a failing step leaves earlier outputs intact and exits "
        "2 naming the step and why. See docs/pipeline.md for the protocol.",
    )
    process.add_argument("study", help="the study folder (paths in the protocol are inside it)")
    process.add_argument("--protocol", required=True, help="protocol TOML")
    process.add_argument("--out", help="output folder (default STUDY/processed)")
    _record_options(process)
    process.set_defaults(run=run_process)
    batch = subparsers.add_parser(
        "batch",
        help="many studies through a protocol on Dask (local cluster or --scheduler)",
        description="One task per study; a failing study does not stop the others; the "
        "summary names each failure; run a killed batch again and only what is missing runs.",
    )
    batch.add_argument("protocol", help="protocol TOML")
    batch.add_argument("studies", nargs="+", help="study folders")
    batch.add_argument("--scheduler", help="an existing Dask scheduler, e.g. tcp://host:8786")
    batch.add_argument("--workers", type=int, default=2, help="local workers (default 2)")
    batch.add_argument("--out", help="outputs in OUT/STUDY-NAME (default STUDY/processed)")
    _record_options(batch)
    batch.set_defaults(run=run_batch)


def _record(args: argparse.Namespace, studies: list[tuple[str, str]], protocol: Any) -> None:
    """Record one analysis per finished study in the facility database."""
    from datetime import UTC, datetime

    from positrix.cli.facility_common import work
    from positrix.errors import PositrixError
    from positrix.facility.analyses import record_analysis
    from positrix.pipeline.process import STEPS

    if not args.db:
        return
    if not args.project:
        raise PositrixError("--db needs --project", field="--project", fix="give the code")
    hours = args.hours / max(len(studies), 1)
    from positrix import __version__

    def action(session: Any, actor: Any) -> None:
        for study, out in studies:
            record_analysis(
                session,
                actor,
                args.project,
                pipeline="positrix process",
                version=__version__,
                at=datetime.now(UTC),
                parameters=protocol.raw | {"steps": list(STEPS)},
                inputs=[study],
                outputs=[out],
                hours=hours,
            )

    work(args, action)


def run_process(args: argparse.Namespace) -> int:
    """Process one study; exit 2 when a step fails."""
    from pathlib import Path

    from positrix.errors import PositrixError
    from positrix.pipeline.process import process_study
    from positrix.pipeline.protocol import load_protocol

    protocol = load_protocol(args.protocol)
    if not Path(args.study).is_dir():
        raise PositrixError("no such study folder", source=args.study, fix="check the path")
    log = (lambda _: None) if args.json else print
    results = process_study(args.study, protocol, out=args.out, log=log)
    out = args.out or str(Path(args.study) / "processed")
    failed = [r for r in results if r.status == "failed"]
    if args.json:
        print_json({"study": args.study, "out": out, "steps": [r.__dict__ for r in results]})
    if failed:
        raise PositrixError(
            f"step {failed[0].step} failed: {failed[0].reason}",
            source=args.study,
            fix="fix the cause; a re-run redoes only what is missing",
        )
    _record(args, [(args.study, out)], protocol)
    return 0


def run_batch(args: argparse.Namespace) -> int:
    """Process many studies on Dask; list the failures; exit 2 if any."""
    from positrix.errors import PositrixError
    from positrix.pipeline.batch import run_batch as batch
    from positrix.pipeline.protocol import load_protocol
    from positrix.progress import Progress

    protocol = load_protocol(args.protocol)
    if args.workers < 1:
        raise PositrixError("--workers must be ≥ 1", field="--workers")
    step = Progress(
        len(args.studies), label="batch", log=lambda line: print(line, file=sys.stderr), every_s=1.0
    )
    outcomes = batch(
        list(args.studies),
        protocol,
        out_root=args.out,
        scheduler=args.scheduler,
        workers=args.workers,
        progress=lambda n, total, o: step(("ok " if o.ok else "FAILED ") + o.study),
    )
    failed = [o for o in outcomes if not o.ok]
    if args.json:
        print_json([o.__dict__ for o in outcomes])
    else:
        done = sum(o.ok for o in outcomes)
        print(
            f"{done} of {len(outcomes)} studies processed"
            + (f"; {len(failed)} failed:" if failed else "")
        )
        for outcome in failed:
            print(f"  {outcome.study}: {outcome.failure}")
    from pathlib import Path

    finished = [
        (
            o.study,
            str(Path(args.out) / Path(o.study).name)
            if args.out
            else str(Path(o.study) / "processed"),
        )
        for o in outcomes
        if o.ok
    ]
    _record(args, finished, protocol)
    return 2 if failed else 0
