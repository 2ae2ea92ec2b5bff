"""TOF bins of simulated events, and TOF list-mode OSEM on them."""

import dataclasses
from datetime import UTC, datetime

import numpy as np
import pytest

from positrix.errors import PositrixError
from positrix.geometry.sinogram import SinogramLayout
from positrix.io.events import read_events, write_events
from positrix.physics.tof import position_fwhm_mm, tof_bin_edges_mm
from positrix.recon.listmode import listmode_osem, listmode_sensitivity
from positrix.recon.reconstruct import default_grid
from positrix.recon.sinogram_projector import SinogramProjector
from positrix.simulation.events import events_from_sinograms
from positrix.simulation.tof_events import with_tof_bins
from tests.scanners import mini_scanner

TOF = dataclasses.replace(mini_scanner(8), name="mini-tof", tof_resolution_ps=300.0, tof_bins=21,
                          tof_bin_ps=100.0)  # fmt: skip
START = datetime(2026, 1, 1, tzinfo=UTC)


def _events(image, seed=0, scale=1.0):
    layout = SinogramLayout(TOF, span=1)
    shape, voxel = default_grid(TOF)
    expected = SinogramProjector(layout, shape, voxel).apply(image) * scale
    counts = np.random.default_rng(seed).poisson(expected).astype(np.float32)
    events = events_from_sinograms(layout, counts, duration_s=1.0, acquisition_start=START,
                                   nuclide="F-18", seed=seed)  # fmt: skip
    return with_tof_bins(events, TOF, image, voxel, seed=seed)


def test_a_point_lands_in_its_tof_bins_with_the_time_resolution(tmp_path):
    shape, voxel = default_grid(TOF)
    point = np.zeros(shape, np.float32)
    i = shape[0] // 2 + round(20.0 / voxel[0])  # 20 mm off the axis along x
    point[i, shape[1] // 2, shape[2] // 2] = 1.0
    events = _events(point, scale=2000.0)
    start, end = TOF.lor_endpoints(events.ring_1, events.crystal_1, events.ring_2,
                                   events.crystal_2)  # fmt: skip
    source = np.array([(i - (shape[0] - 1) / 2) * voxel[0], 0.5 * voxel[1] * ((shape[1] + 1) % 2),
                       0.5 * voxel[2] * ((shape[2] + 1) % 2)])  # fmt: skip
    direction = (end - start) / np.linalg.norm(end - start, axis=1)[:, None]
    truth = np.sum((source - 0.5 * (start + end)) * direction, axis=1)
    edges = tof_bin_edges_mm(21, 100.0)
    measured = 0.5 * (edges[events.tof_bin] + edges[events.tof_bin + 1])
    error = measured - truth
    sigma = position_fwhm_mm(300.0) / 2.3548
    assert abs(error.mean()) < 0.5  # mm: centred (n ≈ 10⁴ events, σ/√n ≈ 0.2 mm)
    # the Gaussian and the 15 mm bins (w²/12), each point's voxel spreads it a little more
    assert error.std() == pytest.approx(np.hypot(sigma, 15.0 / np.sqrt(12)), rel=0.05)
    write_events(tmp_path / "tof.npz", events)
    back = read_events(tmp_path / "tof.npz")
    np.testing.assert_array_equal(back.tof_bin, events.tof_bin)


def test_tof_listmode_osem_keeps_the_concentration():
    shape, voxel = default_grid(TOF)
    x = (np.arange(shape[0]) - (shape[0] - 1) / 2) * voxel[0]
    disc = ((x[:, None] ** 2 + x[None, :] ** 2) < 20.0**2).astype(np.float32)
    image = np.repeat(disc[:, :, None], shape[2], axis=2)
    events = _events(image, scale=0.05)
    sens = listmode_sensitivity(TOF, shape, voxel, subsets=4)
    common = {"shape": shape, "voxel_size_mm": voxel, "sensitivity": sens, "iterations": 3,
              "subsets": 4}  # fmt: skip
    lines = (events.ring_1, events.crystal_1, events.ring_2, events.crystal_2)
    plain = listmode_osem(TOF, *lines, **common)
    timed = listmode_osem(TOF, *lines, tof_bin=events.tof_bin, **common)
    inside = (x[:, None] ** 2 + x[None, :] ** 2) < 14.0**2
    centre = slice(2, shape[2] - 2)
    ratio = timed[inside][:, centre].mean() / plain[inside][:, centre].mean()
    assert ratio == pytest.approx(1.0, abs=0.02)  # same data, same sensitivity: same mean
    with pytest.raises(PositrixError, match="TOF bins"):
        listmode_osem(TOF, *lines, tof_bin=events.tof_bin + 30, **common)
