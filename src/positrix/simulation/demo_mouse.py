"""A small synthetic mouse PET/CT study for the demo and for tests.

Organs are ellipsoids in a 25 g mouse lying along the scanner axis.  The tracer's
distribution is given as the *fraction of the injected activity* in each organ over time;
the fractions add up to 1 at every time, so the activity in the field of view is exactly
the injected activity decayed — a check the demo prints.  PET frame values are the
frame-averaged activity concentration, decay-corrected to the scan start (as a scanner
would write them).  The CT is a micro-CT scan: cone-beam projections of the organs' CT
numbers (80 kV, 1 mm Al, 10⁵ photons per pixel, Poisson noise) reconstructed by FDK after
the water beam-hardening pre-correction, in HU calibrated on a water phantom scanned the
same way (:data:`DEMO_CT_GEOMETRY`).

This is a demonstration phantom, not the digital mouse of the simulation package.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import cache

import numpy as np
from numpy.typing import NDArray

from positrix.geometry.cone_beam import ConeBeamGeometry
from positrix.image.frames import FrameTable
from positrix.image.grid import affine_from_spacing
from positrix.image.image import Image
from positrix.image.subject import Subject
from positrix.physics.decay import decay_factor, frame_decay_correction
from positrix.physics.injection import Injection
from positrix.physics.nuclides import get_nuclide

__all__ = ["DEMO_CT_GEOMETRY", "ORGANS", "DemoStudy", "demo_mouse_study", "organ_fractions"]

#: Organ → (centre x, y, z in mm (LPS), semi-axes in mm, HU).  Later organs overwrite earlier.
ORGANS: dict[str, tuple[tuple[float, float, float], tuple[float, float, float], float]] = {
    "body": ((0.0, 0.0, 0.0), (12.0, 10.0, 38.0), 40.0),
    "lungs": ((0.0, 1.0, 14.0), (8.0, 6.0, 6.0), -700.0),
    "heart": ((1.5, -1.0, 13.0), (3.5, 3.5, 4.0), 45.0),
    "liver": ((-1.0, 0.0, 3.0), (9.0, 7.0, 4.5), 60.0),
    "kidneys": ((0.0, 5.0, -5.0), (8.0, 2.5, 3.5), 35.0),
    "brain": ((0.0, 0.0, 30.0), (5.0, 4.0, 5.5), 35.0),
    "bladder": ((0.0, -3.0, -30.0), (3.0, 3.0, 3.0), 10.0),
    "tumour": ((9.0, -4.0, -14.0), (3.0, 3.0, 3.0), 50.0),
}


#: The demo's micro-CT: 0.4 mm at the isocentre, 120 views over 360°, 90 mm axial coverage.
DEMO_CT_GEOMETRY = ConeBeamGeometry(
    source_to_isocenter_mm=300.0,
    source_to_detector_mm=450.0,
    detector_rows=224,
    detector_cols=128,
    pixel_pitch_mm=0.6,
    angles_deg=tuple(float(a) for a in np.arange(120) * 3.0),
    name="demo-microct",
)


@cache
def _micro_ct(shape: tuple[int, int, int], voxel_mm: float, organ_hu: bytes, seed: int) -> bytes:
    """Scan and reconstruct (module docstring); cached, the demo and tests ask often."""
    from positrix.physics.xray import kramers_spectrum
    from positrix.recon.ct_calibration import calibrate_water_air
    from positrix.recon.ct_study import reconstruct_ct
    from positrix.simulation.cone_beam_ct import simulate_cone_beam
    from positrix.simulation.ct_phantoms import water_cylinder

    geometry = replace(DEMO_CT_GEOMETRY, voxels=shape, voxel_size_mm=voxel_mm)
    spectrum = kramers_spectrum(80.0, aluminium_mm=1.0, step_kev=2.0)
    hu = np.frombuffer(organ_hu, dtype=np.float32).reshape(shape)
    phantom = water_cylinder(shape, voxel_mm, radius_mm=10.0, length_mm=80.0)
    images = []
    for number, volume in enumerate((phantom, hu)):
        scan = simulate_cone_beam(
            volume, voxel_mm, geometry, spectrum=spectrum, photons_per_pixel=1e5, seed=seed + number
        )
        images.append(
            reconstruct_ct(
                scan.projections, geometry, flat=scan.flat, dark=scan.dark, spectrum=spectrum
            ).data
        )
    calibration = calibrate_water_air(images[0], voxel_mm)
    return calibration.to_hu(images[1]).tobytes()


def organ_fractions(minutes: NDArray[np.float64]) -> dict[str, NDArray[np.float64]]:
    """Fraction of the injected activity (not decayed) in each organ at times in min.

    ``body`` takes the rest so that the fractions add up to exactly 1.
    """
    t = np.asarray(minutes, dtype=np.float64)
    fractions = {
        "heart": 0.30 * np.exp(-t / 2.0) + 0.05 + 0.06 * (1 - np.exp(-t / 3.0)),
        "lungs": 0.03 * np.exp(-t / 2.0) + 0.01,
        "liver": 0.10 * np.exp(-t / 30.0) + 0.05,
        "kidneys": 0.08 * np.exp(-t / 10.0) + 0.02,
        "brain": 0.03 * (1 - np.exp(-t / 5.0)),
        "bladder": 0.15 * (1 - np.exp(-t / 20.0)),
        "tumour": 0.04 * (1 - np.exp(-t / 15.0)),
    }
    fractions["body"] = 1.0 - np.sum(list(fractions.values()), axis=0)
    return fractions


@dataclass(frozen=True)
class DemoStudy:
    """The demo study: a dynamic PET, a CT and the truth they were made from."""

    pet: Image
    ct: Image
    labels: NDArray[np.int16]
    label_names: tuple[str, ...]


def _labels(shape: tuple[int, int, int], affine: NDArray[np.float64]) -> NDArray[np.int16]:
    index = np.stack(np.meshgrid(*[np.arange(n) for n in shape], indexing="ij"), axis=-1)
    world = index @ affine[:3, :3].T + affine[:3, 3]
    labels = np.zeros(shape, dtype=np.int16)
    for number, (centre, axes, _) in enumerate(ORGANS.values(), start=1):
        inside = np.sum(((world - np.asarray(centre)) / np.asarray(axes)) ** 2, axis=-1) <= 1.0
        labels[inside] = number
    return labels


def _grid(
    voxel_mm: float, extent_mm: tuple[float, float, float]
) -> tuple[tuple[int, int, int], NDArray[np.float64]]:
    nx, ny, nz = (round(e / voxel_mm) for e in extent_mm)
    shape = (nx, ny, nz)
    origin = -(np.asarray(shape) - 1) / 2.0 * voxel_mm
    return shape, affine_from_spacing([voxel_mm] * 3, origin_mm=origin)


def demo_mouse_study(
    *,
    frames: str = "4x30s,3x2min,2x10min",
    injected_activity_bq: float = 8e6,
    residual_bq: float = 0.3e6,
    pet_voxel_mm: float = 0.8,
    ct_voxel_mm: float = 0.4,
    seed: int = 0,
) -> DemoStudy:
    """Build the demo study (dynamic F-18 FDG-like PET from injection, plus a CT).

    Parameters
    ----------
    frames
        PET frame protocol from the injection, e.g. ``"4x30s,3x2min,2x10min"``.
    injected_activity_bq
        Syringe activity before injection (Bq).
    residual_bq
        Residual activity measured 5 min after injection (Bq).
    pet_voxel_mm, ct_voxel_mm
        Isotropic voxel sizes (mm).
    seed
        Seed of the CT noise.
    """
    nuclide = get_nuclide("F-18")
    injection_time = datetime(2026, 3, 14, 9, 26, 53, tzinfo=UTC)
    injection = Injection(
        nuclide=nuclide,
        tracer="FDG",
        injection_time=injection_time,
        activity_before_bq=injected_activity_bq,
        activity_before_time=injection_time - timedelta(minutes=2),
        residual_bq=residual_bq,
        residual_time=injection_time + timedelta(minutes=5),
    )
    subject = Subject(
        id="demo-mouse-01", species="Mus musculus", strain="C57BL/6J", sex="F", weight_g=25.0
    )
    table = FrameTable.from_spec(frames, acquisition_start=injection_time)
    extent = (32.0, 28.0, 84.0)
    shape, affine = _grid(pet_voxel_mm, extent)
    labels = _labels(shape, affine)
    activity = _pet(labels, table, injection, affine)
    meta = {
        "StudyInstanceUID": "2.25.245931238432985320112083460158620411601",
        "FrameOfReferenceUID": "2.25.301727613843190357391106447356513297113",
        "StudyDescription": "Positrix demo mouse FDG",
        "StudyDate": injection_time.strftime("%Y%m%d"),
        "StudyTime": injection_time.strftime("%H%M%S"),
        "ClinicalTrialProtocolID": "DEMO-001",
        "ClinicalTrialTimePointID": "baseline",
        "PatientPosition": "HFP",
    }
    pet = Image(
        activity,
        affine,
        unit="Bq/mL",
        frames=table,
        decay_reference=injection_time,
        modality="PT",
        subject=subject,
        injection=injection,
        scanner="Positrix demo",
        reconstruction="ground truth",
        description="Demo PET dynamic",
        metadata={**meta, "SeriesNumber": 2, "CorrectedImage": ["DECY", "ATTN", "SCAT"]},
    )
    ct_shape, ct_affine = _grid(ct_voxel_mm, extent)
    ct_labels = _labels(ct_shape, ct_affine)
    hu = np.full(ct_shape, -1000.0, dtype=np.float32)
    for number, (_, _, value) in enumerate(ORGANS.values(), start=1):
        hu[ct_labels == number] = value
    hu = np.frombuffer(_micro_ct(ct_shape, ct_voxel_mm, hu.tobytes(), seed), np.float32)
    hu = hu.reshape(ct_shape)
    ct_time = FrameTable([0.0], [0.0], injection_time + timedelta(minutes=35))
    ct = Image(
        hu,
        ct_affine,
        unit="HU",
        frames=ct_time,
        modality="CT",
        subject=subject,
        scanner="Positrix demo",
        description="Demo CT",
        metadata={**meta, "SeriesNumber": 1, "KVP": "80"},
    )
    return DemoStudy(pet=pet, ct=ct, labels=labels, label_names=tuple(ORGANS))


def _pet(
    labels: NDArray[np.int16], table: FrameTable, injection: Injection, affine: NDArray[np.float64]
) -> NDArray[np.float32]:
    """Frame-mean concentrations (Bq/mL), decay-corrected to the scan start."""
    nuclide = injection.nuclide
    assert nuclide is not None
    voxel_ml = abs(float(np.linalg.det(affine[:3, :3]))) / 1000.0
    a0 = injection.net_activity_bq
    data = np.zeros((*labels.shape, table.n_frames), dtype=np.float32)
    correction = frame_decay_correction(nuclide, table.start_s, table.duration_s)
    for f in range(table.n_frames):
        # Frame mean of the decaying activity, by the midpoint rule on 1 s steps.
        steps = max(int(table.duration_s[f]), 1)
        t = table.start_s[f] + (np.arange(steps) + 0.5) * table.duration_s[f] / steps
        fractions = organ_fractions(t / 60.0)
        decayed = decay_factor(nuclide, t)
        for number, name in enumerate(ORGANS, start=1):
            volume_ml = np.count_nonzero(labels == number) * voxel_ml
            mean_activity = float(np.mean(a0 * fractions[name] * decayed))
            data[labels == number, f] = mean_activity / volume_ml * correction[f]
    return data
