"""NEMA NU 4 image quality on voxelised IQ phantoms of known pose, blur and noise."""

import argparse
import json
import math

import numpy as np
import pytest
from scipy import ndimage, stats

from positrix.cli import nema as nema_cli
from positrix.errors import PositrixError
from positrix.image.frames import FrameTable
from positrix.image.image import Image
from positrix.io import save
from positrix.quant.nema import locate_iq_phantom, nema_iq

VOXEL = 0.5
RODS = {5.0: 0.0, 4.0: 72.0, 3.0: 144.0, 2.0: 216.0, 1.0: 288.0}  # diameter → angle (deg)


# -- a voxelised phantom ------------------------------------------------------------------
def rotation(*, roll_deg=0.0, tilt_deg=0.0, tilt_towards_deg=0.0, flip=False):
    """Columns: the phantom axes in world.  Roll about z', flip (rods to +z), then tilt."""
    r = math.radians(roll_deg)
    roll = np.array([[math.cos(r), -math.sin(r), 0], [math.sin(r), math.cos(r), 0], [0, 0, 1]])
    turn = np.diag([1.0, -1.0, -1.0]) if flip else np.eye(3)  # 180° about x
    t, d = math.radians(tilt_deg), math.radians(tilt_towards_deg)
    k = np.array([-math.sin(d), math.cos(d), 0.0])
    kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    tilt = np.eye(3) + math.sin(t) * kx + (1 - math.cos(t)) * kx @ kx
    return tilt @ turn @ roll


def labels(p):
    """0 outside/cold, 1 activity (chamber and rods), 2 PMMA, 3 water insert (+y'), 4 air
    insert (−y'), at phantom-frame points ``(..., 3)``."""
    x, y, z = p[..., 0], p[..., 1], p[..., 2]
    r2 = x * x + y * y
    out = np.zeros(x.shape, np.int8)
    out[(r2 <= 16.75**2) & (np.abs(z) <= 25)] = 2
    out[(r2 <= 15.0**2) & (z >= -5) & (z <= 25)] = 1
    rod_z = (z >= -25) & (z < -5)
    for diameter, angle in RODS.items():
        a = math.radians(angle)
        inside = (x - 7 * math.cos(a)) ** 2 + (y - 7 * math.sin(a)) ** 2 <= (diameter / 2) ** 2
        out[rod_z & inside] = 1
    for sign, label in ((1, 3), (-1, 4)):
        wall = (z >= 10) & (x**2 + (y - sign * 7.5) ** 2 <= 25)
        out[wall] = 2
        out[wall & (x**2 + (y - sign * 7.5) ** 2 <= 16)] = label
    return out


def grid_affine(centre, voxel, shape):
    affine = np.diag([voxel, voxel, voxel, 1.0])
    affine[:3, 3] = np.asarray(centre) - (np.asarray(shape) - 1) / 2 * voxel
    return affine


def phantom(centre, rot, *, shape=(84, 84, 120), supersample=3):
    """Activity 1 in the fill, 0 elsewhere; edge voxels hold the fraction inside."""
    affine = grid_affine(centre, VOXEL, shape)
    origin = affine[:3, 3]

    def hot(index):
        world = index * VOXEL + origin
        return (labels((world - centre) @ rot) == 1).astype(np.float32)

    data = hot(np.indices(shape, dtype=np.float64).reshape(3, -1).T).reshape(shape)
    edge = ndimage.maximum_filter(data, 3) != ndimage.minimum_filter(data, 3)
    where = np.argwhere(edge).astype(np.float64)
    sub = (np.arange(supersample) + 0.5) / supersample - 0.5
    offsets = np.stack(np.meshgrid(sub, sub, sub, indexing="ij"), -1).reshape(-1, 3)
    data[edge] = sum(hot(where + o) for o in offsets) / len(offsets)
    return Image(data, affine, unit="Bq/mL")


def angle_between(a, b):
    return math.degrees(math.acos(min(1.0, abs(float(np.dot(a, b))))))


