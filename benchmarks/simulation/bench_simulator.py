"""Simulator speed: voxelisation and one NEMA IQ acquisition on the Inveon (or a section).

Baseline measured in the same run: one forward projection of the simulation-grid activity
through the same sinogram layout (the irreducible part of any projection-based simulator).
Prints each stage's time and its ratio to that baseline, and the counts made per second.

    python benchmarks/simulation/bench_simulator.py            # full Inveon (minutes)
    python benchmarks/simulation/bench_simulator.py --rings 20
"""

from __future__ import annotations

import argparse
import dataclasses
import time

from positrix.geometry.scanner import get_scanner
from positrix.geometry.sinogram import SinogramLayout
from positrix.recon.reconstruct import default_grid, grid_affine
from positrix.recon.sinogram_projector import SinogramProjector
from positrix.simulation.acquisition import simulate_acquisition
from positrix.simulation.phantoms import nema_iq_phantom, scale_to_total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rings", type=int, default=80)
    args = parser.parse_args()
    scanner = dataclasses.replace(get_scanner("inveon"), n_rings=args.rings)
    layout = SinogramLayout(scanner, span=3)
    shape, voxel = default_grid(scanner)
    fine = (2 * shape[0], 2 * shape[1], 2 * shape[2])
    fine_voxel = (voxel[0] / 2, voxel[1] / 2, voxel[2] / 2)
    t0 = time.perf_counter()
    images = nema_iq_phantom().voxelise(fine, grid_affine(fine, fine_voxel), supersample=2)
    images = scale_to_total(images, 3.7e6)
    t_vox = time.perf_counter() - t0
    projector = SinogramProjector(layout, fine, fine_voxel)
    projector.apply(images.activity_bq_ml[:8, :8, :8] * 0)  # compile outside the timing
    t0 = time.perf_counter()
    projector.apply(images.activity_bq_ml)
    t_base = time.perf_counter() - t0
    t0 = time.perf_counter()
    frames = simulate_acquisition(
        images.activity_bq_ml,
        images.mu_per_mm,
        fine_voxel,
        layout=layout,
        nuclide="F-18",
        frame_duration_s=1200.0,
    )
    t_sim = time.perf_counter() - t0
    counts = float(frames[0].sinograms.prompts.sum())
    print(f"Inveon section of {args.rings} rings, span 3: {layout.shape} bins, grid {fine}")
    print(f"baseline: one forward projection {t_base:.1f} s")
    print(f"voxelise NEMA IQ (8 points/voxel) {t_vox:.1f} s  ({t_vox / t_base:.2f} × baseline)")
    print(
        f"simulate 20 min, 3.7 MBq (range, blur, µ, scatter, randoms, Poisson) {t_sim:.1f} s "
        f"({t_sim / t_base:.2f} × baseline); {counts:.3g} prompts, {counts / t_sim:.3g} counts/s"
    )


if __name__ == "__main__":
    main()
