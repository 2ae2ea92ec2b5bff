"""Cylindrical block scanners: rings of flat detector blocks, crystals on a regular pitch.

Scanner frame (mm): x, y transaxial, z axial, origin at the centre of the field of view.
Crystal positions are taken at the mean depth of interaction behind the front face.

Built in (values from ``../shared/reference/scanners.md``):

- ``inveon`` — 16 blocks × 20 crystals per ring, 80 rings, pitch 1.59 mm, ring diameter
  161 mm, crystals 1.51 × 1.51 × 10 mm, mean depth of interaction 4.58 mm (CASToR's Inveon
  description), 350–625 keV, 3.432 ns (Bao et al. 2009; Kemp et al. 2009);
- ``nanoscan`` — 12 modules × 39 crystals per ring, 81 rings, pitch 1.17 mm, ring diameter
  174 mm, LYSO 1.12 mm crystals (Nagy et al. 2013); crystal depth not published there:
  13 mm assumed, mean depth of interaction 6.5 mm.

User scanners come from a TOML file with the same field names (:func:`load_scanner`).
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from positrix.errors import FileFormatError, PositrixError

__all__ = ["SCANNERS", "ScannerGeometry", "get_scanner", "load_scanner", "scanner_by_name_or_file"]


@dataclass(frozen=True)
class ScannerGeometry:
    """A cylindrical scanner made of flat blocks.

    Attributes
    ----------
    name
        Identifier.
    blocks_per_ring, crystals_per_block
        Transaxial layout: ``blocks_per_ring · crystals_per_block`` crystals per ring.
    n_rings
        Crystal rings along z.
    transaxial_pitch_mm, axial_pitch_mm
        Crystal pitch in mm.
    crystal_size_mm
        Crystal width, height and depth (radial) in mm.
    ring_diameter_mm
        Diameter at the crystal front faces (mm).
    mean_doi_mm
        Mean depth of interaction behind the front face (mm).
    energy_window_kev
        Lower and upper energy thresholds (keV).
    coincidence_window_ns
        Coincidence timing window (ns).
    detection_efficiency
        Probability that a 511 keV photon reaching a crystal face is recorded in the energy
        window (includes packing and block gaps); sets the nominal calibration.  For the
        built-in scanners it is chosen so that a point source at the centre (a Gaussian
        spot of one crystal pitch, :func:`positrix.quant.nema.performance.axial_sensitivity`)
        gives the published peak absolute sensitivity (``shared/reference/scanners.md``).
    tof_resolution_ps
        Coincidence time resolution (FWHM, ps); 0 for a scanner without time of flight.
    tof_bins, tof_bin_ps
        Time-of-flight bins of its sinograms and list-mode, and their width (ps).
    doi_layers
        Depth-of-interaction layers (1: none).
    energy_resolution
        Energy resolution FWHM/E at 511 keV (scatter and singles models).
    dead_time_ns
        Dead time of a detector block (ns) for its singles (0: none).
    dead_time_model
        ``paralysable`` or ``non-paralysable`` (:mod:`positrix.physics.count_rates`).
    pileup_ns
        Pulse integration time (ns): two photons in one block within it pile up and, their
        summed energy above the window, both are lost (0: no pile-up).
    rings_per_block, gap_rings
        Axial modules: blocks ``rings_per_block`` crystal rings long (0: square blocks, as
        many rings as crystals across), separated by ``gap_rings`` virtual rings — ring
        positions without crystals, of zero efficiency — so that the axial gaps between
        modules are whole multiples of the axial pitch (the virtual-crystal convention of
        clinical sinograms).  ``n_rings`` counts the virtual rings too and must be
        ``k·rings_per_block + (k − 1)·gap_rings``.
    """

    name: str
    blocks_per_ring: int
    crystals_per_block: int
    n_rings: int
    transaxial_pitch_mm: float
    axial_pitch_mm: float
    crystal_size_mm: tuple[float, float, float]
    ring_diameter_mm: float
    mean_doi_mm: float
    energy_window_kev: tuple[float, float] = (350.0, 650.0)
    coincidence_window_ns: float = 3.4
    detection_efficiency: float = 0.8
    tof_resolution_ps: float = 0.0
    tof_bins: int = 1
    tof_bin_ps: float = 0.0
    doi_layers: int = 1
    energy_resolution: float = 0.146
    dead_time_ns: float = 0.0
    dead_time_model: str = "paralysable"
    pileup_ns: float = 0.0
    rings_per_block: int = 0
    gap_rings: int = 0

    def __post_init__(self) -> None:
        for name in ("blocks_per_ring", "crystals_per_block", "n_rings"):
            if int(getattr(self, name)) < 1:
                raise PositrixError(f"{name} must be ≥ 1", field=name)
        if not 0 < float(self.detection_efficiency) <= 1:
            raise PositrixError(
                "detection_efficiency must be in (0, 1]", field="detection_efficiency"
            )
        for name in ("transaxial_pitch_mm", "axial_pitch_mm", "ring_diameter_mm"):
            if not float(getattr(self, name)) > 0:
                raise PositrixError(f"{name} must be > 0", field=name)
        self._check_crystals()
        self._check_timing()
        self._check_electronics()
        self._check_modules()
        # flat block faces at the ring radius meet at the corners of the regular polygon
        # whose side is D·tan(π/B): wider blocks would run into each other
        width = self.crystals_per_block * self.transaxial_pitch_mm
        side = self.ring_diameter_mm * np.tan(np.pi / self.blocks_per_ring)
        if self.blocks_per_ring < 3 or width > side * (1.0 + 1e-9):
            raise PositrixError(
                f"blocks {width:g} mm wide do not fit {self.blocks_per_ring} to a ring of "
                f"{self.ring_diameter_mm:g} mm (at most {side:.4g} mm each): they would overlap",
                field="crystals_per_block/transaxial_pitch_mm/ring_diameter_mm",
                fix="fewer crystals per block, a smaller pitch or a larger ring diameter",
            )

    def _check_crystals(self) -> None:
        width, height, depth = (float(v) for v in self.crystal_size_mm)
        if min(width, height, depth) <= 0:
            raise PositrixError("crystal sizes must be > 0 mm", field="crystal_size_mm")
        for size, pitch, key in (
            (width, self.transaxial_pitch_mm, "transaxial_pitch_mm"),
            (height, self.axial_pitch_mm, "axial_pitch_mm"),
        ):
            if size > float(pitch) * (1.0 + 1e-6):
                raise PositrixError(
                    f"crystals {size:g} mm wide on a {float(pitch):g} mm pitch would overlap",
                    field=f"crystal_size_mm/{key}",
                    fix="make the crystal no wider than its pitch (pitch = crystal + gap)",
                )
        if not 0 <= float(self.mean_doi_mm) <= depth:
            raise PositrixError(
                f"mean_doi_mm must lie within the {depth:g} mm crystal depth", field="mean_doi_mm"
            )
        if not 1 <= int(self.doi_layers) <= 16:
            raise PositrixError("doi_layers must be 1 (none) to 16", field="doi_layers")

    def _check_timing(self) -> None:
        low, high = (float(v) for v in self.energy_window_kev)
        if not 0 < low < 511.0 < high <= 1022.0:
            raise PositrixError(
                f"the energy window {low:g}–{high:g} keV must contain the 511 keV photopeak "
                "and lie within 0–1022 keV",
                field="energy_window_kev",
                fix="e.g. energy_window_kev = [350.0, 650.0]",
            )
        window_ps = float(self.coincidence_window_ns) * 1000.0
        if not window_ps > 0:
            raise PositrixError("coincidence_window_ns must be > 0", field="coincidence_window_ns")
        if not 0 <= float(self.tof_resolution_ps) < window_ps:
            raise PositrixError(
                "tof_resolution_ps must be ≥ 0 and shorter than the coincidence window",
                field="tof_resolution_ps",
            )
        if int(self.tof_bins) < 1:
            raise PositrixError("tof_bins must be ≥ 1", field="tof_bins")
        if int(self.tof_bins) > 1:
            if not float(self.tof_resolution_ps) > 0:
                raise PositrixError(
                    "TOF bins need a time resolution",
                    field="tof_resolution_ps",
                    fix="give tof_resolution_ps (FWHM, ps)",
                )
            if not 0 < float(self.tof_bin_ps) <= window_ps:
                raise PositrixError(
                    f"a TOF bin of {float(self.tof_bin_ps):g} ps is wider than the "
                    f"{window_ps:g} ps coincidence window (or not > 0)",
                    field="tof_bin_ps",
                    fix="use bins narrower than the coincidence window",
                )

    def _check_electronics(self) -> None:
        if not 0 < float(self.energy_resolution) < 1:
            raise PositrixError(
                "energy_resolution is FWHM/E at 511 keV and must lie in (0, 1)",
                field="energy_resolution",
                fix="e.g. energy_resolution = 0.146 for 14.6 %",
            )
        for name in ("dead_time_ns", "pileup_ns"):
            if not float(getattr(self, name)) >= 0:
                raise PositrixError(f"{name} must be ≥ 0 ns", field=name)
        if self.dead_time_model not in ("paralysable", "non-paralysable"):
            raise PositrixError(
                f"unknown dead_time_model '{self.dead_time_model}'",
                field="dead_time_model",
                fix='use "paralysable" or "non-paralysable"',
            )

    def _check_modules(self) -> None:
        per_block, gaps = int(self.rings_per_block), int(self.gap_rings)
        for name, value in (("rings_per_block", per_block), ("gap_rings", gaps)):
            if value < 0:
                raise PositrixError(f"{name} must be ≥ 0", field=name, fix="0 for none")
        if gaps == 0:
            return
        if per_block < 1:
            raise PositrixError(
                "gap_rings needs the blocks' length",
                field="rings_per_block",
                fix="give rings_per_block ≥ 1 (crystal rings per axial block)",
            )
        period = per_block + gaps
        if (self.n_rings + gaps) % period or self.n_rings < period + per_block:
            raise PositrixError(
                f"{self.n_rings} rings are not whole blocks of {per_block} ring(s) separated "
                f"by {gaps} gap ring(s)",
                field="n_rings/rings_per_block/gap_rings",
                fix="n_rings = k·rings_per_block + (k − 1)·gap_rings for k ≥ 2 blocks, e.g. "
                f"{2 * per_block + gaps}",
            )

    def detector_rings(self) -> NDArray[np.bool_]:
        """Whether each ring holds crystals (False for the virtual rings of axial gaps),
        ``(n_rings,)``."""
        rings = np.arange(self.n_rings)
        if int(self.gap_rings) == 0:
            return np.ones(self.n_rings, dtype=bool)
        return rings % (int(self.rings_per_block) + int(self.gap_rings)) < int(self.rings_per_block)

    def detector_mask(self) -> NDArray[np.float64]:
        """1 for crystals, 0 for the virtual ones in axial gaps,
        ``(n_rings, crystals_per_ring)``: the geometric part of every crystal efficiency."""
        return np.repeat(
            self.detector_rings().astype(np.float64)[:, None], self.crystals_per_ring, axis=1
        )

    @property
    def crystals_per_ring(self) -> int:
        """Crystals in one ring."""
        return self.blocks_per_ring * self.crystals_per_block

    @property
    def n_crystals(self) -> int:
        """All crystals."""
        return self.crystals_per_ring * self.n_rings

    @property
    def axial_fov_mm(self) -> float:
        """Axial extent of the crystal rings (mm)."""
        return self.n_rings * self.axial_pitch_mm

    def ring_z_mm(self) -> NDArray[np.float64]:
        """Axial centre of each ring (mm), shape ``(n_rings,)``."""
        return (np.arange(self.n_rings, dtype=np.float64) - (self.n_rings - 1) / 2.0) * float(
            self.axial_pitch_mm
        )

    def transaxial_positions_mm(self) -> NDArray[np.float64]:
        """x, y of each crystal of a ring at the mean depth of interaction, ``(n, 2)``.

        Block ``b`` faces the centre at angle ``2π b / blocks_per_ring``; its crystals lie on
        the flat block face, spaced by the transaxial pitch.
        """
        radius = self.ring_diameter_mm / 2.0 + self.mean_doi_mm
        angles = 2.0 * np.pi * np.arange(self.blocks_per_ring) / self.blocks_per_ring
        offsets = np.arange(self.crystals_per_block) - (self.crystals_per_block - 1) / 2.0
        offsets = offsets * self.transaxial_pitch_mm
        radial = np.stack([np.cos(angles), np.sin(angles)], axis=-1)  # (blocks, 2)
        tangent = np.stack([-np.sin(angles), np.cos(angles)], axis=-1)
        points = radius * radial[:, None, :] + offsets[None, :, None] * tangent[:, None, :]
        return points.reshape(-1, 2)

    def crystal_positions_mm(self) -> NDArray[np.float64]:
        """Centres of all crystals, shape ``(n_rings, crystals_per_ring, 3)``."""
        xy = self.transaxial_positions_mm()
        z = self.ring_z_mm()
        out = np.empty((self.n_rings, self.crystals_per_ring, 3))
        out[..., :2] = xy[None, :, :]
        out[..., 2] = z[:, None]
        return out

    def lor_endpoints(
        self,
        ring_1: NDArray[np.integer],
        crystal_1: NDArray[np.integer],
        ring_2: NDArray[np.integer],
        crystal_2: NDArray[np.integer],
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Endpoints (mm) of the LORs between crystal pairs, each ``(n, 3)``."""
        positions = self.crystal_positions_mm()
        return positions[ring_1, crystal_1], positions[ring_2, crystal_2]