CASES = {
    "plain": dict(centre=(2.3, -3.1, 2.2), rot=rotation(roll_deg=37.0)),
    "tilted": dict(
        centre=(1.2, -2.7, -1.6),
        rot=rotation(roll_deg=123.0, tilt_deg=4.0, tilt_towards_deg=30.0, flip=True),
    ),
    "blurred": dict(centre=(-0.7, 1.1, 0.9), rot=rotation(roll_deg=301.0, flip=True)),
    "noisy": dict(centre=(0.4, 0.9, -2.0), rot=rotation(roll_deg=200.0)),
}
SIGMA_MM = 1.0  # blur of "blurred"
NOISE_SD = 0.08  # additive Gaussian noise of "noisy" (the fill is 1)


@pytest.fixture(scope="module")
def images():
    out = {name: phantom(**case) for name, case in CASES.items()}
    out["blurred"] = out["blurred"].replace(
        data=ndimage.gaussian_filter(out["blurred"].data, SIGMA_MM / VOXEL)
    )
    noise = np.random.default_rng(7).normal(0.0, NOISE_SD, out["noisy"].data.shape)
    out["noisy"] = out["noisy"].replace(data=out["noisy"].data + noise)
    return out


@pytest.fixture(scope="module")
def results(images):
    return {name: nema_iq(image) for name, image in images.items()}


# -- pose ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(CASES))
def test_pose_is_found(results, name):
    case, pose = CASES[name], results[name].pose
    rot = case["rot"]
    assert np.linalg.norm(np.subtract(pose.centre_mm, case["centre"])) < 0.3
    assert angle_between(pose.axis, rot[:, 2]) < 2.0
    assert float(np.dot(pose.axis, rot[:, 2])) > 0  # rods → chamber, not reversed
    assert pose.rod_end_sign == (1 if rot[2, 2] < 0 else -1)
    true_roll = math.degrees(math.atan2(rot[1, 0], rot[0, 0]))
    assert abs((pose.rotation_deg - true_roll + 180.0) % 360.0 - 180.0) < 2.0
    assert abs(pose.tilt_deg - angle_between(rot[:, 2], [0, 0, 1])) < 0.5
    for diameter, angle in RODS.items():  # every rod identified by size, where it really is
        true = case["centre"] + rot @ [7 * math.cos(math.radians(angle)),
                                       7 * math.sin(math.radians(angle)), -15.0]  # fmt: skip
        assert np.linalg.norm(np.subtract(pose.rod_centre_mm(f"{diameter:g}"), true)) < 0.4


def test_the_convention_puts_water_on_the_plus_y_side(results):
    for name, case in CASES.items():
        d = results[name].to_dict()["pose"]
        water = case["centre"] + case["rot"] @ [0.0, 7.5, 17.5]
        assert np.linalg.norm(np.subtract(d["water_insert_mm"], water)) < 0.4, name
        assert d["water_air"] == "convention" and "convention" in d["water_air_note"]


# -- metrics ------------------------------------------------------------------------------
def test_noiseless_sharp_phantom_gives_ideal_values(results):
    r = results["plain"]
    assert r.uniformity.mean == pytest.approx(1.0, abs=1e-6)
    assert r.uniformity.pct_std < 1e-4 and r.uniformity.min == pytest.approx(1.0, abs=1e-6)
    assert r.rc_mean["5"] == pytest.approx(1.0, abs=1e-6)
    assert r.rc_mean["3"] == pytest.approx(1.0, abs=1e-6)
    for d in ("2", "3", "4", "5"):
        assert r.rc[d] == pytest.approx(1.0, abs=1e-6) and r.rc_pct_std[d] < 1e-4
    assert abs(r.sor["water"]) < 1e-9 and abs(r.sor["air"]) < 1e-9
    assert r.sor_pct_std["water"] < 1e-6 and not r.resampled


def test_tilted_phantom_is_resampled_and_still_measured(results):
    r = results["tilted"]
    assert r.resampled
    assert r.uniformity.mean == pytest.approx(1.0, abs=1e-6)
    assert r.rc_mean["5"] == pytest.approx(1.0, abs=0.01)
    assert r.rc["5"] == pytest.approx(1.0, abs=0.01)
    assert abs(r.sor["air"]) < 1e-6


