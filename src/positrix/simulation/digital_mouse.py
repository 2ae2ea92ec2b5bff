"""A digital mouse (≈ 27 g) with organ kinetics: static uptake presets and dynamic truths.

Anatomy: ellipsoids and cylinders in the mouse frame (mm): the body axis is z with the head
at +z, x runs left–right and +y is dorsal.  Later regions replace earlier ones (skull, then
brain inside it; myocardium, then the blood pool inside it).

Kinetics: each organ follows a two-tissue compartment model (rates in 1/min) driven by a
Feng plasma input (:mod:`positrix.simulation.input_function`), with a fractional blood
volume ``vB``; the heart's blood pool is the input itself and the bladder accumulates
``K1·∫Cp``.  Curves are in SUV (g/mL) × injected activity / body weight = Bq/mL, exact.
Frame truths are *decay-corrected frame means* — what a scanner reports — computed as
``∫ C(t) e^(−λt) dt / ∫ e^(−λt) dt`` over each frame.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from positrix.errors import PositrixError
from positrix.physics.compartments import two_tissue_irf
from positrix.physics.nuclides import get_nuclide
from positrix.simulation.input_function import FengInput, compartment_curve
from positrix.simulation.shapes import Cylinder, Ellipsoid
from positrix.simulation.voxelise import Phantom, Region

__all__ = [
    "MOUSE_REGIONS",
    "TRACER_PRESETS",
    "MouseKinetics",
    "decay_weighted_frame_means",
    "digital_mouse",
    "frame_truths",
    "organ_curves",
]

_E = Ellipsoid
#: Region → (shape, material), in painting order.  Organ volumes total ≈ 27 mL.
MOUSE_REGIONS: dict[str, tuple[Cylinder | Ellipsoid, str]] = {
    "muscle": (_E((0.0, 0.0, 0.0), (13.0, 11.0, 45.0)), "soft_tissue"),
    "bone": (Cylinder(1.4, (-36.0, 27.0), (0.0, 7.5)), "bone"),
    "skull": (_E((0.0, 1.0, 33.0), (6.2, 5.2, 7.8)), "bone"),
    "brain": (_E((0.0, 1.0, 33.0), (5.2, 4.2, 6.8)), "soft_tissue"),
    "cerebellum": (_E((0.0, 2.0, 27.6), (3.5, 2.6, 1.6)), "soft_tissue"),
    "striatum": (_E((0.0, 0.5, 35.0), (3.2, 1.5, 1.6)), "soft_tissue"),
    "lungs": (_E((0.0, 0.5, 16.0), (9.0, 6.0, 7.0)), "lung"),
    "myocardium": (_E((1.0, -2.0, 15.0), (4.2, 4.0, 4.8)), "soft_tissue"),
    "blood": (_E((1.0, -2.0, 15.0), (2.2, 2.0, 2.8)), "blood"),
    "liver": (_E((-1.0, -1.0, 4.5), (10.5, 7.5, 4.5)), "soft_tissue"),
    "spleen": (_E((7.5, 2.0, 1.0), (2.0, 1.6, 5.0)), "soft_tissue"),
    "kidneys_left": (_E((5.5, 5.0, -5.0), (2.4, 2.4, 4.0)), "soft_tissue"),
    "kidneys_right": (_E((-5.5, 5.0, -6.0), (2.4, 2.4, 4.0)), "soft_tissue"),
    "intestine": (_E((0.0, -2.0, -15.0), (8.5, 6.0, 8.0)), "soft_tissue"),
    "bladder": (_E((0.0, -3.0, -33.0), (3.0, 3.0, 3.2)), "water"),
    "tumour": (_E((10.5, -6.0, -20.0), (3.5, 3.5, 3.5)), "soft_tissue"),
}

#: Tracer → organ → (K1 (mL/min/mL), k2, k3, k4 (1/min), vB).  "blood" is the input itself.
TRACER_PRESETS: dict[str, dict[str, tuple[float, float, float, float, float]]] = {
    "fdg": {
        "muscle": (0.05, 0.30, 0.03, 0.0, 0.02),
        "bone": (0.03, 0.30, 0.02, 0.0, 0.02),
        "skull": (0.03, 0.30, 0.02, 0.0, 0.02),
        "brain": (0.12, 0.25, 0.06, 0.0, 0.04),
        "cerebellum": (0.10, 0.25, 0.05, 0.0, 0.04),
        "striatum": (0.14, 0.25, 0.08, 0.0, 0.04),
        "lungs": (0.05, 0.20, 0.01, 0.0, 0.15),
        "myocardium": (0.60, 0.90, 0.15, 0.0, 0.10),
        "liver": (0.90, 0.95, 0.01, 0.005, 0.25),
        "spleen": (0.50, 0.80, 0.03, 0.0, 0.20),
        "kidneys_left": (1.00, 1.20, 0.05, 0.0, 0.20),
        "kidneys_right": (1.00, 1.20, 0.05, 0.0, 0.20),
        "intestine": (0.30, 0.50, 0.04, 0.0, 0.05),
        "bladder": (0.80, 0.0, 0.0, 0.0, 0.0),
        "tumour": (0.20, 0.40, 0.10, 0.0, 0.05),
    },
    "naf": {  # [18F]fluoride: bone uptake, fast renal clearance
        "muscle": (0.04, 0.20, 0.0, 0.0, 0.02),
        "bone": (0.40, 0.30, 0.40, 0.0, 0.05),
        "skull": (0.40, 0.30, 0.40, 0.0, 0.05),
        "brain": (0.01, 0.10, 0.0, 0.0, 0.04),
        "cerebellum": (0.01, 0.10, 0.0, 0.0, 0.04),
        "striatum": (0.01, 0.10, 0.0, 0.0, 0.04),
        "lungs": (0.05, 0.30, 0.0, 0.0, 0.15),
        "myocardium": (0.10, 0.30, 0.0, 0.0, 0.10),
        "liver": (0.20, 0.30, 0.0, 0.0, 0.25),
        "spleen": (0.15, 0.30, 0.0, 0.0, 0.20),
        "kidneys_left": (0.80, 1.00, 0.0, 0.0, 0.20),
        "kidneys_right": (0.80, 1.00, 0.0, 0.0, 0.20),
        "intestine": (0.05, 0.30, 0.0, 0.0, 0.05),
        "bladder": (1.50, 0.0, 0.0, 0.0, 0.0),
        "tumour": (0.10, 0.30, 0.05, 0.0, 0.05),
    },
}


@dataclass(frozen=True)
class MouseKinetics:
    """Tracer kinetics of the digital mouse: input, per-organ parameters, dose and weight."""

    tracer: str = "fdg"
    injected_bq: float = 10e6
    weight_g: float = 27.0
    inp: FengInput = field(default_factory=FengInput)

    def __post_init__(self) -> None:
        if self.tracer not in TRACER_PRESETS:
            raise PositrixError(
                f"no uptake preset for tracer '{self.tracer}'",
                field="tracer",
                fix=f"use one of {', '.join(TRACER_PRESETS)}",
            )
        if not (self.injected_bq > 0 and self.weight_g > 0):
            raise PositrixError("injected activity and weight must be > 0", field="injected_bq")

    @property
    def parameters(self) -> Mapping[str, tuple[float, float, float, float, float]]:
        """Organ → (K1, k2, k3, k4, vB)."""
        return TRACER_PRESETS[self.tracer]


def organ_curves(kinetics: MouseKinetics, time_min: ArrayLike) -> dict[str, NDArray[np.float64]]:
    """Activity concentration of every organ (Bq/mL, not decayed) at ``time_min`` after
    injection."""
    scale = kinetics.injected_bq / kinetics.weight_g  # Bq/g per SUV, tissue 1 g/mL
    curves = {"blood": scale * kinetics.inp.plasma(time_min)}
    for organ, (k1, k2, k3, k4, vb) in kinetics.parameters.items():
        amplitudes, rates = two_tissue_irf(k1, k2, k3, k4)
        curve = compartment_curve(kinetics.inp, time_min, amplitudes, rates, vb=vb)
        curves[organ] = scale * curve
    return curves


def frame_truths(
    kinetics: MouseKinetics,
    start_s: ArrayLike,
    duration_s: ArrayLike,
    *,
    nuclide: str = "F-18",
    samples_per_frame: int = 400,
) -> dict[str, NDArray[np.float64]]:
    """Decay-corrected frame-mean concentration (Bq/mL) of every organ, one value per frame;
    frame times in s after injection.  Gauss–Legendre quadrature (``samples_per_frame``
    nodes) of ``C(t)·e^(−λt)`` over each frame, divided by the frame's mean decay factor."""
    return decay_weighted_frame_means(
        lambda t_min: organ_curves(kinetics, t_min),
        start_s,
        duration_s,
        nuclide=nuclide,
        samples_per_frame=samples_per_frame,
    )