SCANNERS: dict[str, ScannerGeometry] = {
    "inveon": ScannerGeometry(
        name="inveon",
        blocks_per_ring=16,
        crystals_per_block=20,
        n_rings=80,
        transaxial_pitch_mm=1.59,
        axial_pitch_mm=1.59,
        crystal_size_mm=(1.51, 1.51, 10.0),
        ring_diameter_mm=161.0,
        mean_doi_mm=4.58,
        energy_window_kev=(350.0, 625.0),
        coincidence_window_ns=3.432,
        detection_efficiency=0.3431,  # → 7.2 % peak absolute sensitivity (Bao 2009)
        # effective paralysable dead time per block: not published; chosen so that the
        # simulated NU 4 mouse sweep peaks at the published 1475 kcps (docs/simulation.md)
        dead_time_ns=780.0,
    ),
    "nanoscan": ScannerGeometry(
        name="nanoscan",
        blocks_per_ring=12,
        crystals_per_block=39,
        n_rings=81,
        transaxial_pitch_mm=1.17,
        axial_pitch_mm=1.17,
        crystal_size_mm=(1.12, 1.12, 13.0),
        ring_diameter_mm=174.0,
        mean_doi_mm=6.5,
        energy_window_kev=(400.0, 600.0),
        coincidence_window_ns=5.0,
        detection_efficiency=0.4531,  # → 8.41 % peak absolute sensitivity (Nagy 2013)
    ),
    # Not a real scanner: the Inveon's ring (Ø 161 mm) with 3.18 mm crystals and 32 rings
    # (102 mm axially), so that the demo and the tests reconstruct in seconds.  Its detection
    # efficiency is the default, not a published calibration.
    "demo-ring": ScannerGeometry(
        name="demo-ring",
        blocks_per_ring=16,
        crystals_per_block=10,
        n_rings=32,
        transaxial_pitch_mm=3.18,
        axial_pitch_mm=3.18,
        crystal_size_mm=(3.0, 3.0, 10.0),
        ring_diameter_mm=161.0,
        mean_doi_mm=4.58,
        energy_window_kev=(350.0, 625.0),
        coincidence_window_ns=3.432,
    ),
}


