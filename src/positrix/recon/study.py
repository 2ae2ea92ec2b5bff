"""One acquisition from list-mode events to a calibrated (dynamic) image in Bq/mL.

For each frame: select the events in its time window; randoms from the delayed events
(variance-reduced crystal factors); attenuation from the µ-map; scatter by single-scatter
simulation from a first reconstruction, tail-fitted, then the final reconstruction (sinogram
OSEM/MLEM/MAP-RDP/FBP or list-mode OSEM); calibration, positron fraction and decay
correction to the acquisition start; optional post-filter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from positrix.errors import PositrixError
from positrix.geometry.scanner import ScannerGeometry
from positrix.geometry.sinogram import SinogramLayout, histogram_events
from positrix.image.frames import FrameTable
from positrix.image.image import Image
from positrix.io.events import ListModeEvents
from positrix.physics.injection import Injection
from positrix.physics.nuclides import get_nuclide
from positrix.physics.tof import SPEED_OF_LIGHT_MM_PER_PS
from positrix.progress import Progress
from positrix.recon.calibration import nominal_calibration, to_concentration
from positrix.recon.corrections.attenuation import attenuation_factors
from positrix.recon.corrections.crystal_pairs import crystal_pair_sinogram, fit_crystal_factors
from positrix.recon.corrections.normalisation import Normalisation
from positrix.recon.corrections.scatter import estimate_scatter
from positrix.recon.listmode import listmode_osem, listmode_sensitivity
from positrix.recon.reconstruct import (
    ALGORITHMS,
    SystemModel,
    default_grid,
    grid_affine,
    reconstruct,
)

__all__ = ["ReconOptions", "reconstruct_events", "reconstruct_sinogram"]

Log = Callable[[str], None]


@dataclass(frozen=True)
class ReconOptions:
    """Reconstruction settings (see ``positrix recon --help``)."""

    algorithm: str = "osem"
    iterations: int = 3
    subsets: int = 8
    span: int = 3
    psf_fwhm_mm: float | None = None
    positron_range: bool = False
    post_filter_fwhm_mm: float | None = None
    beta: float = 0.5
    frames: str | None = None
    calibration: float | None = None
    scatter: bool = True


class _Progress:
    """Reconstruction callback: one :class:`~positrix.progress.Progress` step per subset."""

    def __init__(self, total: int, label: str, log: Log | None) -> None:
        self.step = Progress(total, label=label, log=log)

    def __call__(self, iteration: int, subset: int, image: NDArray[np.float32]) -> None:
        self.step(f"iteration {iteration + 1} subset {subset + 1}")


def reconstruct_events(
    events: ListModeEvents,
    scanner: ScannerGeometry,
    *,
    options: ReconOptions,
    mu_per_mm: NDArray[np.float32] | None = None,
    normalisation: Normalisation | None = None,
    log: Log | None = None,
) -> Image:
    """Reconstruct every frame of ``events`` (see the module docstring) into an Image."""
    algorithm = options.algorithm
    if algorithm not in (*ALGORITHMS, "lm-osem"):
        raise PositrixError(
            f"unknown algorithm '{algorithm}'",
            field="--algorithm",
            fix="use osem, lm-osem, mlem, map-rdp or fbp",
        )
    layout = SinogramLayout(scanner, span=options.span)
    shape, voxel = default_grid(scanner)
    norm = normalisation or Normalisation.uniform(layout)
    frames = (
        FrameTable.from_spec(options.frames, acquisition_start=events.acquisition_start)
        if options.frames
        else FrameTable([0.0], [events.duration_s], events.acquisition_start)
    )
    if float(frames.end_s[-1]) > events.duration_s + 1e-6:
        raise PositrixError(
            f"the frames last {float(frames.end_s[-1]):g} s, the acquisition "
            f"{events.duration_s:g} s",
            field="--frames",
            fix="shorten the frame list",
        )
    calibration = options.calibration or nominal_calibration(scanner)
    efficiency = norm.factors(layout)
    attenuation = (
        attenuation_factors(layout, mu_per_mm, voxel, image_shape=shape)
        if mu_per_mm is not None
        else None
    )
    model = SystemModel(
        layout,
        shape,
        voxel,
        efficiency=efficiency,
        attenuation=attenuation,
        blur_fwhm_mm=options.psf_fwhm_mm,
        positron_range_mm=_positron_range(options, events.nuclide),
    )
    sensitivity = None
    if algorithm == "lm-osem":
        sensitivity = listmode_sensitivity(
            scanner,
            shape,
            voxel,
            efficiencies=norm.efficiencies,
            mu_per_mm=mu_per_mm,
            radial=norm.radial,
            n_radial=layout.n_radial,
            subsets=options.subsets,
        )
    images = []
    for index in range(frames.n_frames):
        start, duration = float(frames.start_s[index]), float(frames.duration_s[index])
        window = (events.time_s >= start) & (events.time_s < start + duration)
        if index == frames.n_frames - 1:
            window |= events.time_s == start + duration
        frame = events.select(window)
        label = f"frame {index + 1}/{frames.n_frames}"
        x = _frame(frame, layout, model, options, mu_per_mm, sensitivity, norm, label, log)
        if options.post_filter_fwhm_mm:
            sigma = options.post_filter_fwhm_mm / np.sqrt(8 * np.log(2)) / np.asarray(voxel)
            x = ndimage.gaussian_filter(x, sigma)
        images.append(
            to_concentration(
                x,
                calibration=calibration,
                duration_s=duration,
                nuclide=events.nuclide,
                frame_start_s=start,
                reference_s=0.0,
            )
        )
    data = images[0] if len(images) == 1 else np.stack(images, axis=-1)
    affine = grid_affine(shape, voxel)
    describe = f"{algorithm.upper()} {options.iterations}i{options.subsets}s span {options.span}"
    if options.psf_fwhm_mm:
        describe += f", PSF {options.psf_fwhm_mm:g} mm"
    if options.positron_range:
        describe += ", positron range"
    return Image(
        data,
        affine,
        unit="Bq/mL",
        frames=frames,
        decay_reference=events.acquisition_start,
        scanner=scanner.name,
        reconstruction=describe,
        description=f"{events.nuclide} reconstruction",
        injection=Injection(nuclide=get_nuclide(events.nuclide)),
        metadata={
            "calibration": f"{calibration:.6g}",
            "corrections": _corrections(mu_per_mm, normalisation, options),
        },
    )


def _corrections(mu, normalisation, options) -> str:
    done = ["decay", "randoms"]
    if normalisation is not None:
        done.append("normalisation")
    if mu is not None:
        done += ["attenuation"] + (["scatter"] if options.scatter else [])
    return ",".join(done)


def _frame(events, layout, model, options, mu, sensitivity, norm, label, log):
    prompts_only = events.select(events.prompt)
    delayed = events.select(~events.prompt)
    pairs = (
        prompts_only.ring_1,
        prompts_only.crystal_1,
        prompts_only.ring_2,
        prompts_only.crystal_2,
    )
    prompts = histogram_events(layout, *pairs)
    if float(prompts.sum()) <= 0:
        raise PositrixError(
            f"{label} has no prompt events in the field of view",
            field="--frames",
            fix="check the frame times and the event file",
        )
    crystal_randoms = None
    randoms = None
    if len(delayed):
        delayed_sino = histogram_events(
            layout, delayed.ring_1, delayed.crystal_1, delayed.ring_2, delayed.crystal_2
        )
        if float(delayed_sino.sum()) > 0:
            crystal_randoms = fit_crystal_factors(layout, delayed_sino)
            randoms = crystal_pair_sinogram(layout, crystal_randoms)
    scatter = _scatter(prompts, randoms, model, options, mu, label, log)
    if options.algorithm != "lm-osem":
        return _sinogram_recon(model, prompts, randoms, scatter, options, label, log)
    total = options.iterations * options.subsets
    progress = _Progress(total, label, log)
    additive = np.zeros(len(prompts_only), np.float32)
    if crystal_randoms is not None:
        additive += crystal_randoms[pairs[0], pairs[1]] * crystal_randoms[pairs[2], pairs[3]]
    if scatter is not None:
        # scatter per unit efficiency of the bin, times the event's own ε_a ε_b g
        flat = layout.bin_index(*pairs)
        inside = flat >= 0
        bins = norm.factors(layout).ravel()
        per_unit = np.divide(
            scatter.ravel(), bins, out=np.zeros(bins.size, np.float32), where=bins > 0
        )
        eff = norm.efficiencies
        own = eff[pairs[0], pairs[1]] * eff[pairs[2], pairs[3]]
        radial_bin = flat % layout.n_radial
        additive[inside] += per_unit[flat[inside]] * own[inside] * norm.radial[radial_bin[inside]]
    tof = prompts_only.tof_bin if layout.scanner.tof_bins > 1 else None
    if tof is not None:
        # randoms (and, as an approximation, scatter) spread evenly over the positions the
        # coincidence window allows: each TOF bin holds its share of the LOR's additive
        scanner = layout.scanner
        share = (SPEED_OF_LIGHT_MM_PER_PS * scanner.tof_bin_ps / 2.0) / (
            SPEED_OF_LIGHT_MM_PER_PS * scanner.coincidence_window_ns * 1000.0 / 2.0
        )
        additive *= min(1.0, share)
    return listmode_osem(
        layout.scanner,
        *pairs,
        shape=model.shape,
        voxel_size_mm=model.voxel_size_mm,
        sensitivity=sensitivity,
        efficiencies=norm.efficiencies,
        mu_per_mm=mu,
        additive=additive,
        radial=norm.radial,
        blur_fwhm_mm=options.psf_fwhm_mm,
        positron_range_mm=model.positron_range_mm,
        n_radial=layout.n_radial,
        iterations=options.iterations,
        subsets=options.subsets,
        callback=progress,
        tof_bin=tof,
    )


def _positron_range(options: ReconOptions, nuclide: str) -> float | None:
    """The nuclide's mean positron range (mm) when the option asks for it."""
    if not options.positron_range:
        return None
    info = get_nuclide(nuclide)
    if info.mean_positron_range_mm is None:
        raise PositrixError(
            f"no mean positron range is tabulated for {info.name}",
            field="--positron-range",
            fix="leave --positron-range out",
        )
    return info.mean_positron_range_mm