def decay_weighted_frame_means(
    curves: Callable[[NDArray[np.float64]], Mapping[str, NDArray[np.float64]]],
    start_s: ArrayLike,
    duration_s: ArrayLike,
    *,
    nuclide: str,
    samples_per_frame: int = 400,
) -> dict[str, NDArray[np.float64]]:
    """Decay-corrected frame means of ``curves(time_min)`` (region → concentration, not
    decayed), one per frame: Gauss–Legendre quadrature of ``C(t)·e^(−λt)`` over each frame
    divided by the frame's mean decay factor — what a scanner reports."""
    starts = np.atleast_1d(np.asarray(start_s, dtype=np.float64))
    durations = np.atleast_1d(np.asarray(duration_s, dtype=np.float64))
    if starts.shape != durations.shape or np.any(durations <= 0) or np.any(starts < 0):
        raise PositrixError("frames need a start ≥ 0 s and a duration > 0 s each", field="frames")
    lam = get_nuclide(nuclide).decay_constant_per_s
    nodes, weights = np.polynomial.legendre.leggauss(samples_per_frame)
    t = starts[:, None] + (nodes[None, :] + 1.0) / 2.0 * durations[:, None]  # (frames, n)
    decay = np.exp(-lam * t)
    mean_decay = (weights * decay).sum(axis=1)
    return {
        name: (weights * curve * decay).sum(axis=1) / mean_decay
        for name, curve in curves(t / 60.0).items()
    }


def digital_mouse(activities_bq_ml: Mapping[str, float] | None = None) -> Phantom:
    """The digital mouse as a phantom, with the given organ concentrations (Bq/mL; organs
    not given hold none).  Use :func:`frame_truths` for an FDG-like frame."""
    values = dict(activities_bq_ml or {})
    unknown = set(values) - set(MOUSE_REGIONS)
    if unknown:
        raise PositrixError(
            f"the digital mouse has no organ {sorted(unknown)}",
            field="activities",
            fix=f"use {', '.join(MOUSE_REGIONS)}",
        )
    regions = tuple(
        Region(name, shape, material, float(values.get(name, 0.0)))
        for name, (shape, material) in MOUSE_REGIONS.items()
    )
    return Phantom("digital-mouse", regions)
