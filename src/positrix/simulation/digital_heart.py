"""A digital mouse (or rat) heart in a thorax: left-ventricular wall, blood pool, an
optional infarct, and myocardial-flow kinetics for N-13 ammonia.

Heart frame (mm): +z points along the LV long axis from the apex to the base; the base plane
is at ``z = base_mm`` and the apex at ``z = −outer[2]``.
The wall is the shell between two coaxial prolate ellipsoids cut at the base plane
(mouse: outer semi-axes 3.2, 3.2, 5.5 mm, inner 2.2, 2.2, 4.5 mm: a 1 mm wall, LV cavity
≈ 70 µL at end-diastole).  The infarct is the wall between two heights and two azimuths
(degrees, ``atan2(y, x)`` in the heart frame).  The heart is turned in the body by
``orientation`` (a rotation) and placed at ``centre_mm``.

Kinetics (:func:`ammonia_curves`): blood input ``Ca(t)`` a Feng model-2 bolus; myocardium
the three-compartment ammonia model of Hutchins et al. (1990): ``K1 = F·E(F)`` with
``E(F) = 1 − 0.607·e^(−1.25/F)``, washout ``k2`` (0.4/min) and metabolic trapping ``k3``
(0.15/min; Hutchins' dog values 0.3 and 0.14).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage

from positrix.errors import PositrixError
from positrix.image.frames import FrameTable
from positrix.image.image import Image
from positrix.physics.compartments import two_tissue_irf
from positrix.recon.reconstruct import grid_affine
from positrix.simulation.input_function import FengInput
from positrix.simulation.shapes import Clipped, Ellipsoid, Oriented, Pose
from positrix.simulation.voxelise import Phantom, Region

__all__ = [
    "HEART_UPTAKE",
    "HeartGeometry",
    "ammonia_curves",
    "ammonia_extraction",
    "digital_heart",
    "simulate_heart_dynamic",
    "simulate_heart_gated",
    "simulate_heart_image",
]


def ammonia_extraction(flow: ArrayLike) -> NDArray[np.float64]:
    """First-pass extraction of N-13 ammonia at flow ``F`` (mL/min/g), Hutchins 1990.

    Examples
    --------
    >>> round(float(ammonia_extraction(1.0)), 4)
    0.8261
    """
    f = np.asarray(flow, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return 1.0 - 0.607 * np.exp(-1.25 / np.where(f > 0, f, np.inf))


@dataclass(frozen=True)
class HeartGeometry:
    """LV shape (mm), pose in the body and the infarct (module docstring)."""

    outer_mm: tuple[float, float, float] = (3.0, 3.0, 6.0)
    inner_mm: tuple[float, float, float] = (2.0, 2.0, 5.0)
    base_mm: float = 2.0
    centre_mm: tuple[float, float, float] = (0.0, 0.0, 0.0)
    orientation: Pose = field(default_factory=Pose)
    infarct_z_mm: tuple[float, float] | None = None
    infarct_azimuth_deg: tuple[float, float] = (0.0, 0.0)

    def __post_init__(self) -> None:
        if any(i >= o for i, o in zip(self.inner_mm, self.outer_mm, strict=True)):
            raise PositrixError("the LV cavity must lie inside the wall", field="inner_mm")

    def pose(self) -> Pose:
        """Heart frame → phantom frame."""
        return Pose(self.orientation.rotation, self.centre_mm)

    def long_axis(self) -> NDArray[np.float64]:
        """Unit vector from base to apex in the phantom frame."""
        return self.orientation.matrix @ np.array([0.0, 0.0, -1.0])

    def wall(self) -> Clipped:
        """The wall's outer solid (cut at the base)."""
        return Clipped(Ellipsoid((0.0, 0.0, 0.0), self.outer_mm), (-np.inf, self.base_mm))

    def cavity(self) -> Clipped:
        """The blood pool (cut at the base)."""
        return Clipped(Ellipsoid((0.0, 0.0, 0.0), self.inner_mm), (-np.inf, self.base_mm))

    def infarct(self) -> Clipped | None:
        """The infarcted wall's solid (the cavity is painted over it), or ``None``."""
        if self.infarct_z_mm is None:
            return None
        return Clipped(
            Ellipsoid((0.0, 0.0, 0.0), self.outer_mm),
            self.infarct_z_mm,
            self.infarct_azimuth_deg,
        )

    def cavity_volume_ml(self) -> float:
        """Blood-pool volume (mL), closed form of the cut ellipsoid."""
        a, b, c = self.inner_mm
        top = min(self.base_mm, c)
        # ∫ π a b (1 − z²/c²) dz from −c to top
        integral = np.pi * a * b * ((top + c) - (top**3 + c**3) / (3.0 * c * c))
        return float(integral / 1000.0)

    def wall_volume_ml(self) -> float:
        """Myocardial volume (mL), closed form (outer minus cavity, both cut at the base)."""
        a, b, c = self.outer_mm
        top = min(self.base_mm, c)
        outer = np.pi * a * b * ((top + c) - (top**3 + c**3) / (3.0 * c * c)) / 1000.0
        return float(outer) - self.cavity_volume_ml()


