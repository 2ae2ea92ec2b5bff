"""Count-rate sweep files: PETSIRD list-mode acquisitions rebin exactly like sinograms."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from positrix.errors import FileFormatError
from positrix.geometry.sinogram import SinogramLayout
from positrix.io.count_rate_sweep import read_sweep
from positrix.io.petsird import write_petsird
from positrix.simulation.events import events_from_sinograms
from tests.cli.test_nema_count_rate import SCANNER
from tests.scanners import mini_scanner


def test_petsird_acquisitions_give_the_sinograms_they_hold(tmp_path):
    scanner = mini_scanner(8, name="mini8")
    layout = SinogramLayout(scanner, span=1)
    (tmp_path / "mini8.toml").write_text(SCANNER)
    rng = np.random.default_rng(3)
    head = ['scanner = "mini8.toml"', 'phantom = "mouse"', "span = 1"]
    npy, listmode = list(head), list(head)
    for j, mbq in enumerate((30.0, 3.0)):
        prompts = rng.poisson(0.02 * mbq, layout.shape).astype(np.float32)
        delayeds = rng.poisson(0.002 * mbq**2, layout.shape).astype(np.float32)
        np.save(tmp_path / f"p{j}.npy", prompts)
        np.save(tmp_path / f"d{j}.npy", delayeds)
        events = events_from_sinograms(layout, prompts, delayeds=delayeds, duration_s=60.0,
                                       acquisition_start=datetime(2026, 1, 1, tzinfo=UTC),
                                       nuclide="F-18", seed=j)  # fmt: skip
        write_petsird(tmp_path / f"a{j}.petsird", events, scanner=scanner)
        npy += ["[[acquisition]]", f'prompts = "p{j}.npy"', f'delayeds = "d{j}.npy"',
                f"start_activity_MBq = {mbq}", "duration_s = 60.0"]  # fmt: skip
        listmode += ["[[acquisition]]", f'listmode = "a{j}.petsird"', f"start_activity_MBq = {mbq}"]
    (tmp_path / "npy.toml").write_text("\n".join(npy) + "\n")
    (tmp_path / "lm.toml").write_text("\n".join(listmode) + "\n")
    from_sinograms, from_events = (
        read_sweep(tmp_path / "npy.toml"),
        read_sweep(tmp_path / "lm.toml"),
    )
    for a, b in zip(from_sinograms.prompts + from_sinograms.delayeds,
                    from_events.prompts + from_events.delayeds, strict=True):  # fmt: skip
        assert np.array_equal(a, b)  # every event back in its bin, exactly
    # the duration comes from the list-mode file (its last 1 ms time block)
    assert from_events.duration_s == pytest.approx([60.0, 60.0], abs=0.002)
    both = tmp_path / "both.toml"
    row = ["[[acquisition]]", 'listmode = "a0.petsird"', 'prompts = "p0.npy"']
    both.write_text("\n".join([*head, *row, "start_activity_MBq = 1.0"]) + "\n")
    with pytest.raises(FileFormatError, match="both list mode and sinograms"):
        read_sweep(both)
