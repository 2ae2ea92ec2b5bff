"""Reconstruction methods compared on phantoms with known truth: bias, noise, recovery, CNR.

For each phantom, ``replicates`` acquisitions are simulated (the same phantom, independent
Poisson noise; :func:`~positrix.simulation.scan.simulate_scan`) and every method
(:func:`~positrix.recon.methods.get_method`: the built-ins and installed plugins) reconstructs
each with the true attenuation and the true expected randoms + scatter as the additive term —
so the comparison is of the methods, not of the corrections.  After every iteration (or step
of the method's own parameter) the image is converted to Bq/mL and compared with the truth
on the reconstruction grid, region by region.  A post-processing method
(:class:`~positrix.recon.methods.PostProcessMethod`) processes the final image of its base
reconstruction (the same images the base method is evaluated on), one step per value of its
parameter:

- the **reference** region is the largest one holding activity (NEMA IQ: the uniform
  cylinder; Derenzo: the widest rods; mouse: the largest organ);
- **bias** (%) of a region: its mean over replicates of (region mean / truth − 1);
- **noise** (%): the standard deviation across replicates voxel by voxel, averaged over the
  reference region, over its truth (one replicate: the spatial standard deviation);
- **recovery coefficient** of every other region: its mean / truth (hot and cold regions);
- **contrast-to-noise**: |mean − reference mean| / the reference's spatial SD.

The trade-off curves plot the mean recovery of the other active regions against the noise,
one point per iteration (or parameter value), one curve per method.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from positrix.errors import PositrixError
from positrix.geometry.scanner import ScannerGeometry
from positrix.image.frames import FrameTable
from positrix.recon.calibration import nominal_calibration, to_concentration
from positrix.recon.corrections.attenuation import attenuation_factors
from positrix.recon.methods import Method, PostProcessMethod, ReconMethod, get_method
from positrix.recon.reconstruct import SystemModel, default_grid
from positrix.simulation.scan import SimulatedScan, make_phantom, simulate_scan

__all__ = ["EVALUATION_PHANTOMS", "MethodEvaluation", "evaluate_methods", "plot_trade_off"]

#: Phantom names of ``positrix evaluate`` → the simulator's phantom.
EVALUATION_PHANTOMS = {"nema-iq": "nema-iq", "derenzo": "derenzo", "mouse": "digital-mouse"}

Progress = Callable[[str], None]


@dataclass(frozen=True)
class MethodEvaluation:
    """Figures per phantom, method and iteration (module docstring).

    ``rows`` hold one dict per (phantom, method, iteration, region) with keys ``phantom``,
    ``method``, ``iteration`` (the step, from 1), ``parameter`` and ``parameter_value``
    (``iterations`` and the iteration for reconstruction methods), ``region``,
    ``truth_bq_ml``, ``bias_percent``, ``recovery``, ``cnr``; ``curves`` one per (phantom,
    method) with ``parameter``, ``parameter_value``, ``iteration``, ``noise_percent`` and
    ``mean_recovery`` lists.
    """

    rows: list[dict[str, Any]]
    curves: list[dict[str, Any]]
    replicates: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"replicates": self.replicates, "curves": self.curves, "regions": self.rows}


def _regions(scan: SimulatedScan) -> tuple[str, dict[str, NDArray[np.bool_]], dict[str, float]]:
    """Reference region, masks of the regions with a truth, and their truths (Bq/mL)."""
    labels = scan.truth.labels
    masks: dict[str, NDArray[np.bool_]] = {}
    for index, name in enumerate(scan.truth.label_names, start=1):
        if name in scan.region_truth:
            masks[name] = masks.get(name, np.zeros(labels.shape, bool)) | (labels == index)
    truth = {n: float(scan.region_truth[n][0]) for n in masks if masks[n].any()}
    active = [n for n in truth if truth[n] > 0]
    if not active:
        raise PositrixError("the phantom holds no activity", field="--phantoms")
    reference = max(active, key=lambda n: int(masks[n].sum()))
    return reference, {n: masks[n] for n in truth}, truth


def _steps(found: Method, iterations: int) -> tuple[str, list[float]]:
    """The parameter a method's curve runs over and its values."""
    if isinstance(found, PostProcessMethod):
        return found.parameter, [float(v) for v in found.values]
    return found.parameter, [float(i) for i in range(1, iterations + 1)]


