"""``positrix nema count-rate``: a sweep file of 3-D sinograms through SSRB and NU 4."""

from __future__ import annotations

import json

import numpy as np
import pytest

from positrix.cli.main import main
from positrix.geometry.sinogram import SinogramLayout
from tests.scanners import mini_scanner

SCANNER = """name = "mini8"
blocks_per_ring = 16
crystals_per_block = 10
n_rings = 8
transaxial_pitch_mm = 3.18
axial_pitch_mm = 3.18
crystal_size_mm = [3.0, 3.0, 10.0]
ring_diameter_mm = 161.0
mean_doi_mm = 4.58
energy_window_kev = [350.0, 650.0]
coincidence_window_ns = 3.4
"""


def _sinograms(layout: SinogramLayout, trues: float, scatter: float, randoms: float):
    r = layout.radial_mm()
    angles = layout.view_angles_rad()
    centre = 10.0 * np.cos(angles - 0.3)[:, None]
    keep = np.abs(r) <= 12.5 + 8.0
    peak = np.exp(-4 * np.log(2) * ((r[None, :] - centre) / 4.0) ** 2)
    broad = np.exp(-((r[None, :] - centre) ** 2) / (2 * 30.0**2))
    flat = np.ones_like(peak)
    plane = sum(
        s * t / s[:, keep].sum() for s, t in ((peak, trues), (broad, scatter), (flat, randoms))
    )
    delayed = flat * randoms / flat[:, keep].sum()
    shape = layout.shape
    return (
        np.broadcast_to(plane, shape).astype(np.float32),
        np.broadcast_to(delayed, shape).astype(np.float32),
    )


def test_count_rate_command(tmp_path, capsys):
    layout = SinogramLayout(mini_scanner(8), span=3)
    (tmp_path / "mini8.toml").write_text(SCANNER)
    lines = ['scanner = "mini8.toml"', 'phantom = "mouse"', 'nuclide = "F-18"', "span = 3"]
    for j, mbq in enumerate((40.0, 20.0, 10.0, 5.0, 1.0)):
        trues = 1000.0 * mbq * np.exp(-mbq / 30.0) * 60.0
        prompts, delayeds = _sinograms(layout, trues, trues * 0.1 / 0.9, 5.0 * mbq**2 * 60.0)
        np.save(tmp_path / f"p{j}.npy", prompts)
        np.save(tmp_path / f"d{j}.npy", delayeds)
        lines += [
            "[[acquisition]]",
            f'prompts = "p{j}.npy"',
            f'delayeds = "d{j}.npy"',
            f"start_activity_MBq = {mbq}",
            "duration_s = 60.0",
        ]
    (tmp_path / "sweep.toml").write_text("\n".join(lines) + "\n")
    png = tmp_path / "nec.png"
    assert (
        main(["nema", "count-rate", str(tmp_path / "sweep.toml"), "--plot", str(png), "--json"])
        == 0
    )
    result = json.loads(capsys.readouterr().out)
    # 3 mm bins: the ±7 mm line is coarse, still within 2 points of the 10 % truth
    assert result["scatter_fraction"] == pytest.approx(0.10, abs=0.02)
    necr = np.array(result["necr_kcps"])
    assert result["peak_necr_kcps"] == pytest.approx(necr.max())
    assert png.exists()
    (tmp_path / "bad.toml").write_text('scanner = "inveon"\n')
    assert main(["nema", "count-rate", str(tmp_path / "bad.toml")]) == 2
    assert "acquisition" in capsys.readouterr().err
