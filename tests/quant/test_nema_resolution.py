"""NEMA NU 4 spatial resolution on Gaussian point sources of known widths."""

import argparse
import json
import math

import numpy as np
import pytest

from positrix.cli import nema as nema_cli
from positrix.errors import PositrixError
from positrix.image.image import Image
from positrix.io import save
from positrix.quant.nema import fwhm_fwtm, point_source_resolution

FWTM_PER_FWHM = math.sqrt(math.log(10) / math.log(2))  # 1.8226 for a Gaussian
VOXEL = 0.4


def image_with(sources, *, shape=(80, 80, 30), centre=(1.5, -1.0, -0.5)):
    """Sum of Gaussians ``(position, {direction vector: FWHM})`` sampled at voxel centres."""
    affine = np.diag([VOXEL, VOXEL, VOXEL, 1.0])
    affine[:3, 3] = np.asarray(centre) - (np.asarray(shape) - 1) / 2 * VOXEL
    world = np.indices(shape).reshape(3, -1).T * VOXEL + affine[:3, 3]
    data = np.zeros(world.shape[0])
    for position, widths in sources:
        exponent = np.zeros_like(data)
        for direction, fwhm in widths.items():
            along = (world - position) @ (np.asarray(direction) / np.linalg.norm(direction))
            exponent += (along / fwhm) ** 2
        data += np.exp(-4 * math.log(2) * exponent)
    return Image(data.reshape(shape), affine, unit="Bq/mL")


@pytest.mark.parametrize("offset", [0.0, 0.13, 0.2])
def test_fwhm_fwtm_of_a_sampled_gaussian(offset):
    x = (np.arange(-25, 26) - offset) * VOXEL
    fwhm, fwtm = fwhm_fwtm(np.exp(-4 * math.log(2) * (x / 1.6) ** 2), VOXEL)
    assert fwhm == pytest.approx(1.6, rel=0.03)
    assert fwtm == pytest.approx(FWTM_PER_FWHM * fwhm, rel=0.03)


def test_fwhm_fwtm_interpolates_linearly_and_fits_the_peak():
    # a triangle 0..4..0: the parabola through (3, 4, 3) peaks at 4, half at ±1, tenth at ±1.8
    fwhm, fwtm = fwhm_fwtm([0, 1, 2, 3, 4, 3, 2, 1, 0], 0.5)
    assert fwhm == pytest.approx(2 * 2 * 0.5) and fwtm == pytest.approx(2 * 3.6 * 0.5)
    # an asymmetric peak: the vertex of the parabola lies above the highest sample
    fwhm, _ = fwhm_fwtm([0, 0, 2, 4, 3.9, 1, 0], 1.0)
    half = (4 + 0.95**2 / 4.2) / 2  # vertex of y = 4 + 0.95 x − 1.05 x²
    left, right = 3 - (4 - half) / (4 - 2), 4 + (3.9 - half) / (3.9 - 1)
    assert fwhm == pytest.approx(right - left)


def test_isotropic_source_on_the_axis():
    image = image_with([((0.1, -0.07, 0.12), {(1, 0, 0): 1.6, (0, 1, 0): 1.6, (0, 0, 1): 1.6})])
    (s,) = point_source_resolution(image).sources
    assert s.radial_offset_mm < 0.5 and s.directions["radial"] == (1.0, 0.0, 0.0)
    for d in ("radial", "tangential", "axial"):
        fwhm, fwtm = getattr(s, f"fwhm_{d}_mm"), getattr(s, f"fwtm_{d}_mm")
        assert fwhm == pytest.approx(1.6, rel=0.03), d
        assert fwtm == pytest.approx(FWTM_PER_FWHM * fwhm, rel=0.03), d


ANISOTROPIC = {"radial": 2.4, "tangential": 1.6, "axial": 2.0}


def anisotropic(position):
    radial = np.array([position[0], position[1], 0.0])
    radial /= np.linalg.norm(radial)
    tangential = np.cross([0, 0, 1], radial)
    widths = {tuple(radial): 2.4, tuple(tangential): 1.6, (0.0, 0.0, 1.0): 2.0}
    return position, widths