def _processed(
    method: PostProcessMethod, base: NDArray[np.float32], voxel: tuple[float, float, float]
) -> list[NDArray[np.float32]]:
    """``method`` applied to ``base`` (Bq/mL) at each of its parameter values."""
    out = []
    for value in method.values:
        # a copy each time: a plugin that writes into its input cannot touch the base
        image = np.asarray(method.run(base.copy(), voxel, value), dtype=np.float32)
        if image.shape != base.shape:
            raise PositrixError(
                f"post-processing method '{method.name}' returned shape {image.shape} for an "
                f"image of {base.shape}",
                field="--method",
                fix=f"fix the plugin ({method.source})",
            )
        out.append(image)
    return out


class _Reconstructions:
    """Bq/mL images per (method, replicate), each reconstruction made once (a post-processing
    method reuses its base's)."""

    def __init__(self, methods, model, scans, iterations, voxel):
        self.methods = methods  # name → Method, bases included
        self.model, self.scans, self.iterations, self.voxel = model, scans, iterations, voxel
        self.made: dict[tuple[str, int], list[NDArray[np.float32]]] = {}

    def keep_last(self, name: str) -> None:
        """Drop all but the final image of ``name`` (all a post-processing method needs)."""
        for key in [k for k in self.made if k[0] == name]:
            self.made[key] = self.made[key][-1:]

    def images(self, name: str, replicate: int) -> list[NDArray[np.float32]]:
        """One image per step of method ``name`` on replicate ``replicate``."""
        key = (name, replicate)
        if key not in self.made:
            found = self.methods[name]
            if isinstance(found, ReconMethod):
                scan = self.scans[replicate]
                self.made[key] = _images(found, self.model, scan, self.iterations)
            else:
                base = self.images(found.base, replicate)[-1]
                self.made[key] = _processed(found, base, self.voxel)
        return self.made[key]


def _images(method: ReconMethod, model: SystemModel, scan: SimulatedScan, iterations: int):
    """Bq/mL image after each iteration of the reconstruction ``method`` on ``scan``'s first
    frame."""
    frame = scan.acquisition[0]
    additive = (frame.sinograms.randoms + frame.sinograms.scatter).astype(np.float32)
    kept: dict[int, NDArray[np.float32]] = {}

    def keep(iteration: int, subset: int, image: NDArray[np.float32]) -> None:
        kept[iteration] = image.copy()  # the last subset of each iteration stays

    method.run(model, frame.sinograms.prompts, additive, iterations=iterations, callback=keep)
    duration = float(scan.frames.duration_s[0])
    calibration = nominal_calibration(model.layout.scanner)
    return [
        to_concentration(kept[i], calibration=calibration, duration_s=duration,
                         nuclide=_NUCLIDE, frame_start_s=float(scan.frames.start_s[0]))
        for i in sorted(kept)
    ]  # fmt: skip


_NUCLIDE = "F-18"


def _figures(stack: NDArray, reference: str, masks, truth) -> dict[str, Any]:
    """Bias, recovery, CNR per region and the noise of one iteration's replicates."""
    mean_image = stack.mean(axis=0)
    ref = masks[reference]
    if stack.shape[0] > 1:
        noise = float(stack[:, ref].std(axis=0, ddof=1).mean() / truth[reference] * 100.0)
    else:
        noise = float(stack[0, ref].std() / truth[reference] * 100.0)
    spatial = float(np.mean([s[ref].std() for s in stack]))
    ref_mean = float(mean_image[ref].mean())
    regions = {}
    for name, mask in masks.items():
        value = float(mean_image[mask].mean())
        means = [float(s[mask].mean()) for s in stack]
        regions[name] = {
            "truth_bq_ml": truth[name],
            "bias_percent": (
                float(np.mean([m / truth[name] - 1 for m in means]) * 100.0)
                if truth[name] > 0
                else None
            ),
            "recovery": value / truth[reference] if truth[name] == 0 else value / truth[name],
            "cnr": abs(value - ref_mean) / spatial if spatial > 0 and name != reference else None,
        }
    return {"noise_percent": noise, "regions": regions}


