"""NEMA NU 4 count-rate acquisitions by simulation: a line source decaying through a scanner.

The sweep follows the counting model exactly where it is linear and samples only the noise:

1. The NU 4 scatter phantom (:func:`~positrix.simulation.phantoms.nu4_scatter_phantom`) is
   voxelised (activity blurred by the scanner's detector resolution) and projected once at
   1 MBq: expected trues (attenuation) and scatter (single-scatter simulation × 1.2) per
   sinogram bin per second (:func:`~positrix.simulation.sinogram.simulate_sinograms`).
2. Singles per crystal at 1 MBq from the line source sampled every 0.5 mm over its whole
   active length, inside the axial field of view or not
   (:func:`~positrix.simulation.singles.crystal_singles`).
3. Each acquisition ``j`` (start activity ``A_j``, duration ``T_j``, mean activity
   ``Ā_j = A_j·D̄_j``): singles ``Ā_j·s``, live fractions ``L`` per crystal (block dead time,
   pile-up), multiples survival ``m``; expected trues and scatter ``Ā_j·T_j·(unit)·
   Σ L_a L_b / Σ 1 · m`` per bin (the sum over the bin's crystal pairs), randoms
   ``2τ·(S_a L_a)(S_b L_b)·T_j·m``.
4. Single-slice rebinning (counts summed), then Poisson prompts (trues + scatter + randoms)
   and delayeds (randoms): a sum of Poisson counts is Poisson, so sampling after rebinning is
   exact and costs a 2-D sinogram per plane.

Activity outside the image grid (the part of the rat line beyond the axial field of view)
adds singles and randoms but no trues; its scatter into the field of view is left out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from positrix.errors import PositrixError
from positrix.geometry.scanner import ScannerGeometry
from positrix.geometry.sinogram import SinogramLayout, ssrb, ssrb_plane_z_mm
from positrix.physics.decay import frame_decay_correction
from positrix.recon.calibration import nominal_calibration
from positrix.recon.corrections.crystal_pairs import crystal_pair_sinogram
from positrix.recon.corrections.randoms import randoms_from_singles
from positrix.recon.operators import GaussianBlur
from positrix.recon.reconstruct import grid_affine
from positrix.simulation.acquisition import default_detector_blur_mm
from positrix.simulation.phantoms import NU4_SCATTER_PHANTOMS, nu4_scatter_phantom
from positrix.simulation.singles import crystal_singles, live_fractions, multiples_survival
from positrix.simulation.sinogram import simulate_sinograms
from positrix.simulation.voxelise import MATERIALS

__all__ = ["SimulatedSweep", "default_activities_mbq", "simulate_count_rate_sweep"]

Progress = Callable[[int, int], None]
_UNIT_BQ = 1.0e6


@dataclass(frozen=True)
class SimulatedSweep:
    """Rebinned sinograms of a simulated NU 4 count-rate sweep and their expected content.

    Attributes
    ----------
    scanner, phantom, nuclide
        What was simulated.
    start_activity_mbq, duration_s
        Each acquisition's start activity (MBq) and length (s), ``(J,)``.
    prompts, delayeds
        Single-slice-rebinned sinograms per acquisition, ``(2·n_rings − 1, views, radial)``.
    radial_mm, plane_z_mm
        Radial bin positions and rebinned plane positions (mm).
    expected_trues, expected_scatter, expected_randoms
        Expected counts per acquisition over the whole sinogram, ``(J,)``.
    live_fraction
        Mean live fraction of the crystals' singles per acquisition, ``(J,)``.
    """

    scanner: ScannerGeometry
    phantom: str
    nuclide: str
    start_activity_mbq: NDArray[np.float64]
    duration_s: NDArray[np.float64]
    prompts: list[NDArray[np.float32]]
    delayeds: list[NDArray[np.float32]]
    radial_mm: NDArray[np.float64]
    plane_z_mm: NDArray[np.float64]
    expected_trues: NDArray[np.float64]
    expected_scatter: NDArray[np.float64]
    expected_randoms: NDArray[np.float64]
    live_fraction: NDArray[np.float64]


def default_activities_mbq(n: int = 20, *, low: float = 0.5, high: float = 1000.0):
    """``n`` start activities (MBq) evenly spaced in log from ``low`` to ``high``."""
    if n < 2 or not 0 < low < high:
        raise PositrixError("need ≥ 2 activities with 0 < low < high", field="activities")
    return np.geomspace(low, high, n)


def _grid(scanner: ScannerGeometry, diameter: float, voxel_mm: float):
    n_xy = int(np.ceil((diameter + 10.0) / voxel_mm / 2.0)) * 2
    shape = (n_xy, n_xy, scanner.n_rings)
    return shape, (voxel_mm, voxel_mm, float(scanner.axial_pitch_mm))


def _unit_sinograms(layout: SinogramLayout, size: str, nuclide: str, voxel_mm: float):
    """Expected trues and scatter per second at 1 MBq in the phantom, and the phantom."""
    scanner = layout.scanner
    phantom = nu4_scatter_phantom(size, _UNIT_BQ)
    shape, voxel = _grid(scanner, NU4_SCATTER_PHANTOMS[size][0], voxel_mm)
    images = phantom.voxelise(shape, grid_affine(shape, voxel), supersample=3)
    # a Ø 1.1 mm line on millimetre voxels: set its total to the exact in-grid activity
    active = NU4_SCATTER_PHANTOMS[size][3]
    inside = min(active, shape[2] * voxel[2]) / active * _UNIT_BQ
    line = images.activity_bq_ml * (inside / (images.total_activity_bq() or 1.0))
    blur = GaussianBlur(shape, voxel, default_detector_blur_mm(layout))
    activity = np.clip(blur.apply(line), 0.0, None)
    unit = simulate_sinograms(
        layout,
        activity,
        images.mu_per_mm,
        voxel,
        duration_s=1.0,
        nuclide=nuclide,
        calibration=nominal_calibration(scanner),
        scatter_scale=1.2,
    )
    per_second = float(frame_decay_correction(nuclide, 0.0, 1.0))
    return unit.trues * per_second, unit.scatter * per_second


def _unit_singles(scanner: ScannerGeometry, size: str, nuclide: str):
    diameter, length, offset, active = NU4_SCATTER_PHANTOMS[size]
    z = np.arange(-active / 2.0 + 0.25, active / 2.0, 0.5)
    points = np.column_stack([np.full(z.size, offset), np.zeros(z.size), z])
    return crystal_singles(
        scanner,
        points,
        np.full(z.size, _UNIT_BQ / z.size),
        nuclide=nuclide,
        mu_per_mm=MATERIALS["polyethylene"].mu_per_mm,
        radius_mm=diameter / 2.0,
        z_range_mm=(-length / 2.0, length / 2.0),
    )


class _Model:
    """The sweep's linear parts, computed once (module docstring, steps 1–2)."""

    def __init__(self, scanner, phantom, nuclide, span, voxel_mm, duration_s):
        self.scanner, self.duration_s = scanner, duration_s
        self.layout = SinogramLayout(scanner, span=span)
        self.trues, self.scatter = _unit_sinograms(self.layout, phantom, nuclide, voxel_mm)
        self.singles = _unit_singles(scanner, phantom, nuclide)
        self.pairs = crystal_pair_sinogram(self.layout, scanner.detector_mask())
        self.mean_decay = 1.0 / float(frame_decay_correction(nuclide, 0.0, duration_s))

    def expected(self, start_mbq: float):
        """Rebinned expected trues, scatter and randoms (counts) and the mean live fraction
        of an acquisition starting at ``start_mbq`` (step 3)."""
        mean_mbq = float(start_mbq) * self.mean_decay
        singles = self.singles * mean_mbq
        live = live_fractions(self.scanner, singles)
        survive = multiples_survival(self.scanner, singles * live)
        factor = np.divide(
            crystal_pair_sinogram(self.layout, live),
            self.pairs,
            out=np.zeros_like(self.pairs),
            where=self.pairs > 0,
        )
        scale = mean_mbq * self.duration_s * survive
        trues = ssrb(self.layout, self.trues * factor * scale, average=False)
        scatter = ssrb(self.layout, self.scatter * factor * scale, average=False)
        randoms = randoms_from_singles(self.layout, singles * live, duration_s=self.duration_s)
        randoms = ssrb(self.layout, survive * randoms, average=False)
        return trues, scatter, randoms, float(np.mean(live))


