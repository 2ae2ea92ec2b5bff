"""Digital brains and heart: anatomy at published sizes, kinetics that follow their models."""

from __future__ import annotations

import numpy as np
import pytest

from positrix.errors import PositrixError
from positrix.kinetics.models.srtm import fit_srtm
from positrix.kinetics.sampling import Sampling
from positrix.simulation.digital_brain import (
    ReferenceTissueKinetics,
    brain_regions,
    digital_brain,
    reference_tissue_truths,
)
from positrix.simulation.digital_heart import (
    HeartGeometry,
    ammonia_extraction,
    digital_heart,
)
from positrix.simulation.shapes import Clipped, Ellipsoid, Oriented, Pose

STARTS = np.array([0, 30, 60, 90, 120, 180, 240, 300, 420, 540, 720, 900, 1200, 1500, 1800.0])
DURATIONS = np.diff(np.append(STARTS, 2400.0))


def test_mouse_striatum_and_brain_have_atlas_sizes():
    regions = brain_regions("mouse")
    striatum = regions["striatum_left"][0].volume_ml() * 1000.0
    assert striatum == pytest.approx(8.3, abs=0.5)  # Paxinos–Franklin ≈ 8–10 mm³ a side
    rat = brain_regions("rat")["striatum_left"][0].volume_ml() * 1000.0
    assert rat / striatum == pytest.approx(1.65**3, rel=1e-9)  # uniform scaling
    with pytest.raises(PositrixError, match="species"):
        brain_regions("cat")


def test_reference_tissue_truth_is_exactly_srtm():
    kinetics = ReferenceTissueKinetics(bp_nd={"striatum_left": 1.5}, r1={"striatum_left": 1.2})
    truth = reference_tissue_truths(kinetics, STARTS, DURATIONS, nuclide="C-11")
    sampling = Sampling(STARTS / 60.0, DURATIONS / 60.0)
    fit = fit_srtm(truth["striatum_left"], truth["cerebellum"], sampling, np.ones(STARTS.size))
    # the generator obeys SRTM's assumptions: only numerical error remains (≤ 1 %)
    assert fit.parameters["BPND"] == pytest.approx(1.5, rel=0.01)
    assert fit.parameters["R1"] == pytest.approx(1.2, rel=0.01)


def test_clipped_and_oriented_shapes_keep_their_volume():
    cut = Clipped(Ellipsoid((0.0, 0.0, 0.0), (2.0, 2.0, 5.0)), (-np.inf, 2.0))
    geometry = HeartGeometry()
    assert cut.volume_ml() == pytest.approx(geometry.cavity_volume_ml(), rel=0.01)  # sampled
    turned = Oriented(cut, Pose.from_angles(about_z_deg=30.0, tilt_x_deg=50.0))
    assert turned.volume_ml() == cut.volume_ml()
    low, high = turned.bounds()
    corners = turned.pose.to_scanner(np.array([[0.0, 0.0, -5.0], [0.0, 0.0, 2.0]]))
    assert np.all(corners >= low - 1e-9) and np.all(corners <= high + 1e-9)


def test_heart_phantom_volumes_match_closed_forms():
    geometry = HeartGeometry()
    phantom = digital_heart(geometry, {"myocardium": 1.0, "blood": 0.0})
    v = 0.25
    shape = (40, 40, 48)
    affine = np.diag([v, v, v, 1.0])
    affine[:3, 3] = [-(n - 1) / 2 * v for n in shape]
    images = phantom.voxelise(shape, affine, supersample=3)
    wall = images.activity_bq_ml.sum() * v**3 / 1000.0
    assert wall == pytest.approx(geometry.wall_volume_ml(), rel=0.02)  # voxelisation ≤ 2 %


def test_ammonia_extraction_matches_hutchins():
    # E(F) = 1 − 0.607 e^(−1.25/F): 0.826 at 1 mL/min/g, 0.527 at 5 (Hutchins 1990)
    assert float(ammonia_extraction(1.0)) == pytest.approx(0.8261, abs=1e-4)
    assert float(ammonia_extraction(5.0)) == pytest.approx(0.5273, abs=1e-4)


def test_unknown_structure_is_refused():
    with pytest.raises(PositrixError, match="no structure"):
        digital_brain("mouse", {"amygdala": 1.0})