def evaluate_methods(
    methods: Sequence[str],
    *,
    phantoms: Sequence[str] = ("nema-iq", "derenzo", "mouse"),
    replicates: int = 3,
    scanner: ScannerGeometry,
    iterations: int = 10,
    activity_mbq: float = 10.0,
    duration_s: float = 600.0,
    seed: int = 0,
    progress: Progress | None = None,
) -> MethodEvaluation:
    """Evaluate ``methods`` (module docstring).

    Parameters
    ----------
    methods
        Method names (built-in or plugin).
    phantoms
        Names from :data:`EVALUATION_PHANTOMS`.
    replicates
        Independent noisy acquisitions per phantom (≥ 2 for ensemble noise).
    scanner
        Scanner to simulate and reconstruct with.
    iterations
        Iterations (or steps of the method's parameter) to record.
    activity_mbq, duration_s
        Activity in the phantom (the digital mouse: injected, scanned 1 h later) and the
        acquisition time.
    seed
        First noise seed.
    progress
        Called with a line of text per reconstruction.
    """
    unknown = sorted(set(phantoms) - set(EVALUATION_PHANTOMS))
    if unknown or not phantoms:
        raise PositrixError(
            f"unknown phantom(s) {', '.join(unknown) or '(none given)'}",
            field="--phantoms",
            fix="use " + ",".join(EVALUATION_PHANTOMS),
        )
    if replicates < 1 or iterations < 1:
        raise PositrixError("need ≥ 1 replicate and ≥ 1 iteration", field="--replicates")
    # resolved once (an unknown method is refused before any simulation), bases included
    found = {name: get_method(name) for name in methods}
    for chosen in list(found.values()):
        if isinstance(chosen, PostProcessMethod) and chosen.base not in found:
            found[chosen.base] = get_method(chosen.base)
    rows: list[dict[str, Any]] = []
    curves: list[dict[str, Any]] = []
    for phantom in phantoms:
        start = 3600.0 if phantom == "mouse" else 0.0
        frames = FrameTable([start], [duration_s], None)
        scans = [
            simulate_scan(make_phantom(EVALUATION_PHANTOMS[phantom]), scanner, nuclide=_NUCLIDE,
                          activity_bq=activity_mbq * 1e6, frames=frames, seed=seed + 101 * r)
            for r in range(replicates)
        ]  # fmt: skip
        reference, masks, truth = _regions(scans[0])
        layout = scans[0].layout
        shape, voxel = default_grid(scanner)
        model = SystemModel(
            layout,
            shape,
            voxel,
            attenuation=attenuation_factors(
                layout, scans[0].truth.mu_per_mm, voxel, image_shape=shape
            ),
        )
        made = _Reconstructions(found, model, scans, iterations, voxel)
        for method in methods:
            per_replicate = []
            for r in range(replicates):
                if progress is not None:
                    progress(f"{phantom}: {method}, replicate {r + 1}/{replicates}")
                per_replicate.append(made.images(method, r))
            n_steps = min(len(images) for images in per_replicate)
            parameter, values = _steps(found[method], iterations)
            curve: dict[str, Any] = {
                "phantom": phantom,
                "method": method,
                "reference": reference,
                "parameter": parameter,
                "parameter_value": values[:n_steps],
                "iteration": [],
                "noise_percent": [],
                "mean_recovery": [],
            }
            for step in range(n_steps):
                stack = np.stack([images[step] for images in per_replicate])
                figures = _figures(stack, reference, masks, truth)
                others = [v["recovery"] for n, v in figures["regions"].items()
                          if n != reference and truth[n] > 0]  # fmt: skip
                curve["iteration"].append(step + 1)
                curve["noise_percent"].append(figures["noise_percent"])
                curve["mean_recovery"].append(float(np.mean(others)) if others else None)
                for name, region in figures["regions"].items():
                    rows.append({"phantom": phantom, "method": method, "iteration": step + 1,
                                 "parameter": parameter, "parameter_value": values[step],
                                 "region": name, **region})  # fmt: skip
            curves.append(curve)
            made.keep_last(method)
    return MethodEvaluation(rows, curves, replicates)


def plot_trade_off(result: MethodEvaluation, path: Any) -> Any:
    """Save the recovery–noise trade-off curves (one panel per phantom, one curve per method,
    one point per iteration or parameter value) as a PNG."""
    from positrix.figures import pyplot

    plt = pyplot()
    phantoms = list(dict.fromkeys(c["phantom"] for c in result.curves))
    figure, axes = plt.subplots(1, len(phantoms), figsize=(4.2 * len(phantoms), 3.6), dpi=110,
                                squeeze=False)  # fmt: skip
    for ax, phantom in zip(axes[0], phantoms, strict=True):
        for curve in (c for c in result.curves if c["phantom"] == phantom):
            label = curve["method"]
            if curve["parameter"] != "iterations":
                values = curve["parameter_value"]
                label += f" ({curve['parameter']} {values[0]:g}–{values[-1]:g})"
            ax.plot(curve["noise_percent"], curve["mean_recovery"], "-o", ms=3, label=label)
        ax.set_xlabel(f"noise in the reference region (%, {result.replicates} replicates)")
        ax.set_ylabel("mean recovery coefficient")
        ax.set_title(phantom)
        ax.legend(frameon=False, fontsize=8)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
    return path
