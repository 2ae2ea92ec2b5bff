"""Write docs/examples/countrate/: a small NEMA NU 4 count-rate sweep (docs/simulation.md).

A 4-ring test scanner (8 blocks of 8 crystals, 4 mm pitch, Ø 81 mm), five acquisitions of
60 s of the mouse phantom from 40 to 1 MBq; per plane a line source 10 mm off axis, broad
scatter (10 % of trues + scatter) and flat randoms; a paralysable-like loss ``e^(−A/30)``.
Run from the repository root: ``python docs/examples/make_countrate_example.py``.
"""

from pathlib import Path

import numpy as np

from positrix.geometry.scanner import load_scanner
from positrix.geometry.sinogram import SinogramLayout

HERE = Path(__file__).parent / "countrate"
SCANNER = """# A 4-ring, 64-crystal test scanner for the count-rate example (not a real system)
name = "tiny4"
blocks_per_ring = 8
crystals_per_block = 8
n_rings = 4
transaxial_pitch_mm = 4.0
axial_pitch_mm = 4.0
crystal_size_mm = [3.8, 3.8, 10.0]
ring_diameter_mm = 81.0
mean_doi_mm = 4.0
energy_window_kev = [350.0, 625.0]
coincidence_window_ns = 3.432
"""


def main() -> None:
    HERE.mkdir(exist_ok=True)
    (HERE / "tiny4.toml").write_text(SCANNER)
    layout = SinogramLayout(load_scanner(HERE / "tiny4.toml"), span=3)
    r = layout.radial_mm()
    centre = 10.0 * np.cos(layout.view_angles_rad() - 0.3)[:, None]
    keep = np.abs(r) <= 12.5 + 8.0
    shapes = (
        np.exp(-4 * np.log(2) * ((r[None, :] - centre) / 4.0) ** 2),
        np.exp(-((r[None, :] - centre) ** 2) / (2 * 30.0**2)),
        np.ones((layout.n_views, r.size)),
    )
    lines = ['scanner = "tiny4.toml"', 'phantom = "mouse"', 'nuclide = "F-18"', "span = 3", ""]
    for j, mbq in enumerate((40.0, 20.0, 10.0, 5.0, 1.0)):
        trues = 1000.0 * mbq * np.exp(-mbq / 30.0) * 60.0
        totals = (trues, trues / 9.0, 5.0 * mbq**2 * 60.0)
        parts = [s * t / s[:, keep].sum() for s, t in zip(shapes, totals, strict=True)]
        prompts = np.broadcast_to(sum(parts), layout.shape).astype(np.float32)
        delayeds = np.broadcast_to(parts[2], layout.shape).astype(np.float32)
        np.save(HERE / f"prompts{j}.npy", prompts)
        np.save(HERE / f"delayeds{j}.npy", delayeds)
        lines += [
            "[[acquisition]]",
            f'prompts = "prompts{j}.npy"',
            f'delayeds = "delayeds{j}.npy"',
            f"start_activity_MBq = {mbq}",
            "duration_s = 60.0",
            "",
        ]
    (HERE / "sweep.toml").write_text("\n".join(lines))


if __name__ == "__main__":
    main()
