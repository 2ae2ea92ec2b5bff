"""NEMA NU 4 image quality of a scanner design, by simulation, reconstruction and analysis.

The NU 4-2008 §6 acquisition: the image-quality phantom
(:func:`~positrix.simulation.phantoms.nema_iq_phantom`) filled with 3.7 MBq of F-18 at the
scan start, 20 min, through the design's simulator (attenuation, scatter, randoms from the
delayed window, Poisson noise;
:func:`~positrix.simulation.scan.simulate_scan`); OSEM 4 × 16 with every correction (randoms from
crystal singles fitted to the delayeds, attenuation from the phantom's µ-map, single
scatter), decay-corrected to the scan start; then
:func:`~positrix.quant.nema.iq.nema_iq`.  Dead time is left out of both: a scanner corrects
for it, the sinogram reconstruction here does not, and at 3.7 MBq it is small (≈ 2 % on
the Inveon); the count-rate stage is where dead time is studied.

``fast``: span 21 and the activity voxelised on the reconstruction grid; otherwise span 9
and a grid twice as fine (so that the simulation is not the reconstruction's own model).
A design whose field of view does not hold the phantom (Ø 33.5 × 50 mm) gets a result that
says so rather than numbers.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np

from positrix.geometry.scanner import ScannerGeometry
from positrix.geometry.sinogram import SinogramLayout
from positrix.image import Image
from positrix.image.frames import FrameTable
from positrix.quant.nema.iq import RC_Z_MM, nema_iq
from positrix.quant.nema.locate import INSERT_Z_MM, PhantomPose
from positrix.recon.corrections.crystal_pairs import crystal_pair_sinogram, fit_crystal_factors
from positrix.recon.reconstruct import default_grid
from positrix.recon.study import ReconOptions, reconstruct_sinogram
from positrix.simulation.phantoms import nema_iq_phantom
from positrix.simulation.scan import simulate_scan

__all__ = ["IQ_ACTIVITY_BQ", "IQ_DURATION_S", "PHANTOM_RADIUS_MM", "simulated_image_quality"]

#: NU 4 §6: activity at the scan start (Bq) and scan length (s).
IQ_ACTIVITY_BQ = 3.7e6
IQ_DURATION_S = 1200.0
#: Outer radius and half length of the phantom body (mm).
PHANTOM_RADIUS_MM = 16.75
PHANTOM_HALF_LENGTH_MM = 25.0
#: Half width of the slices shown in the report (mm).
_VIEW_MM = 18.0


def _fits(scanner: ScannerGeometry) -> str | None:
    """Why the phantom does not fit the field of view, or None when it does."""
    shape, voxel = default_grid(scanner)
    reach = min(float(np.abs(SinogramLayout(scanner).radial_mm()).max()), shape[0] * voxel[0] / 2.0)
    if reach < PHANTOM_RADIUS_MM:
        return (
            f"the IQ phantom (Ø {2 * PHANTOM_RADIUS_MM:.1f} mm) is wider than the field of "
            f"view (Ø {2 * reach:.1f} mm, radially or the image grid)"
        )
    if scanner.axial_fov_mm < 2 * PHANTOM_HALF_LENGTH_MM:
        return (
            f"the IQ phantom ({2 * PHANTOM_HALF_LENGTH_MM:.0f} mm long) is longer than the "
            f"axial field of view ({scanner.axial_fov_mm:.1f} mm)"
        )
    return None


def _slab(image: Image, pose: PhantomPose, z_range: tuple[float, float]) -> list[list[float]]:
    """Mean transverse slice over ``z_range`` (phantom frame, mm), ``±_VIEW_MM`` around the
    phantom axis, as nested lists (image unit)."""
    inverse = np.linalg.inv(image.affine)
    data = np.asarray(image.data, dtype=np.float64)
    if data.ndim == 4:
        data = data[..., 0]

    def index(z: float) -> np.ndarray:
        world = np.asarray(pose.centre_mm) + pose.rotation @ np.array([0.0, 0.0, z])
        return (inverse @ np.append(world, 1.0))[:3]

    lo, hi = sorted((index(z_range[0])[2], index(z_range[1])[2]))
    k0, k1 = max(int(np.ceil(lo)), 0), min(int(np.floor(hi)), data.shape[2] - 1)
    centre = index(0.5 * (z_range[0] + z_range[1]))
    half = round(_VIEW_MM / abs(image.affine[0, 0]))
    i, j = (round(float(c)) for c in centre[:2])
    window = data[
        max(i - half, 0) : i + half + 1, max(j - half, 0) : j + half + 1, k0 : max(k1, k0) + 1
    ]
    return window.mean(axis=2).tolist()


def simulated_image_quality(
    scanner: ScannerGeometry, *, fast: bool = False, seed: int = 0
) -> dict[str, Any]:
    """Simulate, reconstruct and analyse the NU 4 image-quality phantom on ``scanner``.

    Returns
    -------
    dict
        ``measured`` (bool); when false, ``reason``.  Otherwise the NU 4 figures
        (``uniformity_pct_std`` %, ``uniform_mean_ratio`` = uniform mean / true
        concentration, ``rc``, ``rc_pct_std``, ``sor``, ``sor_pct_std`` keyed as in
        :class:`~positrix.quant.nema.iq.IQResult`), the acquisition (``activity_MBq``,
        ``duration_s``, ``prompts``), ``reconstruction``, and the mean transverse slices
        through the rods (``rods_slice``) and the cold inserts (``inserts_slice``), in
        Bq/mL, ``voxel_mm`` apart.
    """
    reason = _fits(scanner)
    if reason is not None:
        return {"measured": False, "reason": reason}
    span, refine = (21, 1) if fast else (9, 2)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    scan = simulate_scan(
        nema_iq_phantom(),
        scanner,
        nuclide="F-18",
        activity_bq=IQ_ACTIVITY_BQ,
        frames=FrameTable([0.0], [IQ_DURATION_S], None),
        span=span,
        refine=refine,
        seed=seed,
    )
    sinograms = scan.acquisition[0].sinograms
    factors = fit_crystal_factors(scan.layout, sinograms.delayeds)
    options = ReconOptions(iterations=4, subsets=16, span=span)
    image = reconstruct_sinogram(
        scan.layout,
        sinograms.prompts,
        options=options,
        duration_s=IQ_DURATION_S,
        nuclide="F-18",
        acquisition_start=start,
        randoms=crystal_pair_sinogram(scan.layout, factors),
        mu_per_mm=scan.truth.mu_per_mm,
    )
    result = nema_iq(image)
    figures = result.to_dict()
    return {
        "measured": True,
        "uniformity_pct_std": result.uniformity.pct_std,
        "uniform_mean_ratio": result.uniformity.mean / scan.region_truth["uniform"][0],
        "rc": figures["rc"],
        "rc_pct_std": figures["rc_pct_std"],
        "sor": figures["sor"],
        "sor_pct_std": figures["sor_pct_std"],
        "activity_MBq": IQ_ACTIVITY_BQ / 1e6,
        "duration_s": IQ_DURATION_S,
        "prompts": float(sinograms.prompts.sum()),
        "reconstruction": image.reconstruction,
        "voxel_mm": float(abs(image.affine[0, 0])),
        "rods_slice": _slab(image, result.pose, RC_Z_MM),
        "inserts_slice": _slab(image, result.pose, INSERT_Z_MM),
    }
