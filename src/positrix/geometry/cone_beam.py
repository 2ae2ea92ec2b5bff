"""Circular-orbit cone-beam CT geometry (flat panel), built in or read from TOML.

Frame: the scanner frame of ``DESIGN.md`` (x, y transaxial, z the rotation axis, origin at
the isocentre).  At gantry angle θ the source sits at ``SID·(cos θ, sin θ, 0)`` and the
detector centre at ``−(SDD − SID)·(cos θ, sin θ, 0)`` shifted by ``detector_offset_mm``
along the panel's u (transaxial, ``(−sin θ, cos θ, 0)``) and v (z) axes; ``tilt_deg``
rotates the panel in its own plane.  Detector pixel (row, col) has centre
``((col − (cols − 1)/2)·pitch, (row − (rows − 1)/2)·pitch)`` in (u, v) before the offset.

TOML keys (``positrix ct recon --geometry G``): ``source_to_isocenter_mm``,
``source_to_detector_mm``, ``detector_rows``, ``detector_cols``, ``pixel_pitch_mm``,
``angles_deg`` (a list, or a table ``{start, stop, count}`` with ``stop`` excluded),
optional ``detector_offset_mm = [u, v]``, ``tilt_deg``, ``name``, and the output grid
``voxels = [nx, ny, nz]`` and ``voxel_size_mm`` (default: the field of view at the
detector's pixel size divided by the magnification).
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from positrix.errors import FileFormatError, PositrixError

__all__ = ["CT_GEOMETRIES", "ConeBeamGeometry", "get_ct_geometry", "load_ct_geometry"]


@dataclass(frozen=True)
class ConeBeamGeometry:
    """A circular cone-beam scan.

    Attributes
    ----------
    source_to_isocenter_mm, source_to_detector_mm
        SID and SDD in mm (SDD > SID > 0).
    detector_rows, detector_cols
        Panel pixels along v (axial) and u (transaxial).
    pixel_pitch_mm
        Panel pixel size in mm (square pixels).
    angles_deg
        Gantry angles in degrees, shape ``(n_angles,)``.
    detector_offset_mm
        Panel centre shift (u, v) in mm.
    tilt_deg
        In-plane panel rotation in degrees.
    voxels, voxel_size_mm
        Output grid (nx, ny, nz) and its voxel size in mm; ``None`` for the default.
    name
        A label.
    """

    source_to_isocenter_mm: float
    source_to_detector_mm: float
    detector_rows: int
    detector_cols: int
    pixel_pitch_mm: float
    angles_deg: tuple[float, ...]
    detector_offset_mm: tuple[float, float] = (0.0, 0.0)
    tilt_deg: float = 0.0
    voxels: tuple[int, int, int] | None = None
    voxel_size_mm: float | None = None
    name: str = "custom"

    def __post_init__(self) -> None:
        sid, sdd = self.source_to_isocenter_mm, self.source_to_detector_mm
        if not (math.isfinite(sid) and math.isfinite(sdd) and 0 < sid < sdd):
            raise PositrixError(
                f"source_to_isocenter_mm = {sid} and source_to_detector_mm = {sdd}",
                field="source_to_detector_mm",
                fix="both in mm with 0 < source_to_isocenter_mm < source_to_detector_mm",
            )
        if self.detector_rows < 1 or self.detector_cols < 1:
            raise PositrixError(
                f"a {self.detector_rows} × {self.detector_cols} detector",
                field="detector_rows",
                fix="give the panel's pixel counts (≥ 1)",
            )
        if not (math.isfinite(self.pixel_pitch_mm) and self.pixel_pitch_mm > 0):
            raise PositrixError(
                f"pixel_pitch_mm = {self.pixel_pitch_mm}", field="pixel_pitch_mm", fix="> 0 mm"
            )
        if len(self.angles_deg) < 2 or not all(math.isfinite(a) for a in self.angles_deg):
            raise PositrixError(
                f"{len(self.angles_deg)} projection angle(s)",
                field="angles_deg",
                fix="give at least 2 finite angles in degrees",
            )
        if self.voxel_size_mm is not None and not self.voxel_size_mm > 0:
            raise PositrixError(
                f"voxel_size_mm = {self.voxel_size_mm}", field="voxel_size_mm", fix="> 0 mm"
            )
        if self.voxels is not None and any(n < 1 for n in self.voxels):
            raise PositrixError(f"voxels = {self.voxels}", field="voxels", fix="three counts ≥ 1")

    @property
    def magnification(self) -> float:
        """SDD / SID."""
        return self.source_to_detector_mm / self.source_to_isocenter_mm

    @property
    def angles_rad(self) -> NDArray[np.float64]:
        """Gantry angles in radians, shape ``(n_angles,)``."""
        return np.deg2rad(np.asarray(self.angles_deg, dtype=np.float64))

    @property
    def fov_radius_mm(self) -> float:
        """Radius of the cylinder every projection sees: SID · sin(atan(half width / SDD))."""
        half = self.detector_cols * self.pixel_pitch_mm / 2.0 - abs(self.detector_offset_mm[0])
        return self.source_to_isocenter_mm * math.sin(math.atan2(half, self.source_to_detector_mm))

    @property
    def fov_length_mm(self) -> float:
        """Axial extent seen at the isocentre: panel height / magnification."""
        return self.detector_rows * self.pixel_pitch_mm / self.magnification

    @property
    def projection_shape(self) -> tuple[int, int, int]:
        """Shape of a projection stack: (angles, rows, columns)."""
        return (len(self.angles_deg), self.detector_rows, self.detector_cols)

    def check_projections(self, shape: tuple[int, ...]) -> None:
        """Refuse a projection stack whose shape is not :attr:`projection_shape`."""
        if tuple(shape) != self.projection_shape:
            raise PositrixError(
                f"a projection stack of {' × '.join(map(str, shape))}; the geometry "
                f"'{self.name}' expects {' × '.join(map(str, self.projection_shape))} "
                "(angles × rows × columns)",
                field="PROJECTIONS",
                fix="check angles_deg, detector_rows and detector_cols in the geometry file",
            )

    def grid(self) -> tuple[tuple[int, int, int], float]:
        """Output grid (nx, ny, nz) and voxel size (mm): as given, or the field of view at
        the detector pixel size over the magnification."""
        size = self.voxel_size_mm or self.pixel_pitch_mm / self.magnification
        if self.voxels is not None:
            return self.voxels, size
        n_xy = max(1, math.ceil(2.0 * self.fov_radius_mm / size))
        n_z = max(1, math.ceil(self.fov_length_mm / size))
        return (n_xy, n_xy, n_z), size


#: Built-in geometries (typical small-animal micro-CTs; round numbers, not a vendor's).
CT_GEOMETRIES: dict[str, ConeBeamGeometry] = {
    "microct-mouse": ConeBeamGeometry(
        source_to_isocenter_mm=200.0,
        source_to_detector_mm=350.0,
        detector_rows=512,
        detector_cols=512,
        pixel_pitch_mm=0.1,
        name="microct-mouse",
        angles_deg=tuple(float(a) for a in np.arange(360) * 1.0),
    ),
    "microct-rat": ConeBeamGeometry(
        source_to_isocenter_mm=250.0,
        source_to_detector_mm=400.0,
        detector_rows=768,
        detector_cols=768,
        pixel_pitch_mm=0.127,
        name="microct-rat",
        angles_deg=tuple(float(a) for a in np.arange(360) * 1.0),
    ),
}


def get_ct_geometry(name: str) -> ConeBeamGeometry:
    """A built-in cone-beam geometry by name (case-insensitive)."""
    key = name.strip().lower()
    if key not in CT_GEOMETRIES:
        raise PositrixError(
            f"unknown CT geometry '{name}'",
            field="--geometry",
            fix="use one of " + ", ".join(CT_GEOMETRIES) + ", or a TOML file",
        )
    return CT_GEOMETRIES[key]


_REQUIRED = (
    "source_to_isocenter_mm",
    "source_to_detector_mm",
    "detector_rows",
    "detector_cols",
    "pixel_pitch_mm",
    "angles_deg",
)
_OPTIONAL = ("detector_offset_mm", "tilt_deg", "voxels", "voxel_size_mm", "name")


def _number(value: Any, key: str, path: Path, *, whole: bool = False) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or (whole and not float(value).is_integer()):
        what = "a whole number, e.g. 512" if whole else "a number, e.g. 0.1"
        raise FileFormatError(
            f"{key} = {value!r} is not {what}", source=path, field=key, fix=f"write {what}"
        )
    return float(value)


def _angles(value: Any, path: Path) -> tuple[float, ...]:
    if isinstance(value, dict):
        if set(value) != {"start", "stop", "count"}:
            raise FileFormatError(
                f"angles_deg = {value!r}",
                source=path,
                field="angles_deg",
                fix="a list of degrees, or {start = 0, stop = 360, count = 360}",
            )
        start, stop = (
            _number(value["start"], "angles_deg.start", path),
            _number(value["stop"], "angles_deg.stop", path),
        )
        count = int(_number(value["count"], "angles_deg.count", path, whole=True))
        return tuple(float(a) for a in start + (stop - start) * np.arange(count) / max(count, 1))
    if isinstance(value, list):
        return tuple(_number(v, "angles_deg", path) for v in value)
    raise FileFormatError(
        f"angles_deg = {value!r}",
        source=path,
        field="angles_deg",
        fix="a list of degrees, or {start = 0, stop = 360, count = 360}",
    )


def load_ct_geometry(path: str | Path) -> ConeBeamGeometry:
    """A cone-beam geometry from a TOML file (keys in the module docstring).

    Raises
    ------
    FileFormatError
        Naming the file, the key and the fix.
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise FileFormatError(f"cannot read the geometry file ({err})", source=path,
                              fix="repair the TOML") from None  # fmt: skip
    unknown = sorted(set(data) - set(_REQUIRED) - set(_OPTIONAL))
    missing = [k for k in _REQUIRED if k not in data]
    if unknown or missing:
        key = (unknown or missing)[0]
        raise FileFormatError(
            f"{'unknown' if unknown else 'missing'} key(s) {', '.join(unknown or missing)}",
            source=path,
            field=key,
            fix="keys: " + ", ".join(_REQUIRED + _OPTIONAL),
        )
    offset = data.get("detector_offset_mm", [0.0, 0.0])
    voxels = data.get("voxels")
    if not (isinstance(offset, list) and len(offset) == 2):
        raise FileFormatError(
            f"detector_offset_mm = {offset!r}",
            source=path,
            field="detector_offset_mm",
            fix="[u, v] in mm",
        )
    if voxels is not None and not (isinstance(voxels, list) and len(voxels) == 3):
        raise FileFormatError(
            f"voxels = {voxels!r}", source=path, field="voxels", fix="[nx, ny, nz]"
        )
    try:
        return ConeBeamGeometry(
            source_to_isocenter_mm=_number(
                data["source_to_isocenter_mm"], "source_to_isocenter_mm", path
            ),
            source_to_detector_mm=_number(
                data["source_to_detector_mm"], "source_to_detector_mm", path
            ),
            detector_rows=int(_number(data["detector_rows"], "detector_rows", path, whole=True)),
            detector_cols=int(_number(data["detector_cols"], "detector_cols", path, whole=True)),
            pixel_pitch_mm=_number(data["pixel_pitch_mm"], "pixel_pitch_mm", path),
            angles_deg=_angles(data["angles_deg"], path),
            detector_offset_mm=(
                _number(offset[0], "detector_offset_mm", path),
                _number(offset[1], "detector_offset_mm", path),
            ),
            tilt_deg=_number(data.get("tilt_deg", 0.0), "tilt_deg", path),
            voxels=None
            if voxels is None
            else tuple(  # type: ignore[arg-type]
                int(_number(v, "voxels", path, whole=True)) for v in voxels
            ),
            voxel_size_mm=None
            if "voxel_size_mm" not in data
            else _number(data["voxel_size_mm"], "voxel_size_mm", path),
            name=str(data.get("name", path.stem)),
        )
    except FileFormatError:
        raise
    except PositrixError as err:
        raise PositrixError(err.problem, source=path, field=err.field, fix=err.fix) from None
