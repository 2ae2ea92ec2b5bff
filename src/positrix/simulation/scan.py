"""A whole simulated scan: phantom → truth images, CT, and sinograms or list-mode per frame.

The phantom is voxelised on a grid ``refine`` times finer than the reconstruction grid (so
the simulation is not the reconstruction's own model) and projected there; the truth is
also voxelised on the reconstruction grid, where analyses compare against it.  Times are s
after the reference time: for phantoms the scan start (``activity_bq`` is the whole phantom's
activity then, in the field of view or not); for the digital mouse the injection
(``activity_bq`` is injected) and the scan starts ``start_s`` later.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from positrix.errors import PositrixError
from positrix.geometry.scanner import ScannerGeometry
from positrix.geometry.sinogram import SinogramLayout
from positrix.image.frames import FrameTable
from positrix.recon.reconstruct import default_grid, grid_affine
from positrix.simulation.acquisition import AcquisitionFrame, simulate_acquisition
from positrix.simulation.ct import simulate_ct
from positrix.simulation.digital_mouse import MouseKinetics, digital_mouse, frame_truths
from positrix.simulation.phantoms import (
    derenzo_phantom,
    nema_iq_phantom,
    point_source,
    uniform_cylinder,
)
from positrix.simulation.voxelise import Phantom, PhantomImages

__all__ = ["PHANTOMS", "SimulatedScan", "make_phantom", "simulate_scan"]

PHANTOMS = ("nema-iq", "derenzo", "mouse-cylinder", "rat-cylinder", "point", "digital-mouse")


@dataclass(frozen=True)
class SimulatedScan:
    """A simulated scan and its truth on the reconstruction grid.

    Attributes
    ----------
    layout
        Sinogram layout of the frames (span 1 when made for list-mode).
    frames
        Frame timing (s after the reference time).
    acquisition
        Simulated sinograms per frame.
    truth
        Phantom on the reconstruction grid (activity of the first frame, µ, HU, labels).
    truth_frames
        Decay-corrected activity truth (Bq/mL at the reference time), ``(i, j, k, frames)``.
    ct_hu
        Simulated CT (HU) on the reconstruction grid.
    region_truth
        Region → truth per frame (Bq/mL), from the phantom's definition.
    """

    layout: SinogramLayout
    frames: FrameTable
    acquisition: list[AcquisitionFrame]
    truth: PhantomImages
    truth_frames: NDArray[np.float32]
    ct_hu: NDArray[np.float32]
    region_truth: dict[str, list[float]]


def make_phantom(name: str) -> Phantom:
    """The named phantom with unit concentrations (the digital mouse with none)."""
    makers: dict[str, Callable[[], Phantom]] = {
        "nema-iq": nema_iq_phantom,
        "derenzo": derenzo_phantom,
        "mouse-cylinder": lambda: uniform_cylinder(size="mouse"),
        "rat-cylinder": lambda: uniform_cylinder(size="rat"),
        "point": point_source,
        "digital-mouse": digital_mouse,
    }
    if name not in makers:
        raise PositrixError(
            f"unknown phantom '{name}'", field="PHANTOM", fix=f"use one of {', '.join(PHANTOMS)}"
        )
    return makers[name]()


def _activities(phantom, frames, activity_bq, tracer, weight_g, nuclide):
    """Region → decay-corrected truth per frame (Bq/mL)."""
    if phantom.name == "digital-mouse":
        kinetics = MouseKinetics(tracer=tracer, injected_bq=activity_bq, weight_g=weight_g)
        truths = frame_truths(kinetics, frames.start_s, frames.duration_s, nuclide=nuclide)
        return {name: [float(v) for v in values] for name, values in truths.items()}
    total = phantom.total_activity_bq()
    if not total > 0:
        raise PositrixError(f"phantom '{phantom.name}' holds no activity", field="PHANTOM")
    scale = activity_bq / total
    return {r.name: [r.activity_bq_ml * scale] * frames.n_frames for r in phantom.regions}


def simulate_scan(
    phantom: Phantom,
    scanner: ScannerGeometry,
    *,
    nuclide: str,
    activity_bq: float,
    frames: FrameTable,
    span: int = 3,
    refine: int = 2,
    tracer: str = "fdg",
    weight_g: float = 27.0,
    ct_dose_mgy: float = 100.0,
    scatter: bool = True,
    randoms: bool = True,
    dead_time_s: float | None = None,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> SimulatedScan:
    """Simulate ``phantom`` on ``scanner`` (see the module docstring)."""
    if not activity_bq > 0:
        raise PositrixError("the activity must be > 0 Bq", field="--activity")
    shape, voxel = default_grid(scanner)
    fine_shape = (shape[0] * refine, shape[1] * refine, shape[2] * refine)
    fine_voxel = (voxel[0] / refine, voxel[1] / refine, voxel[2] / refine)
    fine = phantom.region_weights(fine_shape, grid_affine(fine_shape, fine_voxel), supersample=2)
    coarse = phantom.region_weights(shape, grid_affine(shape, voxel), supersample=3)
    truth = _activities(phantom, frames, activity_bq, tracer, weight_g, nuclide)
    activity = np.stack(
        [fine.image({n: v[f] for n, v in truth.items()}) for f in range(frames.n_frames)], -1
    )
    materials = phantom.voxelise(fine_shape, grid_affine(fine_shape, fine_voxel), supersample=1)
    acquisition = simulate_acquisition(
        activity,
        materials.mu_per_mm,
        fine_voxel,
        layout=SinogramLayout(scanner, span=span),
        nuclide=nuclide,
        frame_start_s=frames.start_s,
        frame_duration_s=frames.duration_s,
        scatter_scale=1.2 if scatter else 0.0,
        randoms=randoms,
        dead_time_s=dead_time_s,
        seed=seed,
        progress=progress,
    )
    del activity
    truth_frames = np.stack(
        [coarse.image({n: v[f] for n, v in truth.items()}) for f in range(frames.n_frames)], -1
    )
    images = phantom.images(coarse)  # the truth grid's weights, not voxelised again
    images = PhantomImages(
        truth_frames[..., 0],
        images.mu_per_mm,
        images.hu,
        images.labels,
        images.label_names,
        images.affine,
    )
    ct = simulate_ct(images.hu, voxel, dose_mgy=ct_dose_mgy, seed=seed + 1000)
    return SimulatedScan(
        SinogramLayout(scanner, span=span),
        frames,
        acquisition,
        images,
        truth_frames,
        ct,
        truth,
    )
