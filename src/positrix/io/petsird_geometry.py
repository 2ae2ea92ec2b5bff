"""PETSIRD scanner descriptions ↔ Positrix :class:`~positrix.geometry.ScannerGeometry`.

How a Positrix scanner (flat blocks on a ring, see :mod:`positrix.geometry.scanner`) is laid
out in PETSIRD (one module type):

- **module** ``m`` = block column ``m``: the crystals of block ``m`` in every ring.  Module
  ``m`` is module 0 rotated about z by ``2π m / blocks_per_ring`` (no translation), so it
  faces the angle of block ``m``;
- **element** ``e = ring · crystals_per_block + k`` (``k``: crystal within the block).  In the
  module frame element ``e`` is translated, not rotated, to
  ``(ring_diameter/2 + mean_doi, (k − (crystals_per_block − 1)/2) · transaxial_pitch,
  z of the ring)``: the element origin is the crystal's mean depth of interaction, i.e.
  :meth:`ScannerGeometry.crystal_positions_mm`;
- **box**: the crystal itself, ``x`` (radial, outwards) from ``−mean_doi`` to
  ``depth − mean_doi``, ``y`` (tangential, increasing crystal index) ``± width/2`` and ``z``
  ``± height/2`` around the element origin, so the box's centre lies ``depth/2 − mean_doi``
  further out than the element origin;
- **detection bin** = ``(m · n_elements + e) · n_energy_bins + energy index`` (PETSIRD's own
  formula).  Positrix writes one energy bin, the scanner's energy window;
- **coincidence window** ``W`` (ns) = the one TOF bin, edges ``± (W/2) · c/2`` in mm: the
  whole window is ``W`` wide, ``|t1 − t2| ≤ W/2``.

All lengths are in mm, as in PETSIRD; coordinates are stored as float32 (≈ 1e-5 mm at the
ring radius of the built-in scanners).  Not stored: ``detection_efficiency`` (PETSIRD's
detection efficiencies are written as 1 with calibration factor 1, "not measured"), crystal
material (no bulk materials), TOF and energy resolution (0 = unknown).
"""

from __future__ import annotations

from dataclasses import replace
from os import PathLike
from typing import Any

import numpy as np
import petsird
from numpy.typing import ArrayLike, NDArray

from positrix.errors import PositrixError
from positrix.geometry.scanner import SCANNERS, ScannerGeometry

__all__ = [
    "SPEED_OF_LIGHT_MM_PER_NS",
    "crystal_to_detection_bin",
    "detection_bin_to_crystal",
    "element_positions_mm",
    "expand_detection_bins",
    "same_crystal_layout",
    "scanner_from_petsird",
    "scanner_to_petsird",
]

#: Speed of light in mm/ns (PETSIRD stores TOF differences as ``(t1 − t2) · c/2`` in mm).
SPEED_OF_LIGHT_MM_PER_NS = 299.792458

#: Largest allowed distance (mm) between a crystal position in a PETSIRD header and the
#: recognised :class:`ScannerGeometry`.
POSITION_TOLERANCE_MM = 1e-3

_GEOMETRY_FIELD = "scanner.scanner_geometry"
#: ScannerGeometry fields stored in the PETSIRD geometry, and in its windows.
_HARDWARE_FIELDS = (
    *("blocks_per_ring", "crystals_per_block", "n_rings", "transaxial_pitch_mm"),
    *("axial_pitch_mm", "crystal_size_mm", "ring_diameter_mm", "mean_doi_mm"),
)
_WINDOW_FIELDS = ("energy_window_kev", "coincidence_window_ns")
_Source = str | PathLike[str] | None


# --------------------------------------------------------------------------------------
# Positrix → PETSIRD


