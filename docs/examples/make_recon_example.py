"""Make the small list-mode example of docs/recon.md (run from the repository root).

A 16-ring test scanner (``mini.toml``: Inveon diameter, 160 crystals of 3.18 mm per ring) and
10 s of a uniform Ø 25 × 40 mm water cylinder at 5 kBq/mL (F-18) with randoms from 500 cps
singles per crystal: ``cylinder_events.npz``.
"""

from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from positrix.geometry import load_scanner
from positrix.geometry.sinogram import SinogramLayout
from positrix.io.events import write_events
from positrix.recon.calibration import nominal_calibration
from positrix.recon.reconstruct import default_grid
from positrix.simulation.events import events_from_sinograms
from positrix.simulation.sinogram import simulate_sinograms

HERE = Path(__file__).resolve().parent


def main() -> None:
    scanner = load_scanner(HERE / "mini.toml")
    layout = SinogramLayout(scanner, span=1)
    shape, voxel = default_grid(scanner)
    centres = [(np.arange(n) - (n - 1) / 2) * v for n, v in zip(shape, voxel, strict=True)]
    x, y, z = np.meshgrid(*centres, indexing="ij")
    cylinder = ((x**2 + y**2 <= 12.5**2) & (np.abs(z) <= 20)).astype(np.float32)
    sim = simulate_sinograms(
        layout,
        5000.0 * cylinder,
        0.0096 * cylinder,
        voxel,
        duration_s=10.0,
        nuclide="F-18",
        calibration=nominal_calibration(scanner),
        singles_cps=np.full((scanner.n_rings, scanner.crystals_per_ring), 500.0),
        seed=1,
    )
    events = events_from_sinograms(
        layout,
        sim.prompts,
        delayeds=sim.delayeds,
        duration_s=10.0,
        acquisition_start=datetime(2026, 1, 5, 10, 0, tzinfo=UTC),
        nuclide="F-18",
    )
    write_events(HERE / "cylinder_events.npz", events, overwrite=True)
    print(f"{len(events)} events")


if __name__ == "__main__":
    main()
