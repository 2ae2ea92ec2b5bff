"""NEMA NU 4 performance of a scanner design, by simulation and the standard's analyses.

- **Sensitivity** (NU 4 §5): expected coincidences per decay of a point source on the axis,
  stepped through the axial field of view (no attenuation, every crystal pair of the scanner
  at its detection efficiency): the back-projection of the crystal-pair sinogram onto a
  column of voxels, times the scanner calibration.  ``peak_sensitivity_percent`` is the
  maximum (per positron, as NU 4 reports after the branching-ratio correction).
- **Spatial resolution** (§3): a Na-22 point source at 5 mm from the axis (and the centre),
  blurred by positron range and the detector response
  (:func:`~positrix.simulation.acquisition.default_detector_blur_mm`), projected
  noise-free, single-slice rebinned and reconstructed by 2-D FBP (ramp), then
  :func:`~positrix.quant.nema.resolution.point_source_resolution`.
- **Scatter fraction and NECR** (§4): the simulated mouse and rat count-rate sweeps
  (:func:`~positrix.simulation.count_rate_sweep.simulate_count_rate_sweep`) through
  :func:`~positrix.quant.nema.count_rate.analyse_count_rates`.

``fast`` uses span 21, 1.6 mm voxels and 12 activities instead of span 9, 1 mm and 20.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from positrix.geometry.scanner import ScannerGeometry
from positrix.geometry.sinogram import SinogramLayout, lor_angle_offset, ssrb
from positrix.image import Image
from positrix.physics.nuclides import get_nuclide
from positrix.quant.nema.count_rate import (
    PHANTOMS_NU4,
    CountRateResult,
    analyse_count_rates,
    profile_counts,
)
from positrix.quant.nema.resolution import SourceResolution, fwhm_fwtm, point_source_resolution
from positrix.recon.calibration import nominal_calibration
from positrix.recon.corrections.crystal_pairs import crystal_pair_sinogram
from positrix.recon.fbp import fbp2d
from positrix.recon.operators import resolution_model
from positrix.recon.reconstruct import grid_affine
from positrix.recon.sinogram_projector import SinogramProjector
from positrix.simulation.acquisition import default_detector_blur_mm
from positrix.simulation.count_rate_sweep import simulate_count_rate_sweep
from positrix.simulation.detector_transport import ring_events
from positrix.simulation.photon_mc import nu4_coincidences, ssrb_histogram

__all__ = [
    "RingResolution",
    "ScannerPerformance",
    "axial_sensitivity",
    "mc_scatter_fraction",
    "nu4_count_rates",
    "point_resolution",
    "ring_resolution",
    "scanner_performance",
]

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class ScannerPerformance:
    """The NU 4 figures of one scanner (module docstring)."""

    scanner: str
    sensitivity_z_mm: NDArray[np.float64]
    sensitivity_percent: NDArray[np.float64]
    resolution_5mm: SourceResolution
    mouse: CountRateResult
    rat: CountRateResult
    fast: bool

    @property
    def peak_sensitivity_percent(self) -> float:
        """Peak absolute sensitivity on the axis (%)."""
        return float(self.sensitivity_percent.max())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (the keys other tools read) and the curves."""
        r = self.resolution_5mm
        return {
            "scanner": self.scanner,
            "fast": self.fast,
            "peak_sensitivity_percent": self.peak_sensitivity_percent,
            "scatter_fraction_mouse": self.mouse.scatter_fraction,
            "scatter_fraction_rat": self.rat.scatter_fraction,
            "peak_necr_mouse_kcps": self.mouse.peak_necr_kcps,
            "peak_necr_mouse_activity_MBq": self.mouse.peak_necr_activity_mbq,
            "peak_necr_rat_kcps": self.rat.peak_necr_kcps,
            "peak_necr_rat_activity_MBq": self.rat.peak_necr_activity_mbq,
            "resolution_5mm_radial_mm": r.fwhm_radial_mm,
            "resolution_5mm_tangential_mm": r.fwhm_tangential_mm,
            "resolution_5mm_axial_mm": r.fwhm_axial_mm,
            "sensitivity_profile": {
                "z_mm": self.sensitivity_z_mm.tolist(),
                "percent": self.sensitivity_percent.tolist(),
            },
            "count_rates": {"mouse": self.mouse.to_dict(), "rat": self.rat.to_dict()},
        }