def _peak_activity(model: _Model, activities: NDArray, phantom: str) -> float:
    """Start activity (MBq) of the highest noise-free NECR ``T²/(T + S + R)`` among
    ``activities``, counted where the NU 4 analysis counts: bins within 8 mm of the
    phantom, planes 8 mm inside its ends."""
    diameter, length, _, _ = NU4_SCATTER_PHANTOMS[phantom]
    radial = np.abs(model.layout.radial_mm()) <= diameter / 2.0 + 8.0
    planes = np.abs(ssrb_plane_z_mm(model.scanner)) <= length / 2.0 - 8.0
    necr = []
    for start in activities:
        t, s, r = (v[planes][:, :, radial].sum(dtype=np.float64) for v in model.expected(start)[:3])
        necr.append(t * t / (t + s + r))
    return float(activities[int(np.argmax(necr))])


def _automatic(model: _Model, n: int, phantom: str) -> NDArray[np.float64]:
    """``n`` activities: a coarse noise-free pass finds the NECR peak; a third of the
    acquisitions go from 0.5 MBq to a fifth of it (scatter fraction), the rest from a
    third of it to three times it."""
    coarse = default_activities_mbq(8, low=0.5, high=2000.0)
    peak = _peak_activity(model, coarse, phantom)
    low = max(n // 3, 1)
    return np.concatenate(
        [np.geomspace(0.5, peak / 5.0, low), np.geomspace(peak / 3.0, peak * 3.0, n - low)]
    )


def simulate_count_rate_sweep(
    scanner: ScannerGeometry,
    *,
    phantom: str = "mouse",
    activities_mbq: ArrayLike | None = None,
    n_acquisitions: int = 20,
    duration_s: float = 60.0,
    nuclide: str = "F-18",
    span: int = 9,
    voxel_mm: float = 1.0,
    seed: int = 0,
    progress: Progress | None = None,
) -> SimulatedSweep:
    """Simulate the NU 4 count-rate sweep (module docstring).

    Parameters
    ----------
    scanner
        The scanner, with its dead time, pile-up and coincidence window.
    phantom
        ``mouse`` or ``rat``.
    activities_mbq
        Start activity of each acquisition (MBq); by default ``n_acquisitions`` chosen
        around the NECR peak, found by a coarse noise-free pass first.
    n_acquisitions
        Acquisitions of the automatic choice.
    duration_s
        Length of every acquisition (s).
    nuclide
        The line source's nuclide.
    span, voxel_mm
        Axial compression of the simulated sinograms and the transaxial voxel (mm): coarser
        is faster; the rebinned totals barely change.
    seed
        Seed of the Poisson noise.
    progress
        Called with ``(steps done, steps)``.
    """
    if phantom not in NU4_SCATTER_PHANTOMS:
        raise PositrixError(
            f"unknown NU 4 phantom '{phantom}'", field="--phantom", fix="mouse or rat"
        )
    if not duration_s > 0 or n_acquisitions < 3:
        raise PositrixError(
            "the duration must be > 0 s and the sweep needs ≥ 3 acquisitions",
            field="duration_s",
        )
    given = None if activities_mbq is None else np.asarray(activities_mbq, float).reshape(-1)
    if given is not None and (given.size == 0 or np.any(given <= 0)):
        raise PositrixError("activities must be > 0 MBq", field="activities_mbq")
    steps = (n_acquisitions if given is None else given.size) + 2
    model = _Model(scanner, phantom, nuclide, span, voxel_mm, duration_s)
    if progress is not None:
        progress(1, steps)
    activities = _automatic(model, n_acquisitions, phantom) if given is None else given
    if progress is not None:
        progress(2, steps)
    rng = np.random.default_rng(seed)
    out: dict[str, list] = {k: [] for k in ("p", "d", "t", "s", "r", "live")}
    for j, start in enumerate(activities):
        trues, scatter, randoms, live = model.expected(start)
        out["p"].append(rng.poisson(trues + scatter + randoms).astype(np.float32))
        out["d"].append(rng.poisson(randoms).astype(np.float32))
        for key, values in (("t", trues), ("s", scatter), ("r", randoms)):
            out[key].append(float(values.sum(dtype=np.float64)))
        out["live"].append(live)
        if progress is not None:
            progress(j + 3, steps)
    return SimulatedSweep(
        scanner,
        phantom,
        nuclide,
        activities,
        np.full(activities.size, float(duration_s)),
        out["p"],
        out["d"],
        model.layout.radial_mm(),
        ssrb_plane_z_mm(scanner),
        np.array(out["t"]),
        np.array(out["s"]),
        np.array(out["r"]),
        np.array(out["live"]),
    )
