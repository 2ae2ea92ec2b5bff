"""Standard physical phantoms: NEMA NU 4 image quality, Derenzo, uniform cylinders, points.

Every phantom has its axis along the phantom frame's z and its centre at the origin; place it
in the scanner with :meth:`~positrix.simulation.voxelise.Phantom.placed`.  Activities are
concentrations in Bq/mL (scale them with :meth:`~positrix.simulation.voxelise.Phantom.scaled`
or set a total with :func:`scale_to_total`).  Dimensions of the NEMA phantom follow
NU 4-2008 (``shared/reference/nema_nu4.md``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from positrix.errors import PositrixError
from positrix.simulation.shapes import Cylinder, Ellipsoid
from positrix.simulation.voxelise import Phantom, PhantomImages, Region

__all__ = [
    "DERENZO_RODS_MM",
    "NEMA_RODS_MM",
    "NU4_SCATTER_PHANTOMS",
    "derenzo_phantom",
    "derenzo_rod_centres",
    "nema_iq_phantom",
    "nu4_scatter_phantom",
    "point_source",
    "scale_to_total",
    "uniform_cylinder",
]

#: Rod diameters of the NEMA image-quality phantom (mm).
NEMA_RODS_MM = (1.0, 2.0, 3.0, 4.0, 5.0)
#: Default Derenzo rod diameters (mm), one sector each.
DERENZO_RODS_MM = (0.75, 1.0, 1.2, 1.6, 2.0, 2.4)


def nema_iq_phantom(activity_bq_ml: float = 1.0) -> Phantom:
    """NEMA NU 4-2008 image-quality phantom.

    Phantom frame: PMMA body Ø 33.5 mm over z ∈ [−25, 25] mm; rod region z ∈ [−25, −5] with
    rods Ø 5, 4, 3, 2, 1 mm on a circle of radius 7 mm at 0°, 72°, 144°, 216°, 288°
    (counter-clockwise from +x); uniform chamber Ø 30 mm over z ∈ [−5, 25]; cold inserts
    (inner Ø 8 mm, 1 mm PMMA wall) over z ∈ [10, 25], water at +y 7.5 mm and air at −y.
    Region names: ``body``, ``uniform``, ``rod_1mm`` … ``rod_5mm``, ``insert_wall``,
    ``cold_water``, ``cold_air``.
    """
    regions = [
        Region("body", Cylinder(16.75, (-25.0, 25.0)), "pmma"),
        Region("uniform", Cylinder(15.0, (-5.0, 25.0)), "water", activity_bq_ml),
    ]
    for n, diameter in enumerate(sorted(NEMA_RODS_MM, reverse=True)):
        angle = np.radians(72.0 * n)
        centre = (7.0 * float(np.cos(angle)), 7.0 * float(np.sin(angle)))
        name = f"rod_{diameter:g}mm"
        regions.append(
            Region(name, Cylinder(diameter / 2.0, (-25.0, -5.0), centre), "water", activity_bq_ml)
        )
    for y in (7.5, -7.5):
        regions.append(Region("insert_wall", Cylinder(5.0, (10.0, 25.0), (0.0, y)), "pmma"))
    regions.append(Region("cold_water", Cylinder(4.0, (10.0, 25.0), (0.0, 7.5)), "water"))
    regions.append(Region("cold_air", Cylinder(4.0, (10.0, 25.0), (0.0, -7.5)), "air"))
    return Phantom("nema-iq", tuple(regions))


def derenzo_rod_centres(
    diameter_mm: float, sector: int, *, n_sectors: int = 6, radius_mm: float = 15.0
) -> NDArray[np.float64]:
    """Rod centres ``(n, 2)`` (mm) of one Derenzo sector: a triangular lattice of pitch
    ``2·diameter`` filling the wedge; rod edges keep half a diameter from the wedge edges."""
    pitch = 2.0 * diameter_mm
    bisector = 2.0 * np.pi * (sector + 0.5) / n_sectors
    half = np.pi / n_sectors
    u = np.array([np.cos(bisector), np.sin(bisector)])
    v = np.array([-u[1], u[0]])
    centres = []
    rows = int(radius_mm / (pitch * np.sqrt(3) / 2)) + 2
    for row in range(rows):
        along = diameter_mm / np.sin(half) + row * pitch * np.sqrt(3) / 2
        for col in range(-row, row + 1, 2):
            point = along * u + 0.5 * col * pitch * v
            if np.hypot(*point) + diameter_mm / 2 <= radius_mm:
                centres.append(point)
    return np.asarray(centres, dtype=np.float64).reshape(-1, 2)


def derenzo_phantom(
    activity_bq_ml: float = 1.0,
    *,
    rod_diameters_mm: Sequence[float] = DERENZO_RODS_MM,
    radius_mm: float = 15.0,
    length_mm: float = 20.0,
) -> Phantom:
    """Derenzo hot-rod phantom: PMMA cylinder (radius + 3 mm) with one sector of rods of each
    diameter (rod pitch 2 × diameter), rods over z ∈ [−length/2, length/2].

    Region names ``body`` and ``rods_<d>mm``.
    """
    if not 1 <= len(rod_diameters_mm) <= 6 or min(rod_diameters_mm) <= 0:
        raise PositrixError(
            "give 1 to 6 rod diameters > 0 mm (the triangular lattice fills 60° sectors)",
            field="rod_diameters_mm",
        )
    half = length_mm / 2.0
    regions = [Region("body", Cylinder(radius_mm + 3.0, (-half - 3.0, half + 3.0)), "pmma")]
    n = len(rod_diameters_mm)
    for sector, diameter in enumerate(rod_diameters_mm):
        for x, y in derenzo_rod_centres(diameter, sector, n_sectors=n, radius_mm=radius_mm):
            regions.append(
                Region(
                    f"rods_{diameter:g}mm",
                    Cylinder(diameter / 2.0, (-half, half), (float(x), float(y))),
                    "water",
                    activity_bq_ml,
                )
            )
    return Phantom("derenzo", tuple(regions))


def uniform_cylinder(
    activity_bq_ml: float = 1.0,
    *,
    size: str = "mouse",
    diameter_mm: float | None = None,
    length_mm: float | None = None,
) -> Phantom:
    """Water-filled uniform cylinder: ``size="mouse"`` Ø 25 × 70 mm or ``"rat"`` Ø 50 × 150 mm
    (NU 4 scatter phantoms' outer sizes), or an explicit diameter and length; region
    ``uniform``."""
    sizes = {"mouse": (25.0, 70.0), "rat": (50.0, 150.0)}
    if size not in sizes:
        raise PositrixError(f"unknown cylinder size '{size}'", field="size", fix="mouse or rat")
    d, length = sizes[size]
    d = d if diameter_mm is None else float(diameter_mm)
    length = length if length_mm is None else float(length_mm)
    cylinder = Cylinder(d / 2.0, (-length / 2.0, length / 2.0))
    return Phantom(f"{size}-cylinder", (Region("uniform", cylinder, "water", activity_bq_ml),))


#: NU 4-2008 scatter phantoms: diameter, length, line-source offset and active length (mm).
NU4_SCATTER_PHANTOMS = {"mouse": (25.0, 70.0, 10.0, 60.0), "rat": (50.0, 150.0, 17.5, 140.0)}


def nu4_scatter_phantom(size: str = "mouse", activity_bq: float = 1.0) -> Phantom:
    """NEMA NU 4-2008 count-rate phantom: a high-density polyethylene cylinder (mouse
    Ø 25 × 70 mm, rat Ø 50 × 150 mm) with a line source parallel to its axis (10 / 17.5 mm
    off it, along +x) active over the central 60 / 140 mm, ``activity_bq`` in total; the
    source is a Ø 1.1 mm water-filled tube in the Ø 3.2 mm hole (regions ``phantom``,
    ``line``)."""
    if size not in NU4_SCATTER_PHANTOMS:
        raise PositrixError(f"unknown NU 4 phantom '{size}'", field="phantom", fix="mouse or rat")
    diameter, length, offset, active = NU4_SCATTER_PHANTOMS[size]
    line = Cylinder(0.55, (-active / 2.0, active / 2.0), (offset, 0.0))
    body = Cylinder(diameter / 2.0, (-length / 2.0, length / 2.0))
    return Phantom(
        f"nu4-{size}",
        (
            Region("phantom", body, "polyethylene"),
            Region("line", line, "water", activity_bq / line.volume_ml()),
        ),
    )


def point_source(
    activity_bq: float = 1.0,
    *,
    position_mm: tuple[float, float, float] = (0.0, 0.0, 0.0),
    diameter_mm: float = 0.25,
    cube_mm: float | None = 10.0,
) -> Phantom:
    """A Na-22-like point source: a sphere of ``diameter_mm`` holding ``activity_bq`` in
    total, embedded in a PMMA cube of ``cube_mm`` (NU 4: ≤ 0.3 mm source, 10 mm cube)."""
    radius = diameter_mm / 2.0
    sphere = Ellipsoid(position_mm, (radius, radius, radius))
    concentration = activity_bq / sphere.volume_ml()
    regions = []
    if cube_mm:
        h = cube_mm / 2.0
        # a cube as a short cylinder circumscribing it would overstate the PMMA: use the
        # inscribed cylinder (the cube's µ matters little for a 511 keV point source)
        z = (position_mm[2] - h, position_mm[2] + h)
        regions.append(Region("cube", Cylinder(h, z, position_mm[:2]), "pmma"))
    regions.append(Region("source", sphere, "water", concentration))
    return Phantom("point", tuple(regions))


def scale_to_total(images: PhantomImages, total_bq: float) -> PhantomImages:
    """The voxelised phantom with its activity scaled to ``total_bq`` in the image."""
    current = images.total_activity_bq()
    if not current > 0:
        raise PositrixError("the phantom holds no activity to scale", field="activity")
    factor = float(total_bq) / current
    return dataclasses.replace(
        images, activity_bq_ml=(images.activity_bq_ml * factor).astype(np.float32)
    )