def get_scanner(name: str) -> ScannerGeometry:
    """A built-in scanner by name (case-insensitive)."""
    key = name.strip().lower()
    if key not in SCANNERS:
        raise PositrixError(
            f"unknown scanner '{name}'",
            field="--scanner",
            fix="use one of " + ", ".join(SCANNERS) + ", or a TOML file",
        )
    return SCANNERS[key]


#: The type each TOML key must have: int, float, str or a tuple of (length, float).
_KEY_TYPES: dict[str, Any] = {
    "name": str,
    "dead_time_model": str,
    "blocks_per_ring": int,
    "crystals_per_block": int,
    "n_rings": int,
    "crystal_size_mm": (3, float),
    "energy_window_kev": (2, float),
    "tof_bins": int,
    "doi_layers": int,
    "rings_per_block": int,
    "gap_rings": int,
}


def _typed(key: str, value: Any, path: Path) -> Any:
    """``value`` of TOML ``key`` as the field's type; a clear error names the key."""
    kind = _KEY_TYPES.get(key, float)

    def refuse(expected: str) -> FileFormatError:
        return FileFormatError(
            f"{key} = {value!r} is not {expected}", source=path, field=key, fix=f"write {expected}"
        )

    if kind is str:
        if not isinstance(value, str):
            raise refuse("a quoted name")
        return value
    if isinstance(kind, tuple):
        n = kind[0]
        numbers = isinstance(value, list) and len(value) == n
        if not numbers or not all(_is_number(v) for v in value):
            raise refuse(f"a list of {n} numbers, e.g. [{', '.join(['1.5'] * n)}]")
        return tuple(float(v) for v in value)
    if kind is int:
        if not (_is_number(value) and float(value).is_integer()):
            raise refuse("a whole number, e.g. 16")
        return int(value)
    if not _is_number(value):
        raise refuse("a number, e.g. 3.18")
    return float(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def load_scanner(path: str | Path) -> ScannerGeometry:
    """A scanner from a TOML file whose keys are the :class:`ScannerGeometry` fields."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise FileFormatError(
            f"cannot read the scanner file ({err})",
            source=path,
            fix="repair the TOML (see docs/examples/mini.toml for the keys)",
        ) from None
    known = {f.name for f in fields(ScannerGeometry)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise FileFormatError(
            f"unknown key(s) {', '.join(unknown)}",
            source=path,
            field=unknown[0],
            fix="use: " + ", ".join(sorted(known)),
        )
    missing = sorted(
        k
        for k in known - set(data)
        if k
        not in (
            "energy_window_kev",
            "coincidence_window_ns",
            "detection_efficiency",
            "tof_resolution_ps",
            "tof_bins",
            "tof_bin_ps",
            "doi_layers",
            "energy_resolution",
            "dead_time_ns",
            "dead_time_model",
            "pileup_ns",
            "rings_per_block",
            "gap_rings",
        )
    )
    if missing:
        raise FileFormatError(f"missing key(s) {', '.join(missing)}", source=path, field=missing[0])
    data = {key: _typed(key, value, path) for key, value in data.items()}
    try:
        return ScannerGeometry(**data)
    except PositrixError as err:
        fix = err.fix or f"correct {err.field} in the scanner file"
        raise PositrixError(err.problem, source=path, field=err.field, fix=fix) from None


def scanner_by_name_or_file(text: str) -> ScannerGeometry:
    """A scanner TOML file (``….toml``) or a built-in name."""
    return load_scanner(text) if str(text).endswith(".toml") else get_scanner(text)
