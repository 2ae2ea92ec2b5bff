"""Acquisition simulation: activity images (static or dynamic) → sinograms or list-mode.

Physics, in the order applied (each switchable):

1. Positron range: the activity is convolved with the nuclide's annihilation-point kernel
   (exponential range with the tabulated mean range, :func:`~positrix.recon.operators.
   positron_range_kernel`).
2. Detector blur and photon non-collinearity: a Gaussian of FWHM
   ``√((w/2)² + (0.0022·D)² + b²)`` (crystal width ``w``, detector separation ``D``,
   ``b = 1.1 mm`` for light sharing, penetration and inter-crystal scatter in pixelated
   blocks; 1.39 mm for the Inveon) unless given.
3. Trues, attenuation, crystal efficiencies, single scatter × 1.2 and Poisson noise:
   :func:`~positrix.simulation.sinogram.simulate_sinograms`, with counts
   ``k·T·β·D̄·P(activity)`` where ``k`` is the scanner calibration (by default
   :func:`~positrix.recon.calibration.nominal_calibration`, which gives the published peak
   sensitivity for the built-in scanners) and ``D̄`` the frame's mean decay.
4. Singles and randoms: every decay in the image gives two photons; a crystal's singles
   rate is ``2·β·A(t)·g·η/N`` with ``g`` the solid-angle fraction of the detector cylinder
   seen from its centre, ``η`` the scanner's detection efficiency and ``N`` crystals;
   randoms ``2τ·Sᵢ·Sⱼ·T``.
5. Dead time (optional, paralysable, per block): live fraction ``e^(−R·τ)`` from the block's
   singles rate ``R``; a coincidence needs both crystals live.

Frame activity images are decay-corrected frame means (Bq/mL at the activity's reference
time, as a scanner reports them), so the expected counts are exact for any kinetics.
List-mode events carry times drawn from the decaying rate within each frame (prompts
``e^(−λt)``, delayeds ``e^(−2λt)``); uptake changes within a frame are not resolved.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from numpy.typing import ArrayLike, NDArray

from positrix.errors import PositrixError
from positrix.geometry.sinogram import SinogramLayout
from positrix.io.events import ListModeEvents
from positrix.physics.decay import frame_decay_correction
from positrix.physics.nuclides import get_nuclide
from positrix.recon.calibration import nominal_calibration
from positrix.recon.operators import GaussianBlur, resolution_model
from positrix.simulation.singles import block_index
from positrix.simulation.sinogram import SimulatedSinograms, simulate_sinograms

__all__ = [
    "AcquisitionFrame",
    "default_detector_blur_mm",
    "events_from_frames",
    "simulate_acquisition",
    "singles_rates",
]

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class AcquisitionFrame:
    """One simulated frame: its timing (s after the activity's reference time), the
    sinograms and the live fraction of the dead-time model (1 without it)."""

    start_s: float
    duration_s: float
    sinograms: SimulatedSinograms
    mean_live_fraction: float


def default_detector_blur_mm(layout: SinogramLayout) -> float:
    """FWHM (mm) of detector blur and non-collinearity for the scanner (module docstring)."""
    scanner = layout.scanner
    separation = scanner.ring_diameter_mm + 2.0 * scanner.mean_doi_mm
    width = scanner.crystal_size_mm[0]
    return float(np.sqrt((width / 2.0) ** 2 + (0.0022 * separation) ** 2 + 1.1**2))


def singles_rates(
    layout: SinogramLayout, activity_bq: float, *, nuclide: str
) -> NDArray[np.float64]:
    """Singles rate per crystal (counts/s), ``(n_rings, crystals_per_ring)``, from the
    activity (Bq) in the field of view (module docstring, item 4)."""
    scanner = layout.scanner
    radius = scanner.ring_diameter_mm / 2.0
    half_length = scanner.axial_fov_mm / 2.0
    solid_angle = half_length / np.hypot(half_length, radius)
    beta = get_nuclide(nuclide).beta_plus_fraction
    eta = scanner.detection_efficiency
    # photons that reach an axial gap are lost: every crystal keeps the gap-free rate
    return scanner.detector_mask() * (
        2.0 * beta * activity_bq * solid_angle * eta / scanner.n_crystals
    )


def _block_live(layout: SinogramLayout, singles: NDArray[np.float64], dead_time_s: float):
    """Paralysable live fraction per crystal from its block's summed singles rate."""
    blocks = block_index(layout.scanner)
    rate = np.bincount(blocks.ravel(), weights=singles.ravel())[blocks]
    return np.exp(-rate * dead_time_s)


def _frames(
    activity: NDArray[np.float32], start_s: ArrayLike, duration_s: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    starts = np.atleast_1d(np.asarray(start_s, dtype=np.float64))
    durations = np.atleast_1d(np.asarray(duration_s, dtype=np.float64))
    if activity.ndim not in (3, 4):
        raise PositrixError("activity must be 3-D or 4-D (frames last)", field="activity")
    n = 1 if activity.ndim == 3 else activity.shape[3]
    if starts.shape != (n,) or durations.shape != (n,):
        raise PositrixError(
            f"{n} activity frame(s) but {starts.size} start(s) and {durations.size} duration(s)",
            field="frames",
            fix="give one start and one duration per activity frame",
        )
    if np.any(durations <= 0) or np.any(starts < 0):
        raise PositrixError("frame durations must be > 0 s and starts ≥ 0 s", field="frames")
    return starts, durations


def simulate_acquisition(
    activity_bq_ml: ArrayLike,
    mu_per_mm: ArrayLike,
    voxel_size_mm: ArrayLike,
    *,
    layout: SinogramLayout,
    nuclide: str,
    frame_start_s: ArrayLike = 0.0,
    frame_duration_s: ArrayLike,
    calibration: float | None = None,
    efficiencies: ArrayLike | None = None,
    positron_range: bool = True,
    detector_blur_mm: float | None = None,
    scatter_scale: float = 1.2,
    randoms: bool = True,
    dead_time_s: float | None = None,
    seed: int = 0,
    progress: Progress | None = None,
) -> list[AcquisitionFrame]:
    """Simulate a static or dynamic acquisition.

    Parameters
    ----------
    activity_bq_ml
        Decay-corrected activity concentration (Bq/mL at time 0), ``(i, j, k)`` or
        ``(i, j, k, frames)`` with one image per frame.
    mu_per_mm
        µ at 511 keV (1/mm), ``(i, j, k)``, on the same grid.
    voxel_size_mm
        Voxel size (mm) of the grid centred on the scanner axis.
    layout
        Sinogram layout (span 1 for list-mode output).
    nuclide
        Nuclide (decay, positron fraction, positron range).
    frame_start_s, frame_duration_s
        Frame starts (s after time 0) and durations (s), one per activity frame.
    calibration
        Counts/s per Bq/mL·mm; default the scanner's nominal calibration.
    efficiencies
        Crystal efficiencies ``(n_rings, crystals_per_ring)``; default all 1.
    positron_range, detector_blur_mm
        Resolution effects (module docstring); ``detector_blur_mm=0`` turns blur off.
    scatter_scale, randoms, dead_time_s
        Scatter (0: none), randoms from singles and paralysable dead time per event (s).
    seed
        Seed of the Poisson noise.
    progress
        Called with ``(frames done, frames)``.
    """
    activity = np.asarray(activity_bq_ml, dtype=np.float32)
    starts, durations = _frames(activity, frame_start_s, frame_duration_s)
    if dead_time_s is not None and not dead_time_s > 0:
        raise PositrixError("the dead time must be > 0 s", field="dead_time_s")
    frames = activity if activity.ndim == 4 else activity[..., None]
    voxel = tuple(float(v) for v in np.asarray(voxel_size_mm, dtype=np.float64).reshape(3))
    info = get_nuclide(nuclide)
    blur = _resolution(frames.shape[:3], voxel, info, positron_range, detector_blur_mm, layout)
    k = nominal_calibration(layout.scanner) if calibration is None else float(calibration)
    shape = (layout.scanner.n_rings, layout.scanner.crystals_per_ring)
    eff = layout.scanner.detector_mask()  # no crystals in the axial gaps, whatever is given
    if efficiencies is not None:
        eff = eff * np.asarray(efficiencies, dtype=np.float64)
    voxel_ml = float(np.prod(voxel)) / 1000.0
    out = []
    for f in range(frames.shape[3]):
        image = frames[..., f] if blur is None else np.clip(blur.apply(frames[..., f]), 0, None)
        decay = 1.0 / float(frame_decay_correction(info, starts[f], durations[f]))
        total_bq = float(frames[..., f].sum(dtype=np.float64)) * voxel_ml * decay
        singles = singles_rates(layout, total_bq, nuclide=nuclide)
        live = np.ones(shape)
        if dead_time_s:
            live = _block_live(layout, singles, dead_time_s)
        sinograms = simulate_sinograms(
            layout,
            image,
            mu_per_mm,
            voxel,
            duration_s=float(durations[f]),
            nuclide=nuclide,
            calibration=k,
            efficiencies=eff * live,
            singles_cps=singles * eff * live if randoms else None,
            scatter_scale=scatter_scale,
            frame_start_s=float(starts[f]),
            seed=seed + f,
        )
        out.append(
            AcquisitionFrame(float(starts[f]), float(durations[f]), sinograms, float(live.mean()))
        )
        if progress is not None:
            progress(f + 1, frames.shape[3])
    return out


def _resolution(shape, voxel, info, positron_range, detector_blur_mm, layout):
    fwhm = default_detector_blur_mm(layout) if detector_blur_mm is None else detector_blur_mm
    mean_range = info.mean_positron_range_mm if positron_range else None
    if positron_range and mean_range is None:
        raise PositrixError(
            f"{info.name} has no tabulated positron range",
            field="positron_range",
            fix="simulate with positron_range=False",
        )
    if fwhm and not mean_range:
        return GaussianBlur(shape, voxel, fwhm)
    return resolution_model(shape, voxel, psf_fwhm_mm=fwhm or None, positron_range_mm=mean_range)


def events_from_frames(
    layout: SinogramLayout,
    frames: Sequence[AcquisitionFrame],
    *,
    nuclide: str,
    acquisition_start: datetime | None = None,
    seed: int = 0,
) -> ListModeEvents:
    """List-mode events of span-1 simulated frames: one crystal pair per count, times drawn
    from the decaying rate within each frame, prompts and delayeds flagged; times are s
    after the first frame's start."""
    from positrix.simulation.events import events_from_sinograms

    if layout.span != 1:
        raise PositrixError("list-mode needs a span-1 layout", field="span", fix="use span=1")
    if not frames:
        raise PositrixError("no frames to turn into events", field="frames")
    rng = np.random.default_rng(seed)
    lam = get_nuclide(nuclide).decay_constant_per_s
    t0 = frames[0].start_s
    end = max(f.start_s + f.duration_s for f in frames) - t0
    start = acquisition_start or datetime(2026, 1, 1, tzinfo=UTC)
    parts = []
    for n, frame in enumerate(frames):
        events = events_from_sinograms(
            layout,
            frame.sinograms.prompts,
            delayeds=frame.sinograms.delayeds,
            duration_s=frame.duration_s,
            acquisition_start=start,
            nuclide=nuclide,
            seed=seed + n,
        )
        # prompts follow the decay e^(−λt), delayeds (∝ singles²) e^(−2λt)
        rate = np.where(events.prompt, lam, 2.0 * lam)
        u = rng.uniform(size=len(events))
        times = -np.log1p(-u * -np.expm1(-rate * frame.duration_s)) / rate
        parts.append((events, times + frame.start_s - t0))
    order = np.argsort(np.concatenate([t for _, t in parts]), kind="stable")

    def column(name: str) -> NDArray:
        return np.concatenate([getattr(e, name) for e, _ in parts])[order]

    return ListModeEvents(
        column("ring_1"),
        column("crystal_1"),
        column("ring_2"),
        column("crystal_2"),
        np.concatenate([t for _, t in parts])[order],
        column("prompt"),
        layout.scanner.name,
        start,
        float(end),
        nuclide,
    )