def digital_heart(
    geometry: HeartGeometry = HeartGeometry(),
    activities_bq_ml: Mapping[str, float] | None = None,
    *,
    body_mm: tuple[float, float, float] = (11.0, 9.0, 16.0),
) -> Phantom:
    """Thorax (``body``: soft tissue ellipsoid with ``lungs``), ``myocardium``, ``infarct``
    (when the geometry has one) and ``blood`` (LV cavity), with the given concentrations."""
    values = dict(activities_bq_ml or {})
    pose = geometry.pose()
    regions = [
        Region("body", Ellipsoid((0.0, 0.0, 0.0), body_mm), "soft_tissue"),
        Region(
            "lungs",
            Ellipsoid((0.0, 0.0, 0.0), tuple(0.85 * v for v in body_mm)),  # type: ignore[arg-type]
            "lung",
        ),
        Region("myocardium", Oriented(geometry.wall(), pose), "soft_tissue"),
    ]
    infarct = geometry.infarct()
    if infarct is not None:
        regions.append(Region("infarct", Oriented(infarct, pose), "soft_tissue"))
    regions.append(Region("blood", Oriented(geometry.cavity(), pose), "blood"))
    names = {r.name for r in regions}
    unknown = set(values) - names
    if unknown:
        raise PositrixError(
            f"the digital heart has no region {sorted(unknown)}",
            field="activities",
            fix="use " + ", ".join(sorted(names)),
        )
    return Phantom(
        "digital-heart",
        tuple(Region(r.name, r.shape, r.material, float(values.get(r.name, 0.0))) for r in regions),
    )


def ammonia_curves(
    flows: Mapping[str, float],
    time_min: ArrayLike,
    *,
    inp: FengInput | None = None,
    k2: float = 0.4,
    k3: float = 0.15,
    scale: float = 1.0,
) -> dict[str, NDArray[np.float64]]:
    """``blood`` (the input) and each region's curve at ``time_min`` (module docstring);
    ``flows`` in mL/min/g, ``scale`` multiplies every curve (Bq/mL per unit)."""
    inp = inp or FengInput()
    out = {"blood": scale * inp.plasma(time_min)}
    for name, flow in flows.items():
        if not flow > 0:
            raise PositrixError(f"flow of '{name}' must be > 0 mL/min/g", field="flows")
        k1 = float(flow * ammonia_extraction(flow))
        amplitudes, rates = two_tissue_irf(k1, k2, k3, 0.0)
        curve = np.zeros_like(out["blood"])
        for a, r in zip(amplitudes, rates, strict=True):
            curve += a * inp.convolved(time_min, r)
        out[name] = scale * curve
    return out


def _blurred(volume: NDArray, fwhm_mm: float, voxel_mm: float) -> NDArray[np.float64]:
    sigma = fwhm_mm / np.sqrt(8.0 * np.log(2.0)) / voxel_mm
    return ndimage.gaussian_filter(np.asarray(volume, dtype=np.float64), sigma)


#: Static uptake (FDG-like, arbitrary units) of the heart phantom's regions.
HEART_UPTAKE = {"body": 0.3, "lungs": 0.1, "myocardium": 10.0, "infarct": 2.0, "blood": 1.5}


