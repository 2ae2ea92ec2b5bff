"""Neuro and cardiac figures of issue #18, measured in one run on this machine.

1. Normalisation of a mouse PET (Inveon-like 0.8 mm voxels, 128 × 128 × 64, brain placed
   off-centre and turned): Positrix (brain search + crop + rigid, template fixed) beside a
   baseline measured in the same run — SimpleITK rigid registration of the whole image to
   the template from the image centres, no brain search.  Goal ≤ 30 s; the baseline's
   label error shows what the search is for.
2. Polar map of a mouse heart (0.5 mm, 48³) with a 20.5 % infarct: Positrix (detection,
   axis refinement, sampling, 17 segments) beside the same call with the LV frame given
   (ray sampling and segments only): goal ≤ 2 s.

Usage: ``python benchmarks/quant/bench_neuro_cardiac.py``.
"""

from __future__ import annotations

import time

import numpy as np

from positrix.image.registration import register
from positrix.quant.atlas import builtin_atlas
from positrix.quant.cardiac import find_lv, polar_map
from positrix.quant.normalise import normalise
from positrix.simulation.digital_brain import FDG_BRAIN_UPTAKE, simulate_brain_image
from positrix.simulation.digital_heart import HeartGeometry, simulate_heart_image
from positrix.simulation.shapes import Pose


def _centre_error(transform, pose: Pose) -> float:
    striatum = np.array([1.9, 0.2, 2.4])
    mapped = np.asarray(transform.TransformPoint(tuple(pose.to_scanner(striatum[None])[0])))
    return float(np.linalg.norm(mapped - striatum))


def bench_normalisation() -> None:
    atlas = builtin_atlas("digital-mouse-brain")
    pose = Pose.from_angles(about_z_deg=8.0, tilt_x_deg=-5.0, translation_mm=(6.0, -4.0, 12.0))
    subject = simulate_brain_image(
        FDG_BRAIN_UPTAKE,
        pose=pose,
        shape=(128, 128, 64),
        voxel_mm=0.8,
        fwhm_mm=1.6,
        noise_sd=0.05,
        seed=1,
    )
    start = time.perf_counter()
    result = normalise(subject, atlas)
    ours = time.perf_counter() - start
    start = time.perf_counter()
    try:
        plain = register(atlas.template, subject, kind="rigid", initialise="geometry")
        base = time.perf_counter() - start
        error = _centre_error(plain.transform, pose)
        baseline = f"{base:6.2f} s, striatum off by {error:.2f} mm"
    except Exception as err:  # the baseline may fail outright: that is the finding
        base = time.perf_counter() - start
        baseline = f"{base:6.2f} s, failed ({str(err)[:60]})"
    print(
        f"normalisation: Positrix {ours:6.2f} s, striatum off by "
        f"{_centre_error(result.transform, pose):.2f} mm (goal ≤ 30 s) | SimpleITK rigid "
        f"on the whole image: {baseline} | time ratio {ours / max(base, 1e-9):.2f}"
    )


def bench_polar_map() -> None:
    geometry = HeartGeometry(
        centre_mm=(1.0, -1.0, 0.5),
        orientation=Pose.from_angles(about_z_deg=30.0, tilt_x_deg=50.0),
        infarct_z_mm=(-7.0, -0.5),
        infarct_azimuth_deg=(-60.0, 60.0),
    )
    image = simulate_heart_image(geometry, fwhm_mm=1.2, noise_percent=2.0)
    polar_map(image)  # warm-up
    start = time.perf_counter()
    for _ in range(5):
        polar = polar_map(image)
    ours = (time.perf_counter() - start) / 5
    frame = find_lv(image)
    start = time.perf_counter()
    for _ in range(5):
        polar_map(image, frame=frame)
    sampling = (time.perf_counter() - start) / 5
    print(
        f"polar map: Positrix {ours * 1000:7.1f} ms with detection (goal ≤ 2 s), "
        f"{sampling * 1000:7.1f} ms sampling only | ratio {ours / sampling:.2f}; defect "
        f"{polar.defect_extent_percent():.1f} % (truth 20.5 %)"
    )


if __name__ == "__main__":
    bench_normalisation()
    bench_polar_map()
