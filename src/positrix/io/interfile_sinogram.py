"""3D sinograms as STIR-style Interfile projection data (``name.hs`` + ``name.s``).

Keys follow STIR: ``matrix axis label [4..1]`` = segment, view (or axial coordinate), axial
coordinate (or view), tangential coordinate; ``matrix size [2]`` (or [3]) lists the axial
positions of each segment; ``minimum/maximum ring difference per segment`` identify the
segments, which are mapped onto :class:`positrix.geometry.sinogram.SinogramLayout` by their
ring differences.  Views and tangential positions are taken in the layout's own order and
convention (files written by Positrix; for files from other software the counts must match
and the transaxial conventions are assumed to agree).  Written files store segments in the
layout's order as ``segment, axial coordinate, view, tangential coordinate``, float32.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike, NDArray

from positrix.errors import FileFormatError, MissingFieldError
from positrix.geometry.scanner import ScannerGeometry
from positrix.geometry.sinogram import SinogramLayout
from positrix.io.interfile import parse_interfile_header
from positrix.io.safety import check_writable

__all__ = ["InterfileSinogram", "read_sinogram", "write_sinogram"]

_TYPES = {
    ("float", 4): "f4",
    ("float", 8): "f8",
    ("signed integer", 2): "i2",
    ("signed integer", 4): "i4",
    ("unsigned integer", 2): "u2",
}


@dataclass(frozen=True)
class InterfileSinogram:
    """Sinogram data in the layout's order, with the header's timing and nuclide if given."""

    layout: SinogramLayout
    data: NDArray[np.float32]
    duration_s: float | None
    nuclide: str | None


def _list(text: str | dict[int, str] | None, path: Path, key: str) -> list[int]:
    if not isinstance(text, str):
        raise MissingFieldError(f"no '{key}'", source=path, field=key)
    try:
        return [int(v) for v in text.strip().strip("{}").split(",")]
    except ValueError:
        raise FileFormatError(
            f"'{key}' is not a list of integers", source=path, field=key
        ) from None


def read_sinogram(path: str | Path, scanner: ScannerGeometry) -> InterfileSinogram:
    """Read a ``.hs`` projection-data header and its data for ``scanner``."""
    path = Path(path)
    header = parse_interfile_header(path)
    labels = header.get("matrix axis label")
    sizes = header.get("matrix size")
    if not isinstance(labels, dict) or not isinstance(sizes, dict) or len(labels) != 4:
        raise FileFormatError(
            "not 4-D projection data (matrix axis label [1..4])",
            source=path,
            field="matrix axis label",
        )
    names = {i: labels[i].strip().lower() for i in labels}
    if names.get(4) != "segment" or names.get(1) != "tangential coordinate":
        raise FileFormatError(
            "axes must be segment, …, tangential coordinate", source=path, field="matrix axis label"
        )
    view_first = names.get(3) == "view"
    axial_key = 2 if view_first else 3
    lows = _list(
        header.get("minimum ring difference per segment"),
        path,
        "minimum ring difference per segment",
    )
    highs = _list(
        header.get("maximum ring difference per segment"),
        path,
        "maximum ring difference per segment",
    )
    axial = _list(sizes.get(axial_key), path, f"matrix size [{axial_key}]")
    n_views = int(sizes[3 if view_first else 2])
    n_radial = int(sizes[1])
    span = max(h - low + 1 for low, h in zip(lows, highs, strict=True))
    layout = SinogramLayout(scanner, n_radial=n_radial, span=span, max_ring_difference=max(highs))
    if n_views != layout.n_views or sorted(zip(lows, highs, strict=True)) != sorted(
        layout.segments
    ):
        raise FileFormatError(
            f"the sinogram (views {n_views}, segments {list(zip(lows, highs, strict=True))}) "
            f"does not fit scanner '{scanner.name}' (views {layout.n_views}, segments "
            f"{list(layout.segments)})",
            source=path,
            field="matrix size",
            fix="give the scanner the data were acquired on",
        )
    kind = (
        str(header.get("number format", "float")).lower(),
        int(str(header.get("number of bytes per pixel", "4"))),
    )
    if kind not in _TYPES:
        raise FileFormatError(
            f"unsupported number format {kind}", source=path, field="number format"
        )
    order = "<" if "little" in str(header.get("imagedata byte order", "little")).lower() else ">"
    data_name = header.get("name of data file")
    if not isinstance(data_name, str):
        raise MissingFieldError("no 'name of data file'", source=path, field="name of data file")
    data_path = path.parent / data_name.strip()
    values = np.fromfile(data_path, dtype=order + _TYPES[kind]) if data_path.exists() else None
    total = sum(axial) * n_views * n_radial
    if values is None or values.size != total:
        raise FileFormatError(
            f"data file should hold {total} values", source=data_path, field="name of data file"
        )
    out = np.empty(layout.shape, np.float32)
    offset = 0
    for low, high, count in zip(lows, highs, axial, strict=True):
        seg = layout.segments.index((low, high))
        first, last = layout.segment_planes[seg], layout.segment_planes[seg + 1]
        if count != last - first:
            raise FileFormatError(
                f"segment {low}…{high} has {count} axial positions, the layout {last - first}",
                source=path,
                field="matrix size",
            )
        block = values[offset : offset + count * n_views * n_radial]
        if view_first:
            block = block.reshape(n_views, count, n_radial).transpose(1, 0, 2)
        out[first:last] = block.reshape(count, n_views, n_radial)
        offset += block.size
    duration = header.get("image duration (sec)")
    isotope = header.get("isotope name")
    return InterfileSinogram(
        layout,
        out,
        float(duration) if isinstance(duration, str) and duration.strip() else None,
        isotope.strip() if isinstance(isotope, str) and isotope.strip() else None,
    )


def write_sinogram(
    path: str | Path,
    layout: SinogramLayout,
    sinogram: ArrayLike,
    *,
    duration_s: float | None = None,
    nuclide: str | None = None,
    overwrite: bool = False,
) -> list[Path]:
    """Write ``sinogram`` as ``path`` (``.hs``) and its ``.s`` data file."""
    path = Path(path)
    if path.suffix != ".hs":
        raise FileFormatError("sinogram headers end in .hs", source=path, field="path")
    data = layout.check(sinogram)
    target = path.with_suffix(".s")
    check_writable([path, target], overwrite=overwrite)
    counts = np.diff(layout.segment_planes)
    lines = [
        "!INTERFILE :=",
        f"name of data file := {target.name}",
        "originating system := positrix",
        "!GENERAL DATA :=",
        "!GENERAL IMAGE DATA :=",
        "!type of data := PET",
        "imagedata byte order := LITTLEENDIAN",
        "!PET STUDY (General) :=",
        "!PET data type := Emission",
        "!number format := float",
        "!number of bytes per pixel := 4",
        "number of dimensions := 4",
        "matrix axis label [4] := segment",
        f"!matrix size [4] := {len(layout.segments)}",
        "matrix axis label [3] := axial coordinate",
        "!matrix size [3] := {" + ",".join(str(c) for c in counts) + "}",
        "matrix axis label [2] := view",
        f"!matrix size [2] := {layout.n_views}",
        "matrix axis label [1] := tangential coordinate",
        f"!matrix size [1] := {layout.n_radial}",
        "minimum ring difference per segment := {"
        + ",".join(str(s[0]) for s in layout.segments)
        + "}",
        "maximum ring difference per segment := {"
        + ",".join(str(s[1]) for s in layout.segments)
        + "}",
        f"number of rings := {layout.scanner.n_rings}",
        f"number of detectors per ring := {layout.scanner.crystals_per_ring}",
        f"scanner type := {layout.scanner.name}",
    ]
    if duration_s is not None:
        lines.append(f"image duration (sec) := {duration_s:g}")
    if nuclide is not None:
        lines.append(f"isotope name := {nuclide}")
    lines.append("!END OF INTERFILE :=")
    data.astype("<f4").tofile(target)
    path.write_text("\n".join(lines) + "\n", encoding="latin-1")
    return [path, target]
