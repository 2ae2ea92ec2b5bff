"""Joseph projector speed on the Inveon geometry, image 128 × 128 × 159 at 0.796 mm.

Reference figures measured on this machine (issue #5): CASToR 3.1 list-mode Joseph, one
thread, ≈ 10.7 µs per event for forward + back projection; parallelproj (C, one thread)
1.95 µs forward + 2.87 µs back per LOR.  Goal: forward + back ≤ 2.5 µs per LOR per thread.
"""

from __future__ import annotations

import time

import numba
import numpy as np

from positrix.geometry import get_scanner
from positrix.recon.projectors import LORProjector, joseph_back, joseph_forward

CASTOR_US = 10.7
PARALLELPROJ_US = 1.95 + 2.87


def main(n_lors: int = 1_000_000) -> None:
    scanner = get_scanner("inveon")
    rng = np.random.default_rng(0)
    ring_1, ring_2 = rng.integers(0, 80, n_lors), rng.integers(0, 80, n_lors)
    crystal_1 = rng.integers(0, 320, n_lors)
    crystal_2 = (crystal_1 + rng.integers(60, 260, n_lors)) % 320
    start, end = scanner.lor_endpoints(ring_1, crystal_1, ring_2, crystal_2)
    t_sort = time.perf_counter()
    projector = LORProjector((128, 128, 159), (0.796, 0.796, 0.796), start, end)
    sort_s = time.perf_counter() - t_sort
    image = np.ones(projector.in_shape, np.float32)
    small = LORProjector((128, 128, 159), (0.796,) * 3, start[:100], end[:100])
    small.adjoint(small.apply(image))  # compile
    threads = numba.get_num_threads()
    t0 = time.perf_counter()
    values = projector.apply(image)
    t1 = time.perf_counter()
    projector.adjoint(values)
    t2 = time.perf_counter()
    # baseline, same run: the same kernels on the LORs in their given (random) order
    shape = np.array(projector.in_shape, dtype=np.int64)
    voxel = projector.voxel
    t3 = time.perf_counter()
    given = joseph_forward(image, projector.starts, projector.ends, voxel)
    t4 = time.perf_counter()
    joseph_back(given, projector.starts, projector.ends, shape, voxel)
    t5 = time.perf_counter()
    per_lor = (t2 - t0) / n_lors * 1e6 * threads  # µs per LOR per thread
    base = (t5 - t3) / n_lors * 1e6 * threads
    print(f"{n_lors:,} LORs on {threads} threads: forward {t1 - t0:.2f} s, back {t2 - t1:.2f} s "
          f"(LORs in locality order; sorting them took {sort_s:.2f} s once)")  # fmt: skip
    print(f"baseline, LORs in the given order: forward {t4 - t3:.2f} s, back {t5 - t4:.2f} s")
    print(
        f"forward + back {per_lor:.2f} µs per LOR per thread (goal ≤ 2.5) against "
        f"{base:.2f} µs in the given order → {base / per_lor:.2f}×; earlier runs of the "
        f"peers (one thread): CASToR {CASTOR_US} µs, parallelproj {PARALLELPROJ_US:.2f} µs"
    )


if __name__ == "__main__":
    main()