def test_blurred_rods_recover_the_analytic_peak_of_a_blurred_disc(results):
    r = results["blurred"]
    case = CASES["blurred"]
    sigma2 = SIGMA_MM**2 + VOXEL**2 / 12.0  # the voxelisation is a box filter of the voxel
    for diameter, angle in RODS.items():
        radius2 = (diameter / 2) ** 2
        a = math.radians(angle)
        peak = np.asarray(case["rot"]).T @ np.subtract(
            r.rc_peak_mm[f"{diameter:g}"], case["centre"]
        )
        offset2 = (peak[0] - 7 * math.cos(a)) ** 2 + (peak[1] - 7 * math.sin(a)) ** 2
        # 2-D Gaussian mass inside a disc, centred `offset` away: non-central χ² with 2 dof
        expected = stats.ncx2.cdf(radius2 / sigma2, 2, offset2 / sigma2)
        assert r.rc[f"{diameter:g}"] == pytest.approx(expected, rel=0.03), diameter
    # the long-rod peak 1 − exp(−R²/2σ²) for the rods whose maximum is flat
    for diameter in (4.0, 5.0):
        long_rod = 1 - math.exp(-((diameter / 2) ** 2) / (2 * sigma2))
        assert r.rc[f"{diameter:g}"] == pytest.approx(long_rod, rel=0.03)
    assert r.uniformity.mean == pytest.approx(1.0, abs=0.01)


def test_noise_shows_up_as_the_percent_std(results):
    r = results["noisy"]
    assert r.uniformity.pct_std == pytest.approx(100 * NOISE_SD, rel=0.10)
    for name in ("water", "air"):  # zero mean: %STD_SOR = 100·SD/mean_uniform
        assert r.sor_pct_std[name] == pytest.approx(100 * NOISE_SD, rel=0.10)
        assert abs(r.sor[name]) < 3 * NOISE_SD / math.sqrt(200)
    assert r.rc_mean["5"] == pytest.approx(1.0, abs=0.02)
    # the profile SD of 20 voxels is itself uncertain (±16 %): a wider margin
    assert r.rc_pct_std["5"] == pytest.approx(100 * NOISE_SD * math.sqrt(2), rel=0.3)
    assert r.rc["5"] >= r.rc_mean["5"]  # the maximum pixel rides on the noise


# -- water or air ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def swapped(images, results):
    """The plain phantom with activity 0.1 in the −y' insert, and a CT in HU saying that
    the −y' insert holds water (the reverse of the convention)."""
    case, pose = CASES["plain"], results["plain"].pose
    image = images["plain"]
    idx = np.indices(image.spatial_shape).reshape(3, -1).T
    world = image.grid.index_to_world(idx)
    where = labels((world - case["centre"]) @ case["rot"]).reshape(image.spatial_shape) == 4
    pet = image.replace(data=image.data + 0.1 * where)
    shape = (48, 48, 64)
    affine = grid_affine(case["centre"], 1.0, shape)
    ct_world = (np.indices(shape).reshape(3, -1).T * 1.0) + affine[:3, 3]
    lab = labels((ct_world - case["centre"]) @ case["rot"]).reshape(shape)
    hu = np.choose(lab, [-1000.0, 0.0, 120.0, -1000.0, 0.0])  # label 3 (+y') air, 4 water
    return pet, Image(hu, affine, unit="HU", modality="CT"), pose


def test_a_ct_decides_which_insert_is_water(swapped):
    pet, ct, pose = swapped
    by_ct = nema_iq(pet, ct=ct, pose=pose)
    assert by_ct.water_air_method == "ct"
    assert by_ct.sor["water"] == pytest.approx(0.1, abs=1e-6)
    assert abs(by_ct.sor["air"]) < 1e-9
    assert nema_iq(pet, pose=pose).sor["air"] == pytest.approx(0.1, abs=1e-6)  # convention
    mu = ct.replace(data=np.where(ct.data > -500, 0.0096, 0.0), unit="1/mm")
    assert nema_iq(pet, ct=mu, pose=pose).sor["water"] == pytest.approx(0.1, abs=1e-6)


