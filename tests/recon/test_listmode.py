"""List-mode (OS)EM equals sinogram (OS)EM on the same events."""

from datetime import UTC, datetime

import numpy as np
import pytest

from positrix.errors import PositrixError
from positrix.geometry.sinogram import SinogramLayout, histogram_events
from positrix.recon.listmode import listmode_osem, listmode_sensitivity
from positrix.recon.reconstruct import SystemModel, reconstruct
from positrix.recon.sinogram_projector import SinogramProjector
from positrix.simulation.events import events_from_sinograms
from tests.recon.conftest import MINI, cylinder


@pytest.fixture(scope="module")
def events(mini_grid):
    shape, voxel, _ = mini_grid
    layout = SinogramLayout(MINI, span=1)
    phantom = cylinder(mini_grid, 12.5, 15.0)
    phantom[20:30, 30:40, 10:20] *= 3.0  # a hot insert
    expected = SinogramProjector(layout, shape, voxel).apply(phantom) * 0.02
    counts = np.random.default_rng(5).poisson(expected).astype(np.float32)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    lm = events_from_sinograms(
        layout, counts, duration_s=1.0, acquisition_start=start, nuclide="F-18"
    )
    ev = [lm.ring_1, lm.crystal_1, lm.ring_2, lm.crystal_2]
    # swap the order of half the events: the histogram and the LORs must not care
    flip = np.arange(ev[0].size) % 2 == 1
    ev = [
        np.where(flip, ev[2], ev[0]),
        np.where(flip, ev[3], ev[1]),
        np.where(flip, ev[0], ev[2]),
        np.where(flip, ev[1], ev[3]),
    ]
    return layout, ev


def test_histogram_of_the_events_is_the_sinogram(events):
    layout, ev = events
    sino = histogram_events(layout, *ev)
    assert sino.sum() == ev[0].size


def test_listmode_mlem_equals_sinogram_mlem_and_osem_agree(events, mini_grid):
    shape, voxel, _ = mini_grid
    layout, ev = events
    sino = histogram_events(layout, *ev)
    sens = listmode_sensitivity(MINI, shape, voxel)
    model = SystemModel(layout, shape, voxel)
    sino_mlem = reconstruct(model, sino, algorithm="mlem", iterations=4)
    lm_mlem = listmode_osem(
        MINI, *ev, shape=shape, voxel_size_mm=voxel, sensitivity=sens, iterations=4, subsets=1
    )
    inside = cylinder(mini_grid, 11.0, 13.0) > 0.99
    # same algorithm, same model: equal to float precision (1e-3 of the mean)
    scale = sino_mlem[inside].mean()
    assert np.abs(lm_mlem - sino_mlem)[inside].max() / scale < 1e-3
    sino_osem = reconstruct(model, sino, iterations=2, subsets=8)
    per_subset = listmode_sensitivity(MINI, shape, voxel, subsets=8)
    lm_osem = listmode_osem(
        MINI,
        *ev,
        shape=shape,
        voxel_size_mm=voxel,
        sensitivity=per_subset,
        iterations=2,
        subsets=8,
    )
    # subsets by view as in sinogram OSEM: the same image (the issue asks for 1 %)
    hot = np.zeros(shape, bool)
    hot[22:28, 32:38, 12:18] = True
    for region in (inside, hot):
        ratio = lm_osem[region].mean() / sino_osem[region].mean()
        assert abs(ratio - 1) < 1e-3
    assert np.abs(lm_osem - sino_osem)[inside].max() / sino_osem[inside].mean() < 0.01


def test_no_events_is_an_error(mini_grid):
    shape, voxel, _ = mini_grid
    with pytest.raises(PositrixError, match="no prompt events"):
        listmode_osem(
            MINI, [], [], [], [], shape=shape, voxel_size_mm=voxel, sensitivity=np.ones(shape)
        )