@pytest.fixture(scope="module")
def three_sources():
    positions = [(12.13, 0.07, -0.11), (0.09, -11.93, 2.05), (-8.6, 8.4, -2.9)]
    return positions, image_with([anisotropic(p) for p in positions])


def test_radial_and_tangential_follow_the_direction_from_the_axis(three_sources):
    positions, image = three_sources
    result = point_source_resolution(image)
    assert len(result.sources) == 3
    for source in result.sources:
        near = min(positions, key=lambda p: np.linalg.norm(np.subtract(p, source.position_mm)))
        assert np.linalg.norm(np.subtract(near, source.position_mm)) < VOXEL
        # x or y sources read the image's voxels; the one at 135.7° is interpolated (wider)
        snapped = abs(near[0]) < 1 or abs(near[1]) < 1
        assert source.snapped["radial"] is snapped
        tolerance = 0.03 if snapped else 0.06
        for d, fwhm in ANISOTROPIC.items():
            assert getattr(source, f"fwhm_{d}_mm") == pytest.approx(fwhm, rel=tolerance), d
            assert getattr(source, f"fwtm_{d}_mm") == pytest.approx(
                FWTM_PER_FWHM * fwhm, rel=tolerance + 0.01
            )
    by_y = min(result.sources, key=lambda s: s.position_mm[1])  # the source at −y
    assert np.allclose(np.abs(by_y.directions["radial"]), (0, 1, 0))
    assert np.allclose(np.abs(by_y.directions["tangential"]), (1, 0, 0))


def test_sources_by_count_position_and_axis(three_sources):
    positions, image = three_sources
    assert len(point_source_resolution(image, n_sources=2).sources) == 2
    one = point_source_resolution(image, positions_mm=[(12.0, 0.0, 0.0)]).sources
    assert len(one) == 1 and one[0].fwhm_radial_mm == pytest.approx(2.4, rel=0.03)
    # seen from an axis at x = 12.13, y = 10, the first source is straight "below" it:
    # radial is now along y, so the widths swap
    moved = point_source_resolution(image, positions_mm=[positions[0]], axis_xy_mm=(12.13, 10.0))
    s = moved.sources[0]
    assert s.fwhm_radial_mm == pytest.approx(1.6, rel=0.03)
    assert s.fwhm_tangential_mm == pytest.approx(2.4, rel=0.03)
    with pytest.raises(PositrixError) as err:
        point_source_resolution(image, n_sources=5)
    assert err.value.field == "n_sources"
    with pytest.raises(PositrixError) as err:
        point_source_resolution(image, positions_mm=[(90.0, 0.0, 0.0)])
    assert err.value.field == "positions_mm"


def test_bad_images_are_refused():
    with pytest.raises(PositrixError) as err:
        point_source_resolution(Image(np.ones((30, 30, 1)), np.eye(4), unit="Bq/mL"))
    assert err.value.field == "data" and err.value.fix
    with pytest.raises(PositrixError, match="no positive") as err:
        point_source_resolution(Image(np.zeros((20, 20, 20)), np.eye(4), unit="Bq/mL"))
    assert err.value.fix


def cli(argv):
    parser = argparse.ArgumentParser(prog="positrix")
    nema_cli.add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args([str(a) for a in argv])
    return args.run(args)


def test_cli(three_sources, tmp_path, capsys):
    path = tmp_path / "points.nii.gz"
    save(three_sources[1], path)
    assert cli(["nema", "resolution", path, "--json", "--axis-x", "0", "--axis-y", "0"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["sources"]) == 3 and out["units"]["fwhm"] == "mm"
    first = out["sources"][0]
    assert set(first["fwhm_mm"]) == set(first["fwtm_mm"]) == {"radial", "tangential", "axial"}
    assert cli(["nema", "resolution", path, "--sources", "1"]) == 0
    text = capsys.readouterr().out
    assert "FWHM" in text and "mm" in text and len(text.strip().splitlines()) == 2
