"""CT segmentation of the digital mouse lying on a bed: body, lungs, skeleton, bed gone."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from positrix.errors import PositrixError
from positrix.image.grid import affine_from_spacing
from positrix.quant.ct_segmentation import segment_ct
from positrix.simulation.digital_mouse import digital_mouse

VOXEL = 0.4


@pytest.fixture(scope="module")
def scan():
    shape = tuple(round(e / VOXEL) for e in (32.0, 32.0, 96.0))
    affine = affine_from_spacing([VOXEL] * 3, origin_mm=-(np.asarray(shape) - 1) / 2 * VOXEL)
    images = digital_mouse().voxelise(shape, affine, supersample=2)
    hu = images.hu.copy()
    y = (np.arange(shape[1]) - (shape[1] - 1) / 2) * VOXEL
    # a 1.2 mm carbon bed (≈ 100 HU) 0.8 mm below the belly (y = −11 mm … −12.2 mm)
    bed = (y >= -14.0) & (y <= -12.8)
    hu[:, bed, :] = 100.0
    hu += np.random.default_rng(2).normal(0.0, 20.0, hu.shape)
    return hu, images


def test_body_lungs_and_skeleton(scan):
    hu, images = scan
    result = segment_ct(hu, VOXEL)
    voxel_ml = VOXEL**3 / 1000
    truth_body = images.labels > 0
    # body: the mouse's volume within 3 % (skin voxels at the edge), the bed not in it
    assert result.volumes_ml["body"] == pytest.approx(truth_body.sum() * voxel_ml, rel=0.03)
    y = (np.arange(hu.shape[1]) - (hu.shape[1] - 1) / 2) * VOXEL
    assert not result.body[:, (y >= -14.0) & (y <= -12.8), :].any()
    # lungs (−700 HU in the phantom): volume within 10 % of the voxelised truth
    lungs = images.mask("lungs")
    assert result.volumes_ml["lungs"] == pytest.approx(lungs.sum() * voxel_ml, rel=0.10)
    dice = 2 * np.sum(lungs & (result.labels == 2)) / (lungs.sum() + (result.labels == 2).sum())
    assert dice > 0.9
    # skeleton: the spine and the skull shell found (≥ 90 % of their voxels), and nothing
    # found more than one voxel away from them (partial-volume edges are ≥ 300 HU too)
    bone = images.mask("bone") | images.mask("skull")
    found = result.labels == 3
    assert np.sum(found & bone) / bone.sum() > 0.9
    assert np.sum(found & ~ndimage.binary_dilation(bone)) / found.sum() < 0.01


def test_not_hu_is_refused():
    with pytest.raises(PositrixError, match="no body found"):
        segment_ct(np.full((8, 8, 8), -1000.0), 0.5)
    with pytest.raises(PositrixError, match="every voxel"):
        segment_ct(np.full((8, 8, 8), 5000.0), 0.5)