def scanner_to_petsird(scanner: ScannerGeometry) -> petsird.ScannerInformation:
    """Describe ``scanner`` as a PETSIRD scanner (one module type, see the module docstring).

    Parameters
    ----------
    scanner
        A built-in or user scanner.

    Returns
    -------
    petsird.ScannerInformation
        ``model_name`` = ``scanner.name``; geometry, energy window (one energy bin),
        coincidence window (one TOF bin), all efficiencies 1 (calibration factor 1), no
        singles, triples or quadruples, collimator ``NONE``.  TOF resolution and energy
        resolution are 0 (unknown): :class:`ScannerGeometry` does not hold them.
    """
    module = petsird.DetectorModule(
        detecting_elements=petsird.ReplicatedBoxSolidVolume(
            object=petsird.BoxSolidVolume(shape=_crystal_box(scanner), material_id=0),
            transforms=[_transform(np.eye(3), t) for t in _element_translations(scanner)],
        )
    )
    angles = 2.0 * np.pi * np.arange(scanner.blocks_per_ring) / scanner.blocks_per_ring
    replicated = petsird.ReplicatedDetectorModule(
        object=module, transforms=[_transform(_rotation_z(a), np.zeros(3)) for a in angles]
    )
    half_window_mm = scanner.coincidence_window_ns / 2.0 * SPEED_OF_LIGHT_MM_PER_NS / 2.0
    return petsird.ScannerInformation(
        model_name=scanner.name,
        scanner_geometry=petsird.ScannerGeometry(replicated_modules=[replicated]),
        collimator_type="NONE",
        tof_bin_edges=[[_bin_edges((-half_window_mm, half_window_mm))]],
        tof_resolution=[[0.0]],
        event_energy_bin_edges=[_bin_edges(scanner.energy_window_kev)],
        energy_resolution_at_511=[0.0],
        singles_histogram_level=petsird.SinglesHistogramLevelType.NONE,
        single_event_policy=petsird.SingleEventPolicy.NONE,
        prompt_event_policy=petsird.CoincidencePolicy.REJECT_HIGHER_MULTIPLES,
        delayed_event_policy=petsird.CoincidencePolicy.REJECT_HIGHER_MULTIPLES,
        triple_event_policy=petsird.TripleEventPolicy.NONE,
        quadruple_event_policy=petsird.QuadrupleEventPolicy.NONE,
        detection_efficiencies=petsird.DetectionEfficiencies(
            method_description="not measured: every efficiency is 1", calibration_factor=1.0
        ),
    )


def _crystal_box(scanner: ScannerGeometry) -> petsird.BoxShape:
    """The crystal as a box around its mean depth of interaction (element frame, mm)."""
    width, height, depth = (float(v) for v in scanner.crystal_size_mm)
    x = (-scanner.mean_doi_mm, depth - scanner.mean_doi_mm)
    y = (-width / 2.0, width / 2.0)
    z = (-height / 2.0, height / 2.0)
    order = ((0, 0, 0), (0, 0, 1), (0, 1, 1), (0, 1, 0), (1, 0, 0), (1, 0, 1), (1, 1, 1), (1, 1, 0))
    return petsird.BoxShape(
        corners=[
            petsird.Coordinate(c=np.array([x[i], y[j], z[k]], dtype=np.float32))
            for i, j, k in order
        ]
    )


def _element_translations(scanner: ScannerGeometry) -> NDArray[np.float64]:
    """Element origins in the frame of module 0, ``(n_rings · crystals_per_block, 3)``."""
    cpb = scanner.crystals_per_block
    offsets = (np.arange(cpb) - (cpb - 1) / 2.0) * scanner.transaxial_pitch_mm
    out = np.empty((scanner.n_rings, cpb, 3))
    out[..., 0] = scanner.ring_diameter_mm / 2.0 + scanner.mean_doi_mm
    out[..., 1] = offsets[None, :]
    out[..., 2] = scanner.ring_z_mm()[:, None]
    return out.reshape(-1, 3)


def _rotation_z(angle: float) -> NDArray[np.float64]:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def _transform(rotation: NDArray[np.float64], shift: ArrayLike) -> petsird.RigidTransformation:
    matrix = np.concatenate([rotation, np.asarray(shift, np.float64)[:, None]], axis=1)
    return petsird.RigidTransformation(matrix=matrix.astype(np.float32))


def _bin_edges(edges: ArrayLike) -> petsird.BinEdges:
    return petsird.BinEdges(edges=np.asarray(edges, dtype=np.float32))


# --------------------------------------------------------------------------------------
# Indices


def crystal_to_detection_bin(
    scanner: ScannerGeometry, ring: ArrayLike, crystal: ArrayLike
) -> NDArray[np.int64]:
    """PETSIRD detection bins (one energy bin) of crystals ``(ring, crystal)``.

    Parameters
    ----------
    scanner
        The scanner the indices refer to.
    ring, crystal
        Integer arrays of the same shape: ring (0 … n_rings − 1) and crystal within the
        ring (0 … crystals_per_ring − 1).

    Returns
    -------
    ndarray of int64
        ``block · (n_rings · crystals_per_block) + ring · crystals_per_block + k``.
    """
    cpb = scanner.crystals_per_block
    crystal = np.asarray(crystal, dtype=np.int64)
    block, k = np.divmod(crystal, cpb)
    return (block * scanner.n_rings + np.asarray(ring, dtype=np.int64)) * cpb + k


