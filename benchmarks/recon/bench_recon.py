"""Full-size reconstruction figures on the Inveon geometry (image 128 × 128 × 159, 0.795 mm).

Reference figures measured on this machine (issue #5): STIR 6.5, single thread, full span-3
sinogram (8.6 × 10⁷ bins): forward 171 s, back 41 s; CASToR 3.1 list-mode sensitivity image
1410 s.  Goals: one sinogram OSEM iteration over the full span-3 data ≤ 60 s on 2 cores,
list-mode sensitivity ≤ 60 s on 2 cores, memory for the span-3 OSEM ≤ 4 GB.
"""

from __future__ import annotations

import resource
import time

import numba
import numpy as np

from positrix.geometry import get_scanner
from positrix.geometry.sinogram import SinogramLayout
from positrix.recon.listmode import listmode_sensitivity
from positrix.recon.reconstruct import SystemModel, default_grid, reconstruct
from positrix.recon.sinogram_projector import SinogramProjector

STIR_FORWARD_S, STIR_BACK_S = 171.0, 41.0
CASTOR_SENSITIVITY_S = 1410.0


def _peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def main() -> None:
    scanner = get_scanner("inveon")
    layout = SinogramLayout(scanner, span=3, max_ring_difference=79)
    shape, voxel = default_grid(scanner)
    threads = numba.get_num_threads()
    print(
        f"Inveon span 3: {layout.shape} = {np.prod(layout.shape):.3g} bins; image {shape} "
        f"at {voxel[0]} mm; {threads} threads"
    )
    small = SinogramProjector(layout, shape, voxel, views=[0])
    small.adjoint(small.apply(np.ones(shape, np.float32)))  # compile
    projector = SinogramProjector(layout, shape, voxel)
    image = np.ones(shape, np.float32)
    t0 = time.perf_counter()
    y = projector.apply(image)
    t1 = time.perf_counter()
    projector.adjoint(y)
    t2 = time.perf_counter()
    fwd, back = t1 - t0, t2 - t1
    print(
        f"forward {fwd:.1f} s (STIR 1 thread {STIR_FORWARD_S:.0f} s → "
        f"{STIR_FORWARD_S / fwd:.1f}×), "
        f"back {back:.1f} s (STIR {STIR_BACK_S:.0f} s → {STIR_BACK_S / back:.1f}×), "
        f"{(fwd + back) / y.size * 1e6 * threads:.2f} µs per bin per thread"
    )
    prompts = np.random.default_rng(0).poisson(y * 0.02).astype(np.float32)
    del y
    model = SystemModel(layout, shape, voxel)
    stamps: list[float] = []
    t0 = time.perf_counter()
    reconstruct(
        model,
        prompts,
        iterations=2,
        subsets=16,
        callback=lambda i, s, x: stamps.append(time.perf_counter()),
    )
    osem_s = stamps[-1] - stamps[15]  # the second iteration: sensitivities already made
    setup_s = stamps[15] - t0 - osem_s
    print(
        f"one OSEM iteration (16 subsets, full span-3 data): {osem_s:.1f} s (goal ≤ 60 s → "
        f"{60.0 / osem_s:.2f}× the goal); subset sensitivities once per study {setup_s:.1f} s; "
        f"peak memory so far {_peak_gb():.2f} GB (goal ≤ 4 GB)"
    )
    del prompts
    t0 = time.perf_counter()
    listmode_sensitivity(scanner, shape, voxel)
    sens_s = time.perf_counter() - t0
    print(
        f"list-mode sensitivity, every crystal pair (span 1, 6400 ring pairs): {sens_s:.1f} s "
        f"(goal ≤ 60 s; CASToR {CASTOR_SENSITIVITY_S:.0f} s → "
        f"{CASTOR_SENSITIVITY_S / sens_s:.0f}×); "
        f"peak memory {_peak_gb():.2f} GB"
    )


if __name__ == "__main__":
    main()
