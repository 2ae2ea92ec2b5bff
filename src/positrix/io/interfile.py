"""Interfile 3.3 images in the STIR dialect (``name.hv`` header + ``name.v`` data).

Axes ``[1], [2], [3]`` are ``x, y, z`` = ``i, j, k``; ``x`` varies fastest in the data file.
World position of voxel ``(i, j, k)`` = ``first pixel offset + index · scaling factor`` (mm),
axis-aligned and taken as LPS.  Frames follow STIR's ``image relative start time (sec)[f]``
and ``image duration (sec)[f]``.  Positrix adds keys that STIR ignores for what Interfile has
no key for (``quantification units`` as text, ``positrix acquisition start``,
``positrix decay reference``, ``isotope name``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from positrix.errors import FileFormatError
from positrix.image.frames import FrameTable
from positrix.image.image import Image
from positrix.image.orient import reorient
from positrix.io.raw import read_raw_volume, write_raw_frames
from positrix.io.safety import check_writable
from positrix.physics.injection import Injection
from positrix.physics.nuclides import get_nuclide
from positrix.physics.units import parse_iso_datetime

__all__ = ["is_interfile_header", "parse_interfile_header", "read_interfile", "write_interfile"]

_KEY = re.compile(r"^\s*!?\s*(?P<key>[^:=]*?)\s*(\[(?P<index>\d+)\])?\s*:=\s*(?P<value>.*?)\s*$")

_FORMATS = {
    ("float", 4): "f4",
    ("short float", 4): "f4",
    ("long float", 8): "f8",
    ("float", 8): "f8",
    ("signed integer", 2): "i2",
    ("signed integer", 4): "i4",
    ("unsigned integer", 1): "u1",
    ("unsigned integer", 2): "u2",
    ("unsigned integer", 4): "u4",
}


def is_interfile_header(path: Path) -> bool:
    """Whether the file starts with ``!INTERFILE``."""
    try:
        with open(path, "rb") as handle:
            return handle.read(64).lstrip().upper().startswith(b"!INTERFILE")
    except OSError:
        return False


def parse_interfile_header(path: Path) -> dict[str, str | dict[int, str]]:
    """Header keys (lower case, single spaces, no ``!``) → value.

    Indexed keys such as ``matrix size [1]`` map to ``{index: value}``.
    """
    header: dict[str, str | dict[int, str]] = {}
    for line in path.read_text(encoding="latin-1").splitlines():
        line = line.split(";", 1)[0]
        match = _KEY.match(line)
        if not match:
            continue
        key = " ".join(match["key"].lower().split())
        value = match["value"]
        if match["index"] is not None:
            slot = header.setdefault(key, {})
            if isinstance(slot, dict):
                slot[int(match["index"])] = value
        else:
            header[key] = value
    return header


def _frame_offset(
    header: dict[str, str | dict[int, str]], path: Path, frame: int, frame_bytes: int
) -> int:
    """Byte offset of a frame: its own ``data offset in bytes[f]``, else contiguous frames
    after the one unindexed offset (or 0)."""
    value = header.get("data offset in bytes")
    if isinstance(value, dict) and frame in value:
        return int(_value(header, "data offset in bytes", path, frame, kind=int))
    base = (
        0
        if isinstance(value, dict) or not value
        else _value(header, "data offset in bytes", path, kind=int)
    )
    return int(base) + (frame - 1) * frame_bytes


def _get(
    header: dict[str, str | dict[int, str]],
    key: str,
    path: Path,
    index: int | None = None,
    default: str | None = None,
) -> str:
    value = header.get(key)
    if isinstance(value, dict):
        value = value.get(index if index is not None else 1)
    if value is None or value == "":
        if default is not None:
            return default
        raise FileFormatError(
            "required key is missing",
            source=path,
            field=key if index is None else f"{key}[{index}]",
            fix="add it to the header",
        )
    return value


def _value(
    header: dict[str, str | dict[int, str]],
    key: str,
    path: Path,
    index: int | None = None,
    default: str | None = None,
    *,
    kind: type = float,
) -> Any:
    """A numeric header value (``kind`` int or float) with a clear error if it is not one."""
    text = _get(header, key, path, index, default)
    try:
        number = float(text)
        if kind is int and number != int(number):
            raise ValueError
        return kind(number)
    except ValueError:
        field = key if index is None else f"{key}[{index}]"
        raise FileFormatError(
            f"'{text}' is not {'a whole number' if kind is int else 'a number'}",
            source=path,
            field=field,
            fix="correct the header value",
        ) from None


def read_interfile(path: str | Path) -> Image:
    """Read an Interfile image (``.hv`` header; the data file named in it)."""
    path = Path(path)
    header = parse_interfile_header(path)
    data_name = _get(header, "name of data file", path)
    data_path = (path.parent / data_name).resolve()
    number_format = _get(header, "number format", path, default="float").lower()
    n_bytes = _value(header, "number of bytes per pixel", path, default="4", kind=int)
    code = _FORMATS.get((number_format, n_bytes))
    if code is None:
        raise FileFormatError(
            f"unsupported number format '{number_format}' with {n_bytes} bytes",
            source=path,
            field="number format",
        )
    order = _get(header, "imagedata byte order", path, default="LITTLEENDIAN").upper()
    dtype = np.dtype(("<" if order.startswith("LITTLE") else ">") + code)
    shape = tuple(_value(header, "matrix size", path, i, kind=int) for i in (1, 2, 3))
    sizes = [_value(header, "scaling factor (mm/pixel)", path, i, "1") for i in (1, 2, 3)]
    offsets = [_value(header, "first pixel offset (mm)", path, i, "0") for i in (1, 2, 3)]
    n_frames = _value(header, "number of time frames", path, default="1", kind=int)
    if min(*shape, n_frames) < 1:
        raise FileFormatError(
            f"matrix size {shape} with {n_frames} frame(s) is not a positive size",
            source=path,
            field="matrix size",
            fix="correct the header",
        )
    voxels = int(np.prod(shape))
    if not data_path.exists():
        raise FileFormatError(
            "the data file is missing",
            source=data_path,
            fix=f"keep it next to {path.name} or fix 'name of data file'",
        )
    volumes, starts, durations = [], [], []
    for f in range(1, n_frames + 1):
        offset = _frame_offset(header, path, f, voxels * n_bytes)
        raw = read_raw_volume(data_path, dtype=dtype, shape=shape, offset=offset, frame=f,
                              size_fields="matrix size")  # fmt: skip
        scale = _value(header, "image scaling factor", path, f, "1")
        volumes.append((raw * scale).astype(np.float32))
        starts.append(_value(header, "image relative start time (sec)", path, f, "0"))
        durations.append(_value(header, "image duration (sec)", path, f, "0"))
    affine = np.diag([*sizes, 1.0])
    affine[:3, 3] = offsets
    return _image(header, path, volumes, affine, starts, durations)


def _image(
    header: dict[str, str | dict[int, str]],
    path: Path,
    volumes: list[NDArray[np.float32]],
    affine: NDArray[np.float64],
    starts: list[float],
    durations: list[float],
) -> Image:
    start = parse_iso_datetime(str(header.get("positrix acquisition start", "")) or None)
    has_timing = any(d > 0 for d in durations)
    frames = FrameTable(starts, durations, start) if has_timing or len(volumes) > 1 else None
    unit = str(header.get("quantification units", "") or "unknown")
    if unit.replace(".", "").isdigit():
        unit = "unknown"  # STIR writes a bare scale number here
    isotope = str(header.get("isotope name", "") or "")
    injection = Injection(nuclide=get_nuclide(isotope)) if isotope else None
    modality = str(header.get("imaging modality", "PT")).upper()
    return Image(
        np.stack(volumes, axis=-1) if len(volumes) > 1 else volumes[0],
        affine,
        unit=unit,
        frames=frames,
        decay_reference=parse_iso_datetime(str(header.get("positrix decay reference", "")) or None),
        modality={"PT": "PT", "PET": "PT", "CT": "CT", "NM": "NM"}.get(modality, "OT"),
        injection=injection,
    )


def write_interfile(image: Image, path: str | Path, *, overwrite: bool = False) -> list[Path]:
    """Write ``image`` as ``name.hv`` + ``name.v`` (float32, little-endian, all frames).

    The image must be axis-aligned (Interfile has no orientation); resample it otherwise.
    """
    path = Path(path)
    if path.suffix != ".hv":
        path = path.with_suffix(".hv")
    data_path = path.with_suffix(".v")
    check_writable([path, data_path], overwrite=overwrite)
    image = reorient(image, np.eye(3))  # Interfile axes are x, y, z with positive steps
    linear = image.affine[:3, :3]
    shape = image.spatial_shape
    voxel_bytes = int(np.prod(shape)) * 4
    lines = [
        "!INTERFILE  :=",
        f"!imaging modality := {image.modality}",
        f"name of data file := {data_path.name}",
        "!version of keys := STIR4.0",
        "!GENERAL DATA :=",
        "!GENERAL IMAGE DATA :=",
        "!type of data := PET" if image.modality == "PT" else "!type of data := CT",
        "imagedata byte order := LITTLEENDIAN",
        "!PET STUDY (General) :=",
        "!PET data type := Image",
        "process status := Reconstructed",
        "!number format := float",
        "!number of bytes per pixel := 4",
        "number of dimensions := 3",
    ]
    for axis, label in enumerate("xyz", start=1):
        lines += [
            f"matrix axis label [{axis}] := {label}",
            f"!matrix size [{axis}] := {shape[axis - 1]}",
            f"scaling factor (mm/pixel) [{axis}] := {float(linear[axis - 1, axis - 1])!r}",
            f"first pixel offset (mm) [{axis}] := {float(image.affine[axis - 1, 3])!r}",
        ]
    lines.append(f"number of time frames := {image.n_frames}")
    frames = image.frames
    for f in range(image.n_frames):
        lines += [
            f"image scaling factor[{f + 1}] := 1",
            f"data offset in bytes[{f + 1}] := {f * voxel_bytes}",
        ]
        if frames is not None:
            lines += [
                f"image relative start time (sec)[{f + 1}] := {float(frames.start_s[f])!r}",
                f"image duration (sec)[{f + 1}] := {float(frames.duration_s[f])!r}",
            ]
    lines.append(f"quantification units := {image.unit}")
    if image.injection is not None and image.injection.nuclide is not None:
        lines.append(f"isotope name := {image.injection.nuclide.name}")
    if frames is not None and frames.acquisition_start is not None:
        lines.append(f"positrix acquisition start := {frames.acquisition_start.isoformat()}")
    if image.decay_reference is not None:
        lines.append(f"positrix decay reference := {image.decay_reference.isoformat()}")
    lines.append("!END OF INTERFILE :=")
    path.parent.mkdir(parents=True, exist_ok=True)
    write_raw_frames(image, data_path)
    path.write_text("\n".join(lines) + "\n", encoding="latin-1")
    return [path, data_path]