def axial_sensitivity(
    scanner: ScannerGeometry, *, span: int = 3
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Absolute sensitivity (%) of a point on the axis at each half ring pitch:
    ``(z_mm, percent)``, each ``(2·n_rings − 1,)``.

    Lines of response are lines: a mathematical point exactly on the axis lies on one line
    of every view and would be over-counted (by ≈ 16 % on the Inveon), a point beside it
    under-counted.  The source is therefore a Gaussian spot of one crystal pitch FWHM
    (transaxially) — what a crystal's finite width makes of a real point — and the result no
    longer depends on where the point sits between the lines.
    """
    layout = SinogramLayout(scanner, span=span)
    v = scanner.transaxial_pitch_mm / 4.0
    vz = scanner.axial_pitch_mm / 2.0
    n = 9
    shape = (n, n, 2 * scanner.n_rings - 1)
    pairs = crystal_pair_sinogram(layout, scanner.detector_mask())
    image = SinogramProjector(layout, shape, (v, v, vz)).adjoint(pairs).astype(np.float64)
    x = (np.arange(n) - (n - 1) / 2.0) * v
    sigma = scanner.transaxial_pitch_mm / np.sqrt(8.0 * np.log(2.0))
    spot = np.exp(-(x[:, None] ** 2 + x[None, :] ** 2) / (2.0 * sigma**2))
    spot /= spot.sum()
    # 1 Bq spread over the spot in one plane: concentration spot · 1000 / (v² vz) Bq/mL
    lines = np.einsum("xy,xyz->z", spot, image) * 1000.0 / (v * v * vz)
    z = (np.arange(shape[2], dtype=np.float64) - (shape[2] - 1) / 2.0) * float(vz)
    return z, 100.0 * nominal_calibration(scanner) * lines


def point_resolution(
    scanner: ScannerGeometry,
    *,
    offset_mm: float = 5.0,
    span: int = 3,
    nuclide: str = "Na-22",
    max_ring_difference: int | None = None,
) -> SourceResolution:
    """NU 4 FWHM/FWTM of a simulated point source ``offset_mm`` from the axis at the axial
    centre (module docstring)."""
    layout = SinogramLayout(
        scanner,
        span=span,
        max_ring_difference=-1 if max_ring_difference is None else max_ring_difference,
    )
    v = scanner.transaxial_pitch_mm / 4.0
    vz = scanner.axial_pitch_mm / 2.0
    half = int(np.ceil((abs(offset_mm) + 8.0) / v))
    planes_each_side = min(int(np.ceil(8.0 / vz)), scanner.n_rings - 1)
    shape = (2 * half + 1, 2 * half + 1, 2 * planes_each_side + 1)
    point = np.zeros(shape, np.float32)
    point[half + round(offset_mm / v), half, shape[2] // 2] = 1.0
    blur = resolution_model(
        shape,
        (v, v, vz),
        psf_fwhm_mm=default_detector_blur_mm(layout),
        positron_range_mm=get_nuclide(nuclide).mean_positron_range_mm,
    )
    activity = blur.apply(point) if blur is not None else point
    pairs = crystal_pair_sinogram(layout, scanner.detector_mask())
    lines = SinogramProjector(layout, shape, (v, v, vz)).apply(activity) * pairs
    planes = ssrb(layout, lines, average=True)
    centre = scanner.n_rings - 1
    keep = planes[centre - shape[2] // 2 : centre + shape[2] // 2 + 1]
    fov = (2 * half + 1, 2 * half + 1)
    image = fbp2d(
        keep, layout.radial_mm(), layout.view_angles_rad(), shape=fov, voxel_size_mm=(v, v)
    )
    affine = grid_affine((*fov, keep.shape[0]), (v, v, vz))
    result = point_source_resolution(Image(image, affine, unit="a.u."), n_sources=1)
    return result.sources[0]


@dataclass(frozen=True)
class RingResolution:
    """FWHM (mm) of a point in one ring by photon transport and FBP, and where it appears."""

    radial_mm: float
    tangential_mm: float
    peak_x_mm: float
    events: int


def ring_resolution(
    scanner: ScannerGeometry,
    *,
    offset_mm: float = 25.0,
    doi_layers: int | None = None,
    n_decays: int = 1_000_000,
    seed: int = 0,
) -> RingResolution:
    """Radial and tangential FWHM of a point ``offset_mm`` from the axis (on x) in one ring:
    photons followed into the blocks
    (:func:`~positrix.simulation.detector_transport.ring_events`, the crystal and DOI layer
    where they stop), each event's LOR between its crystals at its layers' depths, histogrammed
    at the scanner's own sampling (``crystals/2`` views, half a pitch radially) and
    reconstructed by 2-D FBP (ramp).  Parallax — photons that penetrate into a neighbouring
    crystal — widens the radial profile off the axis; DOI layers narrow it.
    """
    events = ring_events(scanner, (offset_mm, 0.0), n_decays, doi_layers=doi_layers, seed=seed)
    phi, s = lor_angle_offset(events.start_mm, events.end_mm)
    n_views = scanner.crystals_per_ring // 2
    step = scanner.transaxial_pitch_mm / 2.0
    reach = abs(offset_mm) + 15.0
    edges = np.arange(-reach, reach + step / 2.0, step)
    sinogram, _, _ = np.histogram2d(
        phi, s, bins=[n_views, edges.size - 1], range=[[0.0, np.pi], [edges[0], edges[-1]]]
    )
    angles = (np.arange(n_views) + 0.5) * np.pi / n_views
    v = scanner.transaxial_pitch_mm / 8.0
    n = 2 * int(np.ceil((abs(offset_mm) + 5.0) / v))
    image = fbp2d(
        sinogram[None].astype(np.float32),
        0.5 * (edges[1:] + edges[:-1]),
        angles,
        shape=(n, n),
        voxel_size_mm=(v, v),
    )[..., 0]
    i, j = np.unravel_index(int(np.argmax(image)), image.shape)
    radial, _ = fwhm_fwtm(image[:, j], v)
    tangential, _ = fwhm_fwtm(image[i, :], v)
    return RingResolution(radial, tangential, float((i - (n - 1) / 2.0) * v), events.crystal_1.size)


def nu4_count_rates(
    scanner: ScannerGeometry,
    phantom: str,
    *,
    fast: bool = False,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> CountRateResult:
    """The simulated NU 4 sweep of ``phantom`` analysed by the NU 4 procedure (module
    docstring; ``fast``: span 21, 1.6 mm voxels, 12 acquisitions)."""
    span, voxel, n = (21, 1.6, 12) if fast else (9, 1.0, 20)
    sweep = simulate_count_rate_sweep(
        scanner,
        phantom=phantom,
        n_acquisitions=n,
        span=span,
        voxel_mm=voxel,
        seed=seed,
        progress=progress,
    )
    return analyse_count_rates(
        sweep.prompts,
        radial_mm=sweep.radial_mm,
        plane_z_mm=sweep.plane_z_mm,
        duration_s=sweep.duration_s,
        start_activity_mbq=sweep.start_activity_mbq,
        delayeds=sweep.delayeds,
        phantom=phantom,
        nuclide=sweep.nuclide,
    )


def mc_scatter_fraction(
    scanner: ScannerGeometry, phantom: str = "mouse", *, n_decays: int = 1_000_000, seed: int = 0
) -> tuple[float, float]:
    """Scatter fraction of the NU 4 phantom alone by photon Monte Carlo
    (:mod:`positrix.simulation.photon_mc`): ``(NU 4 scatter fraction, true share of
    scattered coincidences)``, the first by the standard's analysis
    (:func:`~positrix.quant.nema.count_rate.profile_counts`) of the coincidences whose
    midpoints lie in the planes it reads (8 mm inside the phantom's ends), single-slice
    rebinned into one sinogram; the second counted within the same 8 mm mask.  An
    independent check of the analytic scatter model behind :func:`nu4_count_rates`."""
    events = nu4_coincidences(scanner, phantom, n_decays=n_decays, seed=seed)  # checks the name
    diameter, length, _ = PHANTOMS_NU4[phantom]
    middle = 0.5 * (events.start_mm[:, 2] + events.end_mm[:, 2])
    planes = events.where(np.abs(middle) <= length / 2.0 - 8.0)
    counts, radial = ssrb_histogram(scanner, planes)
    trues, rest = profile_counts(counts, radial, phantom_diameter_mm=diameter)
    _, offset = lor_angle_offset(planes.start_mm, planes.end_mm)
    masked = np.abs(offset) <= diameter / 2.0 + 8.0
    return rest / (trues + rest), float(planes.scattered[masked].mean())


def scanner_performance(
    scanner: ScannerGeometry, *, fast: bool = False, seed: int = 0, progress: Progress | None = None
) -> ScannerPerformance:
    """Simulate and analyse the NU 4 figures of ``scanner`` (module docstring)."""
    span = 21 if fast else 3
    z, percent = axial_sensitivity(scanner, span=span)
    resolution = point_resolution(
        scanner,
        span=span,
        max_ring_difference=scanner.n_rings // 4 if fast else None,
    )
    results = {}
    for phantom in ("mouse", "rat"):

        def step(done: int, total: int, name: str = phantom) -> None:
            if progress is not None:
                progress(f"count rates, {name} phantom", done, total)

        results[phantom] = nu4_count_rates(scanner, phantom, fast=fast, seed=seed, progress=step)
    return ScannerPerformance(
        scanner.name, z, percent, resolution, results["mouse"], results["rat"], fast
    )