def _sinogram_recon(model, prompts, randoms, scatter, options, label, log):
    """The chosen sinogram algorithm with progress lines."""
    total = options.iterations * (1 if options.algorithm == "mlem" else options.subsets)
    return reconstruct(
        model,
        prompts,
        randoms=randoms,
        scatter=scatter,
        algorithm=options.algorithm,
        iterations=options.iterations,
        subsets=options.subsets,
        beta=options.beta,
        callback=_Progress(total, label, log),
    )


def _scatter(prompts, randoms, model, options, mu, label, log):
    """Tail-fitted SSS scatter from a one-iteration reconstruction, or ``None``."""
    if mu is None or not options.scatter:
        return None
    first = reconstruct(
        model,
        prompts,
        randoms=randoms,
        iterations=1,
        subsets=options.subsets,
        callback=_Progress(options.subsets, label + " (for scatter)", log),
    )
    estimate = estimate_scatter(
        model.layout,
        first,
        mu,
        model.voxel_size_mm,
        prompts=prompts,
        efficiency=model.efficiency,
        attenuation=model.attenuation,
        randoms=randoms,
    )
    if log is not None:
        log(
            f"{label}: scatter fraction {estimate.scatter_fraction:.3f} "
            f"(tail scale {estimate.tail_scale:.3g})"
        )
    return estimate.sinogram


