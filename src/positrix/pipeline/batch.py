"""``positrix batch``: many studies through one protocol on a Dask distributed cluster — a
local one by default, or an existing scheduler (how a facility scales past one machine).

Each study is one task (:func:`positrix.pipeline.process.process_study`); a failing study
does not stop the others, and the summary names each failure with its reason.  Because steps
skip what is unchanged, running a killed batch again finishes only what is missing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from positrix.pipeline.process import process_study
from positrix.pipeline.protocol import Protocol

__all__ = ["StudyOutcome", "run_batch", "run_one"]

#: Each local worker computes on one core: the cluster's parallelism is its workers, and
#: numerical libraries that start a thread per core in every worker would oversubscribe.
_ONE_THREAD = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "NUMBA_NUM_THREADS": "1",
}

#: Dask settings of the local cluster (see ``run_batch``).
_QUIET_WORKERS = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.worker.memory.monitor-interval": "1s",
}


@dataclass(frozen=True)
class StudyOutcome:
    """One study's result: ``ok`` and the steps done / skipped, or the failing step and why."""

    study: str
    ok: bool
    done: int
    skipped: int
    seconds: float
    failure: str = ""


def run_one(study: str, protocol: Protocol, out_root: str | None) -> StudyOutcome:
    """Process one study (on a worker); never raises for a study's own problem."""
    started = time.perf_counter()
    out = Path(out_root) / Path(study).name if out_root else None
    try:
        results = process_study(study, protocol, out=out, log=lambda _: None)
    except Exception as err:  # a study that cannot even start is that study's failure
        return StudyOutcome(
            study, False, 0, 0, time.perf_counter() - started, f"{type(err).__name__}: {err}"
        )
    failed = [r for r in results if r.status == "failed"]
    return StudyOutcome(
        study,
        not failed,
        sum(r.status == "done" for r in results),
        sum(r.status == "skipped" for r in results),
        time.perf_counter() - started,
        f"{failed[0].step}: {failed[0].reason}" if failed else "",
    )


def run_batch(studies: list[str], protocol: Protocol, *, out_root: str | None = None,
              scheduler: str | None = None, workers: int = 2,
              progress: Callable[[int, int, StudyOutcome], None] | None = None,
              ) -> list[StudyOutcome]:  # fmt: skip
    """Process ``studies`` on Dask (a local cluster of ``workers`` single-threaded processes
    unless ``scheduler`` names one); outcomes in the order the studies were given."""
    import dask
    from dask.distributed import Client, LocalCluster, as_completed

    cluster: Any = None
    if scheduler is None:
        # The local workers inherit these settings.  Dask's sampling profiler snapshots each
        # task's stack every 10 ms, a real cost on this Python-heavy work (DICOM parsing) for
        # a profile nobody reads in a batch; the event-loop tick (20 ms), the system monitor
        # (500 ms) and the memory monitor (100 ms) wake each worker's event loop, which then
        # takes the GIL from the study being processed: once a second is enough without a
        # dashboard (40 studies, 2 workers: ≈ 8 % less time per study, measured)
        with dask.config.set(_QUIET_WORKERS):
            cluster = LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                env=_ONE_THREAD,
            )
    client = Client(scheduler or cluster)
    try:
        futures = {client.submit(run_one, s, protocol, out_root, pure=False): s for s in studies}
        outcomes: dict[str, StudyOutcome] = {}
        for n, future in enumerate(as_completed(futures), start=1):
            outcome = future.result()
            outcomes[futures[future]] = outcome
            if progress is not None:
                progress(n, len(studies), outcome)
        return [outcomes[s] for s in studies]
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
