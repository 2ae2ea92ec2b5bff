"""A NEMA NU 4 count-rate sweep described in TOML: the scanner, the phantom and, per
acquisition, its prompt (and delayed) sinograms, start activity and duration::

    scanner = "inveon"          # built-in name or a scanner TOML (relative to this file)
    phantom = "mouse"           # or "rat"
    nuclide = "F-18"
    span = 3                    # layout of .npy sinograms (Interfile headers carry theirs)

    [[acquisition]]
    prompts = "a01.hs"          # Interfile projection data, or .npy in the layout's order
    delayeds = "a01_delayed.hs" # optional: randoms by the delayed window
    start_activity_MBq = 120.0
    duration_s = 60.0

    [[acquisition]]
    listmode = "a02.petsird"    # or PETSIRD list mode: prompts and delayeds histogrammed
    start_activity_MBq = 80.0   # duration_s: the file's own unless given

Every sinogram is single-slice rebinned (counts summed, not averaged) to the scanner's
``2·n_rings − 1`` direct planes.  Errors name the file, the acquisition and the key.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from positrix.errors import FileFormatError
from positrix.geometry.scanner import ScannerGeometry, get_scanner, load_scanner
from positrix.geometry.sinogram import SinogramLayout, histogram_events, ssrb, ssrb_plane_z_mm
from positrix.io.toml_file import read_toml

__all__ = ["CountRateSweep", "read_sweep"]


@dataclass(frozen=True)
class CountRateSweep:
    """Rebinned sinograms of a sweep and what the analysis needs to read them."""

    scanner: ScannerGeometry
    phantom: str
    nuclide: str
    prompts: list[NDArray[np.float32]]
    delayeds: list[NDArray[np.float32]] | None
    start_activity_mbq: NDArray[np.float64]
    duration_s: NDArray[np.float64]
    radial_mm: NDArray[np.float64]
    plane_z_mm: NDArray[np.float64]


def _number(row: dict[str, Any], key: str, path: Path, index: int) -> float:
    value = row.get(key)
    if not isinstance(value, int | float) or isinstance(value, bool) or not value > 0:
        raise FileFormatError(
            f"acquisition {index + 1}: '{key}' must be a number > 0",
            source=path,
            field=key,
            fix=f"e.g. {key} = 60.0",
        )
    return float(value)


def _sinogram(file: Path, scanner: ScannerGeometry, span: int, source: Path) -> NDArray:
    if not file.exists():
        raise FileFormatError(f"no sinogram {file}", source=source, field="prompts/delayeds")
    if file.suffix == ".npy":
        layout = SinogramLayout(scanner, span=span)
        return ssrb(layout, np.load(file), average=False)
    from positrix.io.interfile_sinogram import read_sinogram

    read = read_sinogram(file, scanner)
    return ssrb(read.layout, read.data, average=False)


def _listmode(
    file: Path, scanner: ScannerGeometry, span: int, source: Path
) -> tuple[NDArray, NDArray | None, float]:
    """Rebinned prompts, delayeds (None without delayed events) and duration (s) of a
    PETSIRD list-mode acquisition."""
    if not file.exists():
        raise FileFormatError(f"no list-mode file {file}", source=source, field="listmode")
    from positrix.io.petsird import read_petsird

    events = read_petsird(file, scanner=scanner)
    layout = SinogramLayout(scanner, span=span)
    rebinned = []
    for flag in (True, False):
        chosen = events.prompt == flag
        counts = histogram_events(
            layout,
            events.ring_1[chosen],
            events.crystal_1[chosen],
            events.ring_2[chosen],
            events.crystal_2[chosen],
        )
        rebinned.append(ssrb(layout, counts, average=False))
    delayeds = rebinned[1] if np.any(~events.prompt) else None
    return rebinned[0], delayeds, float(events.duration_s)


def read_sweep(path: str | Path) -> CountRateSweep:
    """Read and rebin a sweep file (module docstring)."""
    path = Path(path)
    spec = read_toml(path)
    name = spec.get("scanner")
    if not isinstance(name, str):
        raise FileFormatError("no scanner", source=path, field="scanner", fix='scanner = "inveon"')
    scanner = load_scanner(path.parent / name) if name.endswith(".toml") else get_scanner(name)
    rows = spec.get("acquisition")
    if not isinstance(rows, list) or not rows:
        raise FileFormatError(
            "no [[acquisition]] tables",
            source=path,
            field="acquisition",
            fix="one [[acquisition]] per activity level, with prompts, start_activity_MBq, "
            "duration_s",
        )
    if not all(isinstance(row, dict) for row in rows):
        raise FileFormatError(
            "acquisition must be a list of tables",
            source=path,
            field="acquisition",
            fix="write each acquisition as an [[acquisition]] table",
        )
    rows = [dict(row) for row in rows]
    span = int(spec.get("span", 3))
    prompts, delayeds = [], []
    for index, row in enumerate(rows):
        if "listmode" in row:
            if "prompts" in row or "delayeds" in row:
                raise FileFormatError(
                    f"acquisition {index + 1} gives both list mode and sinograms",
                    source=path,
                    field="listmode",
                    fix="keep either listmode or prompts (and delayeds)",
                )
            if not isinstance(row["listmode"], str):
                raise FileFormatError(
                    f"acquisition {index + 1}: listmode must be a file name",
                    source=path,
                    field="listmode",
                    fix='listmode = "a01.petsird"',
                )
            sinogram, delayed, duration = _listmode(
                path.parent / row["listmode"], scanner, span, path
            )
            prompts.append(sinogram)
            if delayed is not None:
                delayeds.append(delayed)
            rows[index] = {"duration_s": duration, **row}
            continue
        if "prompts" not in row:
            raise FileFormatError(
                f"acquisition {index + 1} has no prompts",
                source=path,
                field="prompts",
                fix="prompts = FILE (.hs or .npy) or listmode = FILE (PETSIRD)",
            )
        prompts.append(_sinogram(path.parent / row["prompts"], scanner, span, path))
        if "delayeds" in row:
            delayeds.append(_sinogram(path.parent / row["delayeds"], scanner, span, path))
    if delayeds and len(delayeds) != len(prompts):
        raise FileFormatError(
            f"delayed coincidences for {len(delayeds)} of {len(prompts)} acquisitions",
            source=path,
            field="delayeds",
            fix="give delayeds (or list-mode files with delayed events) for every acquisition "
            "or for none",
        )
    layout = SinogramLayout(scanner, span=span)
    planes = ssrb_plane_z_mm(scanner)
    return CountRateSweep(
        scanner,
        str(spec.get("phantom", "mouse")),
        str(spec.get("nuclide", "F-18")),
        prompts,
        delayeds or None,
        np.array([_number(r, "start_activity_MBq", path, i) for i, r in enumerate(rows)]),
        np.array([_number(r, "duration_s", path, i) for i, r in enumerate(rows)]),
        layout.radial_mm(),
        planes,
    )