def test_a_position_decides_which_insert_is_water(swapped):
    pet, _, pose = swapped
    point = pose.insert_centre_mm(1)
    by_point = nema_iq(pet, water_insert_mm=np.add(point, [0.5, -0.5, 2.0]), pose=pose)
    assert by_point.water_air_method == "position"
    assert by_point.sor["water"] == pytest.approx(0.1, abs=1e-6)
    with pytest.raises(PositrixError) as err:
        nema_iq(pet, water_insert_mm=np.add(point, [40.0, 0, 0]), pose=pose)
    assert err.value.field == "water_insert_mm" and err.value.fix


def test_a_ct_that_shows_no_inserts_is_refused(swapped):
    pet, ct, pose = swapped
    with pytest.raises(PositrixError) as err:
        nema_iq(pet, ct=ct.replace(data=np.zeros(ct.data.shape)), pose=pose)
    assert err.value.field == "ct" and err.value.fix
    with pytest.raises(PositrixError, match="both"):
        nema_iq(pet, ct=ct, water_insert_mm=(0, 0, 0), pose=pose)


# -- bad input ------------------------------------------------------------------------------
def test_a_flat_image_is_refused():
    flat = Image(np.ones((60, 60, 1)), np.diag([0.5, 0.5, 0.5, 1.0]), unit="Bq/mL")
    with pytest.raises(PositrixError) as err:
        nema_iq(flat)
    assert err.value.field == "data" and "3-D" in str(err.value) and err.value.fix


def test_an_image_without_the_phantom_is_refused():
    empty = Image(np.zeros((40, 40, 60)), np.diag([1.0, 1.0, 1.0, 1.0]), unit="Bq/mL")
    with pytest.raises(PositrixError, match="no NEMA") as err:
        locate_iq_phantom(empty)
    assert err.value.field == "data" and err.value.fix
    # a uniform mouse-size cylinder (Ø 25 × 70 mm) is not the IQ phantom either
    x, y, z = np.indices((40, 40, 100)) - np.array([19.5, 19.5, 49.5])[:, None, None, None]
    cylinder = ((x**2 + y**2 <= 12.5**2) & (np.abs(z) <= 35)).astype(float)
    with pytest.raises(PositrixError, match=r"70|long"):
        nema_iq(Image(cylinder, np.eye(4), unit="Bq/mL"))


def test_a_dynamic_image_needs_a_frame(images):
    data = np.stack([images["plain"].data] * 2, axis=-1)
    dynamic = Image(data, images["plain"].affine, unit="Bq/mL",
                    frames=FrameTable.from_durations([60.0, 60.0]))  # fmt: skip
    with pytest.raises(PositrixError) as err:
        nema_iq(dynamic)
    assert err.value.field == "frame" and "--frame" in err.value.fix


# -- command line ---------------------------------------------------------------------------
def cli(argv):
    parser = argparse.ArgumentParser(prog="positrix")
    nema_cli.add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args([str(a) for a in argv])
    return args.run(args)


def test_cli_json_and_text(images, tmp_path, capsys):
    path = tmp_path / "iq.nii.gz"
    save(images["plain"], path)
    assert cli(["nema", "iq", path, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"uniformity", "rc", "rc_pct_std", "rc_mean", "sor", "sor_pct_std",
                        "pose", "units"}  # fmt: skip
    assert set(out["uniformity"]) == {"mean", "max", "min", "pct_std"}
    rods = {"1", "2", "3", "4", "5"}
    assert set(out["rc"]) == set(out["rc_pct_std"]) == set(out["rc_mean"]) == rods
    assert set(out["sor"]) == set(out["sor_pct_std"]) == {"water", "air"}
    assert out["rc"]["5"] == pytest.approx(1.0, abs=1e-6)
    # NIfTI stores RAS: the pose must come back in LPS, as the image was made
    assert np.allclose(out["pose"]["centre_mm"], CASES["plain"]["centre"], atol=0.3)
    assert cli(["nema", "iq", path]) == 0
    text = capsys.readouterr().out
    assert "uniformity" in text and "Bq/mL" in text and "%STD" in text and "convention" in text
    assert "5 mm" in text and "water" in text
