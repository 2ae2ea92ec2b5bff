"""MLEM/OSEM on a small scanner: likelihood ascent, list-mode = histogram, clear errors."""

import numpy as np
import pytest

from positrix.errors import PositrixError
from positrix.geometry import ScannerGeometry
from positrix.recon.algorithms import mlem, osem, poisson_log_likelihood
from positrix.recon.projectors import LORProjector

MINI = ScannerGeometry(
    name="mini",
    blocks_per_ring=8,
    crystals_per_block=8,
    n_rings=4,
    transaxial_pitch_mm=2.5,
    axial_pitch_mm=2.5,
    crystal_size_mm=(2.4, 2.4, 10.0),
    ring_diameter_mm=60.0,
    mean_doi_mm=4.0,
)
SHAPE, VOXEL = (24, 24, 4), (1.5, 1.5, 2.5)


@pytest.fixture(scope="module")
def system():
    c1, c2 = np.meshgrid(np.arange(64), np.arange(64), indexing="ij")
    keep = (c2 - c1) % 64
    keep = (keep >= 16) & (keep <= 48) & (c1 < c2)
    c1, c2 = c1[keep], c2[keep]
    r1, r2 = np.meshgrid(np.arange(4), np.arange(4), indexing="ij")
    r1, r2 = r1.ravel(), r2.ravel()
    rings_1, rings_2 = np.repeat(r1, c1.size), np.repeat(r2, c1.size)
    crystals_1, crystals_2 = np.tile(c1, r1.size), np.tile(c2, r1.size)
    start, end = MINI.lor_endpoints(rings_1, crystals_1, rings_2, crystals_2)
    truth = np.zeros(SHAPE, np.float32)
    x, y = np.meshgrid(
        *[(np.arange(n) - (n - 1) / 2) * v for n, v in zip(SHAPE[:2], VOXEL[:2], strict=True)],
        indexing="ij",
    )
    truth[(x**2 + y**2) <= 12.0**2] = 1.0
    truth[((x - 4) ** 2 + y**2) <= 3.0**2] = 4.0
    return start, end, truth


def test_mlem_likelihood_increases_on_noise_free_data(system):
    start, end, truth = system
    projector = LORProjector(SHAPE, VOXEL, start, end)
    counts = projector.apply(truth)
    values = []
    mlem(
        projector,
        counts,
        iterations=15,
        callback=lambda i, s, x: values.append(poisson_log_likelihood(counts, projector.apply(x))),
    )
    assert np.all(np.diff(values) >= -1e-6 * abs(values[-1]))
    assert values[-1] > values[0]


def test_list_mode_equals_histogram_osem(system):
    start, end, truth = system
    rng = np.random.default_rng(4)
    full = LORProjector(SHAPE, VOXEL, start, end)
    counts = rng.poisson(full.apply(truth) * 5.0).astype(np.float32)
    subsets = [np.arange(s, start.shape[0], 3) for s in range(3)]
    hist_ops = [LORProjector(SHAPE, VOXEL, start[i], end[i]) for i in subsets]
    # each subset's sensitivity over all its possible LORs (not only those with events)
    sensitivity = np.stack([op.adjoint(np.ones(op.out_shape, np.float32)) for op in hist_ops])
    histogram = osem(hist_ops, [counts[i] for i in subsets], iterations=3)
    events = [np.repeat(i, counts[i].astype(int)) for i in subsets]  # one LOR per event
    lm_ops = [LORProjector(SHAPE, VOXEL, start[e], end[e]) for e in events]
    list_mode = osem(
        lm_ops, [np.ones(e.size, np.float32) for e in events], sensitivity=sensitivity, iterations=3
    )
    inside = histogram > 0.1 * histogram.max()
    np.testing.assert_allclose(list_mode[inside], histogram[inside], rtol=0.01)


def test_zero_counts_and_bad_sensitivity_are_refused(system):
    start, end, _ = system
    projector = LORProjector(SHAPE, VOXEL, start[:100], end[:100])
    with pytest.raises(PositrixError, match="no counts"):
        mlem(projector, np.zeros(100))
    with pytest.raises(PositrixError, match="sensitivity"):
        mlem(projector, np.ones(100), sensitivity=np.ones((2, 2, 2)))
