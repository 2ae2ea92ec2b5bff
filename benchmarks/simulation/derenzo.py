"""Derenzo hot rods on an Inveon section: peak-to-valley with and without resolution modelling.

Not part of the test suite (a few minutes on 2 cores).  The Inveon ring (320 crystals of
1.59 mm) with ``--rings`` rings; rods 10 mm long; F-18; simulated on the 2× finer grid with
positron range and detector blur; OSEM with every correction.

    python benchmarks/simulation/derenzo.py --rings 12 --iterations 20
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from datetime import UTC, datetime

from positrix.geometry.scanner import get_scanner
from positrix.image.frames import FrameTable
from positrix.quant.derenzo import peak_to_valley
from positrix.recon.corrections.attenuation import hu_to_mu
from positrix.recon.corrections.crystal_pairs import crystal_pair_sinogram, fit_crystal_factors
from positrix.recon.study import ReconOptions, reconstruct_sinogram
from positrix.simulation.acquisition import default_detector_blur_mm
from positrix.simulation.phantoms import DERENZO_RODS_MM, derenzo_phantom, derenzo_rod_centres
from positrix.simulation.scan import simulate_scan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rings", type=int, default=12)
    parser.add_argument("--activity-mbq", type=float, default=5.0)
    parser.add_argument("--minutes", type=float, default=20.0)
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--subsets", type=int, default=16)
    args = parser.parse_args()
    scanner = dataclasses.replace(
        get_scanner("inveon"), name=f"inveon-{args.rings}", n_rings=args.rings
    )
    t0 = time.perf_counter()
    scan = simulate_scan(
        derenzo_phantom(length_mm=10.0),
        scanner,
        nuclide="F-18",
        activity_bq=args.activity_mbq * 1e6,
        frames=FrameTable([0.0], [args.minutes * 60.0], None),
        seed=4,
    )
    sino = scan.acquisition[0].sinograms
    print(f"simulated {sino.prompts.sum():.4g} prompts in {time.perf_counter() - t0:.1f} s")
    randoms = crystal_pair_sinogram(scan.layout, fit_crystal_factors(scan.layout, sino.delayeds))
    results = {}
    for label, psf in (("no PSF", None), ("PSF", default_detector_blur_mm(scan.layout))):
        t1 = time.perf_counter()
        image = reconstruct_sinogram(
            scan.layout,
            sino.prompts,
            options=ReconOptions(iterations=args.iterations, subsets=args.subsets, psf_fwhm_mm=psf),
            duration_s=args.minutes * 60.0,
            nuclide="F-18",
            randoms=randoms,
            mu_per_mm=hu_to_mu(scan.ct_hu, kvp=80),
            acquisition_start=datetime(2026, 1, 1, tzinfo=UTC),
        )
        pv = {
            f"{d:g}": round(
                peak_to_valley(
                    image.data, image.affine, derenzo_rod_centres(d, i), d, z_range_mm=(-3, 3)
                ),
                2,
            )
            for i, d in enumerate(DERENZO_RODS_MM)
        }
        results[label] = pv
        print(f"{label}: P/V {pv} ({time.perf_counter() - t1:.0f} s)", flush=True)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
