import numpy as np
import pytest

from positrix.errors import PositrixError
from positrix.image import FrameTable, Grid, Image, Subject, affine_from_spacing
from positrix.quant.stats import default_peak_ml, region_stats
from positrix.quant.voi import VOI, sphere

GRID = Grid((40, 40, 40), affine_from_spacing([0.5] * 3, origin_mm=[-9.75] * 3))


def _random_image(frames=3, seed=0):
    rng = np.random.default_rng(seed)
    data = rng.normal(1000.0, 100.0, (*GRID.shape, frames))
    return Image(data, GRID.affine, unit="Bq/mL", frames=FrameTable.from_durations([60.0] * frames))


def test_whole_voxel_statistics_match_numpy():
    image = _random_image()
    rng = np.random.default_rng(1)
    masks = [rng.random(GRID.shape) < p for p in (0.01, 0.2, 0.5)]
    vois = [VOI.from_mask(f"r{i}", GRID, m) for i, m in enumerate(masks)]
    rows = region_stats(image, vois, peak_ml=0)
    for row in rows:
        values = image.data[..., row.frame][masks[int(row.region[1])]]
        assert row.mean == pytest.approx(values.mean(), rel=1e-12)
        assert row.sd == pytest.approx(values.std(ddof=1), rel=1e-9)
        assert row.median == pytest.approx(np.median(values), rel=1e-12)
        assert (row.min, row.max) == (values.min(), values.max())
        assert row.n_voxels == values.size
        assert row.volume_ml == pytest.approx(values.size * 0.125 / 1000, rel=1e-12)
        assert row.total_activity_bq == pytest.approx(values.sum() * 0.125 / 1000, rel=1e-9)


def test_analytic_sphere_total_activity():
    # a 4 mm sphere of 5000 Bq/mL in a cold background, each voxel holding C × the fraction
    # of it inside the sphere (16³ sub-samples per voxel)
    centre = (0.3, -0.2, 0.1)
    truth = sphere(GRID, centre, 4.0, samples=16)
    image = Image(truth.mask() * 5000.0, GRID.affine, unit="Bq/mL")
    exact = 5000.0 * 4 / 3 * np.pi * 4.0**3 / 1000  # Bq
    enclosing, inner = sphere(GRID, centre, 5.0), sphere(GRID, centre, 3.0)
    whole, core = region_stats(image, [enclosing, inner], peak_ml=0)
    assert whole.total_activity_bq == pytest.approx(exact, rel=3e-3)  # stated VOI accuracy
    assert core.mean == pytest.approx(5000.0, rel=1e-12) and core.sd == pytest.approx(0, abs=1e-9)
    assert core.max == pytest.approx(5000.0)


def test_weighted_mean_uses_partial_voxels():
    image = Image(np.ones(GRID.shape) * 7.0, GRID.affine, unit="Bq/mL")
    (row,) = region_stats(image, [sphere(GRID, (0, 0, 0), 3.0)], peak_ml=0)
    assert row.mean == pytest.approx(7.0) and row.sd == pytest.approx(0.0, abs=1e-12)


def test_calculation_modes():
    image = _random_image(frames=1)
    voi = VOI.from_mask("all", GRID, np.ones(GRID.shape, bool))
    values = image.data[..., 0].ravel()
    (above,) = region_stats(image, [voi], mode="above", level=1100.0, peak_ml=0)
    assert above.n_voxels == np.count_nonzero(values >= 1100.0)
    assert above.mean == pytest.approx(values[values >= 1100].mean())
    (frac,) = region_stats(image, [voi], mode="fraction_of_max", level=0.9, peak_ml=0)
    assert frac.mean == pytest.approx(values[values >= 0.9 * values.max()].mean())
    (top,) = region_stats(image, [voi], mode="top_fraction", level=0.1, peak_ml=0)
    assert top.n_voxels == int(np.ceil(0.1 * values.size))
    assert top.min == pytest.approx(np.sort(values)[-top.n_voxels])
    with pytest.raises(PositrixError, match="level"):
        region_stats(image, [voi], mode="top_fraction", peak_ml=0)


def test_peak_finds_the_hottest_sphere():
    # two spheres of 2 mm radius: 3000 and 5000 Bq/mL; one VOI covering both
    data = np.zeros(GRID.shape)
    hot = sphere(GRID, (4.0, 0, 0), 2.0, samples=16).mask()
    warm = sphere(GRID, (-4.0, 0, 0), 2.0, samples=16).mask()
    data += 5000.0 * hot + 3000.0 * warm
    image = Image(data, GRID.affine, unit="Bq/mL")
    voi = VOI.from_mask("both", GRID, (hot + warm) > 0)
    volume = 0.01  # mL: a 1.34 mm sphere, inside each 2 mm sphere
    (row,) = region_stats(image, [voi], peak_ml=volume)
    assert row.peak == pytest.approx(5000.0, rel=0.01)
    from positrix.quant.stats import peak_image

    filtered = peak_image(data, GRID, volume)
    where = GRID.index_to_world(np.unravel_index(np.argmax(filtered), GRID.shape))
    assert np.linalg.norm(where - [4.0, 0, 0]) <= 0.5  # centre of the hot sphere


def test_default_peak_volume_by_species():
    image = Image(np.ones(GRID.shape), GRID.affine, unit="Bq/mL")
    assert default_peak_ml(image) == 1.0
    mouse = image.replace(subject=Subject(species="Mus musculus"))
    assert default_peak_ml(mouse) == 0.02


def test_voi_on_another_grid_is_refused():
    image = _random_image(frames=1)
    other = Grid((10, 10, 10), np.eye(4))
    with pytest.raises(PositrixError, match="another grid"):
        region_stats(image, [sphere(other, (5, 5, 5), 2.0)])


@pytest.mark.parametrize("n", [1, 2, 3, 4, 11, 100, 1001])
def test_kernel_median_with_ties(n):
    from positrix.quant._region_kernel import _median

    rng = np.random.default_rng(n)
    for values in (rng.random(n), rng.integers(0, 4, n).astype(float)):
        assert _median(values.copy()) == np.median(values)
