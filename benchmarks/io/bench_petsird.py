"""PETSIRD list-mode I/O speed: 1e7 Inveon events written and read back.

Baseline, measured in the same run: the ``petsird`` package's own pure-Python binary reader
(``BinaryPETSIRDReader``, iterating the time blocks and their coincidence events) on the
first 2e5 events.  Goal: Positrix reads ≥ 1e7 events/s (2-core machine).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import petsird

from positrix.geometry import get_scanner
from positrix.io.events import ListModeEvents
from positrix.io.petsird import read_petsird, read_petsird_bins, write_petsird

START = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def inveon_events(n: int, duration_s: float, seed: int = 0) -> ListModeEvents:
    """``n`` random Inveon coincidences (10 % delayeds), time-sorted over ``duration_s``."""
    scanner = get_scanner("inveon")
    rng = np.random.default_rng(seed)
    crystal_1 = rng.integers(0, scanner.crystals_per_ring, n)
    crystal_2 = (crystal_1 + rng.integers(60, 260, n)) % scanner.crystals_per_ring
    return ListModeEvents(
        rng.integers(0, scanner.n_rings, n),
        crystal_1,
        rng.integers(0, scanner.n_rings, n),
        crystal_2,
        np.sort(rng.uniform(0.0, duration_s, n)),
        rng.random(n) >= 0.1,
        "inveon",
        START,
        duration_s,
        "F-18",
    )


def package_reader_rate(path: Path) -> tuple[int, float]:
    """Events and seconds for the petsird package's reader to list every coincidence."""
    start = time.perf_counter()
    n = 0
    with petsird.BinaryPETSIRDReader(str(path)) as reader:
        reader.read_header()
        for block in reader.read_time_blocks():
            value = block.value
            for lists in (value.prompt_events, value.delayed_events):
                for row in lists:
                    for events in row:
                        for event in events:
                            n += event.tof_idx + 1  # touch every event
    return n, time.perf_counter() - start


def best_of(function: Callable[[], object], repeats: int = 3) -> float:
    """Best wall time of ``repeats`` calls, in s."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def main(n_events: int = 10_000_000, n_baseline: int = 200_000) -> None:
    events = inveon_events(n_events, duration_s=600.0)
    small = events.select(np.arange(len(events)) < n_baseline)
    small = replace(small, duration_s=float(np.ceil(small.time_s.max())))  # no empty tail
    with tempfile.TemporaryDirectory() as folder:
        big, little = Path(folder) / "big.petsird", Path(folder) / "small.petsird"
        write_petsird(little, small)  # also compiles
        read_petsird(little)
        write_s = best_of(lambda: write_petsird(big, events, overwrite=True))
        size_mb = big.stat().st_size / 1e6
        bins_s = best_of(lambda: read_petsird_bins(big))
        read_s = best_of(lambda: read_petsird(big))
        small_s = best_of(lambda: read_petsird(little))
        n_small, package_s = package_reader_rate(little)
    ours = n_events / read_s
    theirs = n_baseline / package_s
    print(
        f"write: {n_events:,} events in {write_s:.2f} s = {n_events / write_s:.3g} events/s, "
        f"{size_mb / write_s:.0f} MB/s ({size_mb:.0f} MB, {size_mb * 1e6 / n_events:.1f} B/event)"
    )
    print(
        f"read_petsird: {read_s:.2f} s = {ours:.3g} events/s (goal ≥ 1e7); "
        f"read_petsird_bins: {n_events / bins_s:.3g} events/s"
    )
    print(
        f"petsird package reader ({n_baseline:,} events): {package_s:.2f} s = {theirs:.3g} "
        f"events/s → Positrix (1e7-event file) is {ours / theirs:.0f}× faster; on the same "
        f"file Positrix takes {small_s:.3f} s ({n_baseline / small_s:.3g} events/s, header "
        f"included)"
    )
    assert n_small == n_baseline


if __name__ == "__main__":
    main()
