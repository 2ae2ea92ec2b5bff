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

from positrix.errors import PositrixError
from positrix.physics.compartments import two_tissue_irf
from positrix.simulation.input_function import FengInput
from positrix.simulation.shapes import Clipped, Ellipsoid, Oriented, Pose
from positrix.simulation.voxelise import Phantom, Region

__all__ = [
    "HeartGeometry",
    "ammonia_curves",
    "ammonia_extraction",
    "digital_heart",
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
