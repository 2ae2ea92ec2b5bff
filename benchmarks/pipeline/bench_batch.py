"""``positrix batch`` on Dask against the same work in one process, in the same run.
[goal: 40 demo-sized studies with 2 workers on 2 cores ≥ 1.7 × faster than one process]

The studies are copies of the demo study (PET, CT, labels) through the demo protocol; each
run writes fresh outputs.

Run: ``python benchmarks/pipeline/bench_batch.py [--studies 40] [--demo DIR]``.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from importlib.resources import files
from pathlib import Path

from positrix.pipeline.batch import run_batch
from positrix.pipeline.process import process_study
from positrix.pipeline.protocol import load_protocol


def main() -> None:
    """Copy the demo study, process the copies serially and on Dask, print the ratio."""
    parser = argparse.ArgumentParser(description="batch benchmark")
    parser.add_argument("--studies", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--demo", help="a demo output folder (default: made first)")
    args = parser.parse_args()
    protocol = load_protocol(Path(str(files("positrix") / "data" / "demo-protocol.toml")))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        demo = Path(args.demo) if args.demo else None
        if demo is None:
            from positrix.pipeline.demo import run_demo

            run_demo(root / "demo", log=lambda _: None)
            demo = root / "demo"
        studies = []
        for k in range(args.studies):
            study = root / "studies" / f"study{k:03d}"
            for part in ("dicom", "quant"):
                shutil.copytree(demo / part, study / part)
            studies.append(str(study))
        started = time.perf_counter()
        for study in studies:
            process_study(
                study, protocol, out=root / "serial" / Path(study).name, log=lambda _: None
            )
        serial = time.perf_counter() - started
        started = time.perf_counter()
        outcomes = run_batch(studies, protocol, out_root=str(root / "dask"), workers=args.workers)
        parallel = time.perf_counter() - started
    ok = sum(o.ok for o in outcomes)
    per_task = sum(o.seconds for o in outcomes) / len(outcomes)
    print(
        f"{args.studies} studies: one process {serial:.1f} s; Dask with {args.workers} "
        f"workers {parallel:.1f} s ({ok} ok): {serial / parallel:.2f} × [≥ 1.7]; a study "
        f"takes {serial / args.studies:.2f} s in one process, {per_task:.2f} s in a Dask worker"
    )


if __name__ == "__main__":
    main()
