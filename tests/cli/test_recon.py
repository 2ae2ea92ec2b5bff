"""``positrix recon``: events file → Bq/mL image, with every correction, and clear errors."""

import json
from datetime import UTC, datetime

import numpy as np
import pytest

from positrix.cli.main import main
from positrix.geometry.sinogram import SinogramLayout
from positrix.image.image import Image
from positrix.io import load, save
from positrix.io.events import write_events
from positrix.recon.calibration import nominal_calibration
from positrix.recon.reconstruct import default_grid
from positrix.simulation.events import events_from_sinograms
from positrix.simulation.sinogram import simulate_sinograms
from tests.recon.conftest import MINI, cylinder, make_grid

TOML = """name = "mini"
blocks_per_ring = 16
crystals_per_block = 10
n_rings = 16
transaxial_pitch_mm = 3.18
axial_pitch_mm = 3.18
crystal_size_mm = [3.0, 3.0, 10.0]
ring_diameter_mm = 161.0
mean_doi_mm = 4.58
"""
CONCENTRATION = 2.0e4  # Bq/mL


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    mini_grid = make_grid()
    folder = tmp_path_factory.mktemp("recon")
    (folder / "mini.toml").write_text(TOML)
    shape, voxel, _ = mini_grid
    phantom = cylinder(mini_grid, 12.5, 20.0)
    mu = 0.0096 * phantom
    layout = SinogramLayout(MINI, span=1)
    sim = simulate_sinograms(
        layout,
        CONCENTRATION * phantom,
        mu,
        voxel,
        duration_s=120.0,
        nuclide="F-18",
        calibration=nominal_calibration(MINI),
        singles_cps=np.full((16, 160), 1500.0),
        seed=4,
    )
    start = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
    events = events_from_sinograms(
        layout,
        sim.prompts,
        delayeds=sim.delayeds,
        duration_s=120.0,
        acquisition_start=start,
        nuclide="F-18",
    )
    write_events(folder / "events.npz", events)
    affine = np.diag([*voxel, 1.0])
    affine[:3, 3] = [-(n - 1) / 2 * v for n, v in zip(shape, voxel, strict=True)]
    save(Image(mu * 10.0, affine, unit="1/cm", modality="PT"), folder / "mu.nii.gz")
    save(Image(np.zeros((8, 8, 8)), affine, unit="1/cm"), folder / "small_mu.nii.gz")
    shifted = affine.copy()
    shifted[0, 3] += 5.0  # same size, origin 5 mm off: must not be used silently
    save(Image(mu * 10.0, shifted, unit="1/cm"), folder / "shifted_mu.nii.gz")
    return folder


def _voi(grid):
    _, _, (x, y, z) = grid
    return (x**2 + y**2 <= 8.0**2) & (np.abs(z) <= 12.0)


def test_recon_with_every_correction_gives_the_concentration(study, capsys):
    mini_grid = make_grid()
    out = study / "osem.nii.gz"
    code = main(
        [
            "recon",
            str(study / "events.npz"),
            "--scanner",
            str(study / "mini.toml"),
            "--mu-map",
            str(study / "mu.nii.gz"),
            "-o",
            str(out),
            "--json",
        ]
    )
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["unit"] == "Bq/mL" and summary["shape"] == list(default_grid(MINI)[0])
    assert summary["corrections"] == "decay,randoms,attenuation,scatter"
    image = load(out)
    assert image.unit == "Bq/mL"
    values = np.asarray(image.data)[_voi(mini_grid)]
    # ~1e6 prompts, nominal calibration on both sides: within 3 % of the truth (decay-corrected
    # to the acquisition start, the simulated activity's reference)
    assert abs(values.mean() / CONCENTRATION - 1) < 0.03


def test_dynamic_frames_and_list_mode(study, capsys):
    out = study / "lm.nii.gz"
    code = main(
        [
            "recon",
            str(study / "events.npz"),
            "--scanner",
            str(study / "mini.toml"),
            "--algorithm",
            "lm-osem",
            "--frames",
            "2x60s",
            "--no-scatter",
            "--iterations",
            "2",
            "-o",
            str(out),
            "--json",
        ]
    )
    assert code == 0
    image = load(out)
    assert np.asarray(image.data).shape[-1] == 2
    np.testing.assert_allclose(image.frames.duration_s, [60.0, 60.0])


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--scanner", "nanoscan"], "unknown scanner|events come from"),
        (["--mu-map", "small_mu.nii.gz"], "µ-map grid"),
        (["--mu-map", "shifted_mu.nii.gz"], "µ-map grid"),
        (["--frames", "3x60s"], "frames last"),
    ],
)
def test_wrong_inputs_give_one_line_errors(study, capsys, extra, message):
    extra = [str(study / e) if e.endswith(".nii.gz") else e for e in extra]
    if "--scanner" not in extra:
        extra += ["--scanner", str(study / "mini.toml")]
    code = main(["recon", str(study / "events.npz"), *extra, "-o", str(study / "x.nii.gz")])
    assert code == 2
    err = capsys.readouterr().err
    import re

    assert re.search(message, err), err


def test_interfile_sinogram_input(study, capsys):
    from positrix.io.interfile_sinogram import write_sinogram

    grid = make_grid()
    shape, voxel, _ = grid
    phantom = cylinder(grid, 12.5, 20.0)
    layout = SinogramLayout(MINI, span=3)
    sim = simulate_sinograms(
        layout,
        CONCENTRATION * phantom,
        np.zeros(shape),
        voxel,
        duration_s=300.0,
        nuclide="F-18",
        scatter_scale=0.0,
        calibration=nominal_calibration(MINI),
        seed=7,
    )
    write_sinogram(study / "prompts.hs", layout, sim.prompts, duration_s=300.0, nuclide="F-18")
    out = study / "from_hs.nii.gz"
    code = main(
        [
            "recon",
            str(study / "prompts.hs"),
            "--scanner",
            str(study / "mini.toml"),
            "--start",
            "2026-11-22T09:00:00+00:00",
            "-o",
            str(out),
            "--json",
        ]
    )
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["corrections"] == "decay"
    values = np.asarray(load(out).data)[_voi(grid)]
    # no attenuation simulated, none corrected: the concentration within 3 %
    assert abs(values.mean() / CONCENTRATION - 1) < 0.03
    code = main(
        [
            "recon",
            str(study / "prompts.hs"),
            "--scanner",
            str(study / "mini.toml"),
            "--algorithm",
            "lm-osem",
            "-o",
            str(study / "y.nii.gz"),
        ]
    )
    assert code == 2 and "list-mode" in capsys.readouterr().err