def detection_bin_to_crystal(
    scanner: ScannerGeometry, detection_bin: ArrayLike, *, n_energy_bins: int = 1
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """``(ring, crystal)`` of PETSIRD detection bins laid out as :func:`scanner_to_petsird`.

    The energy index (``detection_bin % n_energy_bins``) is dropped.
    """
    element_bin = np.asarray(detection_bin, dtype=np.int64) // n_energy_bins
    cpb = scanner.crystals_per_block
    block, rest = np.divmod(element_bin, scanner.n_rings * cpb)
    ring, k = np.divmod(rest, cpb)
    return ring, block * cpb + k


def expand_detection_bins(
    info: petsird.ScannerInformation, type_of_module: int, detection_bin: ArrayLike
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Vectorised ``petsird.helpers.expand_detection_bins``: module, element, energy index.

    Parameters
    ----------
    info
        The PETSIRD scanner description.
    type_of_module
        Index into ``info.scanner_geometry.replicated_modules``.
    detection_bin
        Detection bins of modules of that type, any integer array.

    Returns
    -------
    tuple of ndarray of int64
        ``(module_index, element_index, energy_index)``, each shaped like ``detection_bin``.
    """
    replicated = info.scanner_geometry.replicated_modules[type_of_module]
    n_elements = len(replicated.object.detecting_elements.transforms)
    n_energy = max(int(info.event_energy_bin_edges[type_of_module].number_of_bins()), 1)
    bins = np.asarray(detection_bin, dtype=np.int64)
    element_bin, energy = np.divmod(bins, n_energy)
    module, element = np.divmod(element_bin, n_elements)
    return module, element, energy


# --------------------------------------------------------------------------------------
# PETSIRD → Positrix


def element_positions_mm(
    info: petsird.ScannerInformation, *, type_of_module: int = 0, box_centre: bool = False
) -> NDArray[np.float64]:
    """Positions of the detecting elements in the scanner frame, ``(n_modules, n_elements, 3)``.

    Parameters
    ----------
    info
        The PETSIRD scanner description.
    type_of_module
        Index into ``info.scanner_geometry.replicated_modules``.
    box_centre
        False: the element origins (for files written by Positrix: the mean depth of
        interaction, :meth:`ScannerGeometry.crystal_positions_mm`); True: the centres of the
        crystal boxes (mean of their 8 corners).

    Returns
    -------
    ndarray of float64
        mm; ``[m, e]`` is element ``e`` of module ``m``.
    """
    replicated = info.scanner_geometry.replicated_modules[type_of_module]
    modules = _matrices(replicated.transforms)
    elements = _matrices(replicated.object.detecting_elements.transforms)
    local = np.zeros(3)
    if box_centre:
        corners = replicated.object.detecting_elements.object.shape.corners
        local = np.mean([np.asarray(c.c, np.float64) for c in corners], axis=0)
    in_module = np.einsum("eij,j->ei", elements[:, :, :3], local) + elements[:, :, 3]
    return np.einsum("mij,ej->mei", modules[:, :, :3], in_module) + modules[:, None, :, 3]


def _matrices(transforms: list[Any]) -> NDArray[np.float64]:
    if not transforms:
        return np.zeros((0, 3, 4))
    return np.asarray([t.matrix for t in transforms], dtype=np.float64).reshape(-1, 3, 4)


def scanner_from_petsird(
    info: petsird.ScannerInformation, *, source: _Source = None
) -> ScannerGeometry:
    """Recognise the :class:`ScannerGeometry` that a PETSIRD scanner description encodes.

    Works for the layout :func:`scanner_to_petsird` writes (built-in and user scanners).  The
    result is checked against the header: every crystal position
    (:meth:`ScannerGeometry.crystal_positions_mm`) lies within 1e-3 mm of its element origin.
    A geometry equal to a built-in one (within float32 rounding) gives the built-in values
    (windows from the header), with the name from ``info.model_name``.  Fields PETSIRD does
    not hold (``detection_efficiency``) come from that built-in scanner, else they keep the
    :class:`ScannerGeometry` defaults.

    Parameters
    ----------
    info
        The PETSIRD scanner description.
    source
        The file it came from, named in errors.

    Raises
    ------
    PositrixError
        Naming the header field when the layout is not one Positrix can map (several module
        types, rotated or uncentred crystals, positions that do not match…).
    """
    replicated = _single_module_type(info, source)
    elements = replicated.object.detecting_elements
    box = _box_extent(elements.object.shape, source)
    layout = _element_layout(_matrices(elements.transforms), source)
    n_modules = len(replicated.transforms)
    geometry = _build_geometry(info, n_modules, layout, box, source)
    _check_positions(info, geometry, source)
    for builtin in SCANNERS.values():
        if _same_values(geometry, builtin, _HARDWARE_FIELDS):
            windows = {key: getattr(geometry, key) for key in _WINDOW_FIELDS}
            if _same_values(geometry, builtin, _WINDOW_FIELDS):
                windows = {}
            return replace(builtin, name=geometry.name, **windows)
    return geometry


def same_crystal_layout(a: ScannerGeometry, b: ScannerGeometry) -> bool:
    """True when ``a`` and ``b`` have the same crystal indices at the same positions (1e-3 mm)."""
    if (a.blocks_per_ring, a.crystals_per_block, a.n_rings) != (
        b.blocks_per_ring,
        b.crystals_per_block,
        b.n_rings,
    ):
        return False
    difference = np.abs(a.crystal_positions_mm() - b.crystal_positions_mm())
    return bool(difference.max() <= POSITION_TOLERANCE_MM)


def _error(problem: str, source: _Source, field: str) -> PositrixError:
    return PositrixError(
        problem,
        source=source,
        field=field,
        fix="pass scanner= with the matching geometry, or read detection bins with "
        "positrix.io.petsird.read_petsird_bins",
    )


def _single_module_type(info: petsird.ScannerInformation, source: _Source) -> Any:
    modules = info.scanner_geometry.replicated_modules
    if len(modules) != 1:
        raise _error(
            f"the scanner has {len(modules)} module types; Positrix scanners have one",
            source,
            f"{_GEOMETRY_FIELD}.replicated_modules",
        )
    replicated = modules[0]
    if not replicated.transforms or not replicated.object.detecting_elements.transforms:
        raise _error("the scanner has no detecting elements", source, _GEOMETRY_FIELD)
    return replicated


def _box_extent(shape: petsird.BoxShape, source: _Source) -> dict[str, float]:
    """Crystal size and mean depth of interaction from an axis-aligned box around the origin."""
    corners = np.asarray([c.c for c in shape.corners], dtype=np.float64)
    low, high = corners.min(axis=0), corners.max(axis=0)
    field = f"{_GEOMETRY_FIELD}.replicated_modules[0].object.detecting_elements.object"
    on_faces = np.isclose(corners, low, atol=1e-4) | np.isclose(corners, high, atol=1e-4)
    if corners.shape != (8, 3) or not on_faces.all():
        raise _error("the crystal is not an axis-aligned box", source, field)
    if abs(low[1] + high[1]) > 1e-4 or abs(low[2] + high[2]) > 1e-4 or not low[0] <= 0 <= high[0]:
        raise _error(
            "the crystal box is not centred on its element origin (Positrix writes the origin "
            "at the mean depth of interaction, centred across the crystal)",
            source,
            field,
        )
    size = high - low
    return {
        "width": float(size[1]),
        "height": float(size[2]),
        "depth": float(size[0]),
        "mean_doi": float(-low[0]),
    }


def _element_layout(matrices: NDArray[np.float64], source: _Source) -> dict[str, float]:
    """Rings, crystals per block, pitches and radius from the element transforms."""
    field = f"{_GEOMETRY_FIELD}.replicated_modules[0].object.detecting_elements.transforms"
    if np.abs(matrices[:, :, :3] - np.eye(3)).max() > 1e-5:
        raise _error("detecting elements are rotated within their module", source, field)
    shifts = matrices[:, :, 3]
    n_elements = shifts.shape[0]
    same_ring = np.abs(shifts[:, 2] - shifts[0, 2]) <= 1e-4
    cpb = int(np.argmin(same_ring)) if not same_ring.all() else n_elements
    if n_elements % cpb:
        raise _error(f"{n_elements} elements do not form rings of {cpb} crystals", source, field)
    grid = shifts.reshape(n_elements // cpb, cpb, 3)
    return {
        "crystals_per_block": cpb,
        "n_rings": n_elements // cpb,
        "radius": float(grid[..., 0].mean()),
        "transaxial_pitch": _pitch(grid[0, :, 1]),
        "axial_pitch": _pitch(grid[:, 0, 2]),
    }


def _pitch(values: NDArray[np.float64]) -> float:
    """Mean spacing of ``values`` (0 when there is only one)."""
    return float((values[-1] - values[0]) / (values.size - 1)) if values.size > 1 else 0.0


def _build_geometry(
    info: petsird.ScannerInformation,
    n_modules: int,
    layout: dict[str, float],
    box: dict[str, float],
    source: _Source,
) -> ScannerGeometry:
    energy = _window_edges(info.event_energy_bin_edges, "event_energy_bin_edges", source)
    tof = _window_edges(
        info.tof_bin_edges[0] if info.tof_bin_edges else [], "tof_bin_edges", source
    )
    window_ns = (tof[1] - tof[0]) * 2.0 / SPEED_OF_LIGHT_MM_PER_NS
    try:
        return ScannerGeometry(
            name=str(info.model_name) or "petsird",
            blocks_per_ring=n_modules,
            crystals_per_block=int(layout["crystals_per_block"]),
            n_rings=int(layout["n_rings"]),
            transaxial_pitch_mm=_snap(layout["transaxial_pitch"] or box["width"]),
            axial_pitch_mm=_snap(layout["axial_pitch"] or box["height"]),
            crystal_size_mm=(_snap(box["width"]), _snap(box["height"]), _snap(box["depth"])),
            ring_diameter_mm=_snap(2.0 * (layout["radius"] - box["mean_doi"])),
            mean_doi_mm=_snap(box["mean_doi"]),
            energy_window_kev=(_snap(energy[0]), _snap(energy[1])),
            coincidence_window_ns=_snap(window_ns),
        )
    except PositrixError as err:
        raise _error(
            f"the geometry is not a ring of flat blocks ({err.problem})", source, _GEOMETRY_FIELD
        ) from None


def _window_edges(edges_per_type: list[Any], name: str, source: _Source) -> tuple[float, float]:
    if not edges_per_type or np.asarray(edges_per_type[0].edges).size < 2:
        raise _error(f"the header has no {name}", source, f"scanner.{name}")
    edges = np.asarray(edges_per_type[0].edges, dtype=np.float64)
    return float(edges[0]), float(edges[-1])


def _snap(value: float, rel: float = 2e-6) -> float:
    """The shortest decimal within float32 rounding of ``value`` (1.5900001 → 1.59)."""
    tolerance = rel * max(abs(value), 1.0)
    for digits in range(10):
        rounded = round(value, digits)
        if abs(rounded - value) <= tolerance:
            return rounded
    return value


def _check_positions(
    info: petsird.ScannerInformation, geometry: ScannerGeometry, source: _Source
) -> None:
    stored = element_positions_mm(info)
    expected = _positions_by_module(geometry)
    distance = float(np.abs(stored - expected).max())
    if distance > POSITION_TOLERANCE_MM:
        raise _error(
            f"crystal positions differ from a ring of flat blocks by up to {distance:.3g} mm "
            "(Positrix maps module m to block m, element ring·crystals_per_block + k)",
            source,
            f"{_GEOMETRY_FIELD}.replicated_modules[0].transforms",
        )


def _positions_by_module(geometry: ScannerGeometry) -> NDArray[np.float64]:
    """Crystal positions as ``(module, element, 3)`` in the layout of :func:`scanner_to_petsird`."""
    cpb, blocks = geometry.crystals_per_block, geometry.blocks_per_ring
    positions = geometry.crystal_positions_mm().reshape(geometry.n_rings, blocks, cpb, 3)
    return positions.transpose(1, 0, 2, 3).reshape(blocks, geometry.n_rings * cpb, 3)


def _same_values(a: ScannerGeometry, b: ScannerGeometry, names: tuple[str, ...]) -> bool:
    """Fields ``names`` equal, floats within float32 rounding."""
    for name in names:
        left = np.atleast_1d(np.asarray(getattr(a, name), dtype=np.float64))
        right = np.atleast_1d(np.asarray(getattr(b, name), dtype=np.float64))
        if left.shape != right.shape or not np.allclose(left, right, rtol=1e-5, atol=1e-5):
            return False
    return True