def reconstruct_sinogram(
    layout: SinogramLayout,
    prompts: NDArray[np.float32],
    *,
    options: ReconOptions,
    duration_s: float,
    nuclide: str,
    acquisition_start: datetime | None = None,
    randoms: NDArray[np.float32] | None = None,
    mu_per_mm: NDArray[np.float32] | None = None,
    normalisation: Normalisation | None = None,
    log: Log | None = None,
) -> Image:
    """One static frame from a prompt sinogram (e.g. an Interfile ``.hs``) to Bq/mL.

    Without ``acquisition_start`` the image is the frame-mean activity (not decay-corrected).
    """
    if options.algorithm == "lm-osem":
        raise PositrixError(
            "list-mode OSEM needs list-mode events, not a sinogram",
            field="--algorithm",
            fix="use osem, mlem, map-rdp or fbp",
        )
    if not duration_s > 0:
        raise PositrixError(
            "the frame duration must be > 0 s",
            field="--duration-s",
            fix="give --duration-s (the header has no image duration)",
        )
    shape, voxel = default_grid(layout.scanner)
    norm = normalisation or Normalisation.uniform(layout)
    attenuation = (
        attenuation_factors(layout, mu_per_mm, voxel, image_shape=shape)
        if mu_per_mm is not None
        else None
    )
    model = SystemModel(
        layout,
        shape,
        voxel,
        efficiency=norm.factors(layout),
        attenuation=attenuation,
        blur_fwhm_mm=options.psf_fwhm_mm,
        positron_range_mm=_positron_range(options, nuclide),
    )
    scatter = _scatter(prompts, randoms, model, options, mu_per_mm, "sinogram", log)
    x = _sinogram_recon(model, prompts, randoms, scatter, options, "sinogram", log)
    if options.post_filter_fwhm_mm:
        sigma = options.post_filter_fwhm_mm / np.sqrt(8 * np.log(2)) / np.asarray(voxel)
        x = ndimage.gaussian_filter(x, sigma)
    calibration = options.calibration or nominal_calibration(layout.scanner)
    reference = 0.0 if acquisition_start is not None else None
    data = to_concentration(
        x, calibration=calibration, duration_s=duration_s, nuclide=nuclide, reference_s=reference
    )
    corrections = ["randoms"] if randoms is not None else []
    if acquisition_start is not None:
        corrections.insert(0, "decay")
    if normalisation is not None:
        corrections.append("normalisation")
    if mu_per_mm is not None:
        corrections += ["attenuation"] + (["scatter"] if options.scatter else [])
    return Image(
        data,
        grid_affine(shape, voxel),
        unit="Bq/mL",
        frames=FrameTable([0.0], [duration_s], acquisition_start),
        decay_reference=acquisition_start,
        scanner=layout.scanner.name,
        reconstruction=f"{options.algorithm.upper()} {options.iterations}i"
        f"{options.subsets}s span {layout.span}",
        description=f"{nuclide} reconstruction",
        injection=Injection(nuclide=get_nuclide(nuclide)),
        metadata={"calibration": f"{calibration:.6g}", "corrections": ",".join(corrections)},
    )
