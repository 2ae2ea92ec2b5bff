"""Parametric maps agree with the regional fits of the same curves."""

import numpy as np
import pytest

from positrix.cli.main import main
from positrix.errors import PositrixError
from positrix.image import FrameTable, Image
from positrix.io import load, save
from positrix.kinetics.maps import MapOptions, parametric_maps
from positrix.kinetics.models.logan_ref import fit_logan_ref
from positrix.kinetics.models.one_tcm import model_1tcm
from positrix.kinetics.models.srtm import fit_srtm

BP = np.array([0.3, 1.0, 2.5])


@pytest.fixture
def dynamic(inp, frames):
    """A 3 × 2 × 2 image: BPND 0.3, 1, 2.5 along i (R1 = 1.2); reference VT' = 1."""
    reference = model_1tcm(0.1, 0.1, inp, frames)
    curves = [model_1tcm(0.12, 0.12 / (1 + b), inp, frames) for b in BP]
    data = np.zeros((3, 2, 2, 30))
    for i, curve in enumerate(curves):
        data[i] = curve
    table = FrameTable(frames.start_min * 60, frames.duration_min * 60)
    return Image(data, np.eye(4), unit="Bq/mL", frames=table), reference, curves


def test_srtm_basis_map_matches_truth_and_regional_fit(dynamic, frames, weights):
    image, reference, curves = dynamic
    maps = parametric_maps(
        image,
        "srtm",
        mask=np.ones((3, 2, 2), bool),
        reference=reference,
        options=MapOptions(n_basis=300),
    )
    # basis-function discretisation: 300 rates from 0.005 to 1 /min → BPND within 1 %
    np.testing.assert_allclose(maps["BPND"].data[:, 0, 0], BP, rtol=0.01)
    regional = fit_srtm(curves[1], reference, frames, weights).parameters["BPND"]
    assert maps["BPND"].data[1, 1, 1] == pytest.approx(regional, rel=0.01)
    assert maps["R1"].unit == "1" and maps["k2"].unit == "1/min"


def test_linear_map_equals_regional_regression(dynamic, frames, weights):
    image, reference, curves = dynamic
    maps = parametric_maps(
        image,
        "logan-ref",
        mask=np.ones((3, 2, 2), bool),
        reference=reference,
        options=MapOptions(tstar_min=10, k2_prime=0.1),
    )
    for i, curve in enumerate(curves):
        regional = fit_logan_ref(curve, reference, frames, weights, tstar_min=10, k2_prime=0.1)
        assert maps["DVR"].data[i, 0, 0] == pytest.approx(regional.parameters["DVR"], rel=1e-5)


@pytest.mark.parametrize("model", ["mrtm", "mrtm2", "ref-patlak", "suvr"])
def test_other_reference_maps_run_inside_the_mask(dynamic, model):
    image, reference, _ = dynamic
    mask = np.zeros((3, 2, 2), bool)
    mask[1:] = True
    maps = parametric_maps(
        image, model, mask=mask, reference=reference, options=MapOptions(tstar_min=10, k2_prime=0.1)
    )
    first = next(iter(maps.values())).data
    assert np.all(np.isnan(first[0])) and np.all(np.isfinite(first[1:]))
    if model in ("mrtm", "mrtm2"):
        np.testing.assert_allclose(maps["BPND"].data[1:, 0, 0], BP[1:], rtol=0.005)


@pytest.mark.parametrize("model", ["patlak", "logan", "ma1", "1tcm"])
def test_plasma_input_maps(inp, frames, model):
    curve = model_1tcm(0.2, 0.1, inp, frames)
    table = FrameTable(frames.start_min * 60, frames.duration_min * 60)
    image = Image(np.tile(curve, (2, 2, 1, 1)), np.eye(4), unit="Bq/mL", frames=table)
    maps = parametric_maps(
        image,
        model,
        mask=np.ones((2, 2, 1), bool),
        inp=inp,
        options=MapOptions(tstar_min=10, n_basis=300),
    )
    if model in ("logan", "ma1", "1tcm"):
        np.testing.assert_allclose(maps["VT"].data, 2.0, rtol=0.01)


def test_map_errors(dynamic):
    image, reference, _ = dynamic
    with pytest.raises(PositrixError, match="reference"):
        parametric_maps(image, "srtm", mask=np.ones((3, 2, 2), bool))
    with pytest.raises(PositrixError, match="no voxel"):
        parametric_maps(image, "srtm", mask=np.zeros((3, 2, 2), bool), reference=reference)
    with pytest.raises(PositrixError, match="t\\*"):
        parametric_maps(image, "logan-ref", mask=np.ones((3, 2, 2), bool), reference=reference)


def test_cli_map_writes_nifti(dynamic, tmp_path, capsys):
    image, _, _ = dynamic
    # the reference region is a separate voxel column holding the reference curve
    save(image, tmp_path / "dyn.nii.gz")
    code = main(
        [
            "kinetics",
            "map",
            str(tmp_path / "dyn.nii.gz"),
            "--model",
            "srtm",
            "--ref-voi",
            "box:1,0.5,0.5,0.5,0.5,0.5",
            "-o",
            str(tmp_path / "maps"),
        ]
    )
    assert code == 0, capsys.readouterr().err
    bp = load(tmp_path / "maps" / "srtm_BPND.nii.gz")
    assert bp.unit == "1" and bp.spatial_shape == (3, 2, 2)