def simulate_heart_image(
    geometry: HeartGeometry,
    values: Mapping[str, float] | None = None,
    *,
    shape: tuple[int, int, int] = (48, 48, 48),
    voxel_mm: float = 0.5,
    fwhm_mm: float = 1.2,
    noise_percent: float = 0.0,
    seed: int = 0,
) -> Image:
    """A static cardiac image without a scanner: the phantom (:data:`HEART_UPTAKE` by
    default) voxelised (3³ points per voxel), blurred by ``fwhm_mm`` and given Gaussian
    noise of ``noise_percent`` % of the wall's value."""
    values = dict(values or HEART_UPTAKE)
    if geometry.infarct() is None:
        values.pop("infarct", None)
    affine = grid_affine(shape, (voxel_mm, voxel_mm, voxel_mm))
    truth = digital_heart(geometry, values).voxelise(shape, affine)
    data = _blurred(truth.activity_bq_ml, fwhm_mm, voxel_mm)
    if noise_percent > 0:
        sd = noise_percent / 100.0 * float(values.get("myocardium", 1.0))
        data += np.random.default_rng(seed).normal(0.0, sd, data.shape)
    return Image(data.astype(np.float32), affine, unit="Bq/mL", description="simulated heart")


def simulate_heart_dynamic(
    geometry: HeartGeometry,
    flows: Mapping[str, float],
    start_s: ArrayLike,
    duration_s: ArrayLike,
    *,
    shape: tuple[int, int, int] = (48, 48, 48),
    voxel_mm: float = 0.5,
    fwhm_mm: float = 1.2,
    noise_percent: float = 0.0,
    scale: float = 1e5,
    seed: int = 0,
) -> Image:
    """A dynamic ammonia study without a scanner: frame means (Gauss–Legendre, 50 nodes)
    of :func:`ammonia_curves` for ``flows`` (``myocardium``, ``infarct``, ``body``), lungs
    at 10 % of blood, painted, blurred by ``fwhm_mm`` and given noise of
    ``noise_percent`` % of the frame's wall value × ``√(60 s / duration)``."""
    starts = np.atleast_1d(np.asarray(start_s, dtype=np.float64))
    durations = np.atleast_1d(np.asarray(duration_s, dtype=np.float64))
    nodes, weights = np.polynomial.legendre.leggauss(50)
    t = starts[:, None] + (nodes[None, :] + 1.0) / 2.0 * durations[:, None]
    curves = ammonia_curves(flows, t / 60.0, scale=scale)
    means = {name: (weights * c).sum(axis=1) / 2.0 for name, c in curves.items()}
    means["lungs"] = 0.1 * means["blood"]
    affine = grid_affine(shape, (voxel_mm, voxel_mm, voxel_mm))
    phantom = digital_heart(geometry)
    known = {r.name for r in phantom.regions}
    region = phantom.region_weights(shape, affine, supersample=3)
    rng = np.random.default_rng(seed)
    frames = []
    for f in range(starts.size):
        volume = _blurred(
            region.image({n: float(v[f]) for n, v in means.items() if n in known}),
            fwhm_mm,
            voxel_mm,
        )
        if noise_percent > 0:
            level = float(means.get("myocardium", means["blood"])[f])
            sd = noise_percent / 100.0 * level * np.sqrt(60.0 / durations[f])
            volume += rng.normal(0.0, sd, volume.shape)
        frames.append(volume)
    return Image(
        np.stack(frames, -1).astype(np.float32),
        affine,
        unit="Bq/mL",
        frames=FrameTable(starts, durations, None),
        description="simulated N-13 ammonia study",
    )


def simulate_heart_gated(
    gates: list[HeartGeometry],
    *,
    shape: tuple[int, int, int] = (48, 48, 48),
    voxel_mm: float = 0.5,
    fwhm_mm: float = 1.2,
) -> Image:
    """A gated image: one static image (:func:`simulate_heart_image`) per geometry, the
    gates on the 4th axis (their frame table spans one 100 ms beat)."""
    volumes = [
        np.asarray(simulate_heart_image(g, shape=shape, voxel_mm=voxel_mm, fwhm_mm=fwhm_mm).data)
        for g in gates
    ]
    n = len(volumes)
    step = 0.1 / n
    return Image(
        np.stack(volumes, -1),
        grid_affine(shape, (voxel_mm, voxel_mm, voxel_mm)),
        unit="Bq/mL",
        frames=FrameTable(np.arange(n) * step, np.full(n, step), None),
        description=f"simulated gated heart, {n} gates",
    )
