"""Siemens Inveon / Concorde microPET images (``name.img`` + text header ``name.img.hdr``).

Values: ``raw · scale_factor[frame] · calibration_factor / isotope_branching_fraction``
(Turku PET Centre reader and Siemens' PIXI converter).  Some writers fold the branching
fraction into ``calibration_factor`` already: pass ``branching_in_calibration=True`` for
those.  Positrix (like XMedCon) writes ``isotope_branching_fraction 1`` and
``calibration_factor 1``, so both readings agree on its files.

Times in the header (``scan_time``, ``injection_time``…) are C ``ctime`` strings in the
scanner's local time without a zone; Positrix takes them as UTC and says so in the metadata.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from positrix.errors import FileFormatError, PositrixError, UnknownNuclideError
from positrix.image.dynamic import decay_correct
from positrix.image.frames import FrameTable
from positrix.image.image import Image
from positrix.image.orient import reorient
from positrix.image.subject import Subject
from positrix.image.timezone import reference_zone, with_timezone
from positrix.io.raw import read_raw_volume, write_raw_frames
from positrix.io.safety import check_writable
from positrix.physics.injection import Injection
from positrix.physics.nuclides import get_nuclide
from positrix.physics.units import ACTIVITY_UNITS_BQ, WEIGHT_UNITS_G

__all__ = ["inveon_header_path", "is_inveon_header", "read_inveon", "write_inveon"]

_DTYPES = {1: "i1", 2: "<i2", 3: "<i4", 4: "<f4", 5: ">f4", 6: ">i2", 7: ">i4"}
_DOSE_UNITS = {"1": "mci", "2": "mbq"}
_WEIGHT_UNITS = {"1": "g", "2": "oz", "3": "kg", "4": "lb"}
_CALIBRATION = {"1": ("nCi/cc", 37.0), "2": ("Bq/cc", 1.0)}
_MODALITY = {"0": "PT", "1": "CT", "2": "NM"}
#: subject_orientation code → (patient position, world direction of +x, +y, +z in LPS).
#: Image axes as AMIDE displays them (x screen left→right, y top→bottom, AMIDE's edge labels
#: per orientation) with slice 0 at the end of the animal that enters the gantry first
#: (MINC's upet2mnc: nose at slice 0 for head-first).
_ORIENTATION: dict[
    str, tuple[str, tuple[int, int, int], tuple[int, int, int], tuple[int, int, int]]
] = {
    "1": ("FFP", (1, 0, 0), (0, -1, 0), (0, 0, 1)),
    "2": ("HFP", (-1, 0, 0), (0, -1, 0), (0, 0, -1)),
    "3": ("FFS", (-1, 0, 0), (0, 1, 0), (0, 0, 1)),
    "4": ("HFS", (1, 0, 0), (0, 1, 0), (0, 0, -1)),
}


def inveon_header_path(path: Path) -> Path | None:
    """The ``.img.hdr`` header for a header or data path, if it exists."""
    if path.name.endswith(".img.hdr"):
        return path
    candidate = path.with_name(path.name + ".hdr")
    return candidate if path.name.endswith(".img") and candidate.exists() else None


def is_inveon_header(path: Path) -> bool:
    """Whether the file is a microPET text header (keywords ``x_dimension``, ``data_type``)."""
    try:
        text = path.read_bytes()[:65536].decode("latin-1")
    except OSError:
        return False
    words = {line.split()[0] for line in text.splitlines() if line.strip() and line[0] != "#"}
    return {"x_dimension", "data_type"} <= words


def _parse(path: Path) -> tuple[dict[str, str], list[dict[str, str]]]:
    """Global keywords and one dict per ``frame N`` block."""
    glob: dict[str, str] = {}
    frames: list[dict[str, str]] = []
    current = glob
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")  # headers written by the scanner software
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, _, value = line.partition(" ")
        if key == "frame":
            current = {"frame": value.strip()}
            frames.append(current)
        elif key != "end_of_header":
            current[key] = value.strip()
    return glob, frames


def _number(block: dict[str, str], key: str, path: Path, default: float | None = None) -> float:
    if key not in block:
        if default is not None:
            return default
        raise FileFormatError(
            "required keyword is missing", source=path, field=key, fix="add it to the header"
        )
    try:
        return float(block[key].split()[0])
    except (ValueError, IndexError):
        raise FileFormatError(f"'{block[key]}' is not a number", source=path, field=key) from None


def _pointer(block: dict[str, str], header: Path, default: int) -> int:
    """Byte offset from ``data_file_pointer high low`` (or ``low``); contiguous if absent."""
    if "data_file_pointer" not in block:
        return default
    try:
        words = [int(w) for w in block["data_file_pointer"].split()]
        high, low = (0, words[0]) if len(words) == 1 else (words[0], words[1])
    except (ValueError, IndexError):
        raise FileFormatError(
            f"'{block['data_file_pointer']}' is not one or two integers",
            source=header,
            field=f"frame {block.get('frame', '?')} data_file_pointer",
            fix="correct the header",
        ) from None
    return (high << 32) + (low & 0xFFFFFFFF)


def _ctime(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.strptime(" ".join(text.split()), "%a %b %d %H:%M:%S %Y").replace(tzinfo=UTC)
    except ValueError:
        return None


def _activity(glob: dict[str, str], key: str, path: Path) -> float | None:
    if key not in glob:
        return None
    unit = _DOSE_UNITS.get(glob.get("dose_units", "2"), "mbq")
    value = _number(glob, key, path)
    return value * ACTIVITY_UNITS_BQ[unit] if value > 0 else None


def _affine(glob: dict[str, str], path: Path, shape: tuple[int, int, int]) -> NDArray[np.float64]:
    if "pixel_size_x" in glob:
        sizes = [_number(glob, f"pixel_size_{a}", path) for a in "xyz"]
    else:
        sizes = [_number(glob, "pixel_size", path) * 10.0] * 3  # cm → mm
    orientation = _ORIENTATION.get(glob.get("subject_orientation", "2"), _ORIENTATION["2"])
    affine = np.eye(4)
    for axis in range(3):
        affine[:3, axis] = np.asarray(orientation[axis + 1], float) * sizes[axis]
    # The image centre is the centre of the field of view (world origin).
    affine[:3, 3] = -affine[:3, :3] @ ((np.asarray(shape) - 1) / 2.0)
    return affine


def read_inveon(path: str | Path, *, branching_in_calibration: bool = False) -> Image:
    """Read an Inveon/microPET image; ``path`` is the ``.img`` or the ``.img.hdr``.

    Parameters
    ----------
    path
        Either file of the pair.
    branching_in_calibration
        Take ``calibration_factor`` as already including the branching fraction (do not
        divide by ``isotope_branching_fraction``).
    """
    header = inveon_header_path(Path(path))
    if header is None:
        raise FileFormatError(
            "no .img.hdr header next to it",
            source=path,
            fix="keep name.img and name.img.hdr together",
        )
    data_path = header.with_name(header.name[: -len(".hdr")])
    glob, frame_blocks = _parse(header)
    code = int(_number(glob, "data_type", header))
    if code not in _DTYPES:
        raise FileFormatError(
            f"unknown data_type {code}",
            source=header,
            field="data_type",
            fix="data_type must be 1-7",
        )
    dtype = np.dtype(_DTYPES[code])
    shape = (
        int(_number(glob, "x_dimension", header)),
        int(_number(glob, "y_dimension", header)),
        int(_number(glob, "z_dimension", header)),
    )
    n_frames = int(_number(glob, "total_frames", header, default=len(frame_blocks) or 1))
    if min(*shape, n_frames) < 1:
        raise FileFormatError(
            f"dimensions {shape} with {n_frames} frame(s) are not a positive size",
            source=header,
            field="x_dimension/y_dimension/z_dimension/total_frames",
            fix="correct the header",
        )
    if len(frame_blocks) < n_frames:
        raise FileFormatError(
            f"total_frames is {n_frames} but the header has {len(frame_blocks)} frame blocks",
            source=header,
            field="total_frames",
        )
    if not data_path.exists():
        raise FileFormatError(
            "the data file is missing", source=data_path, fix=f"keep it next to {header.name}"
        )
    calibration = _number(glob, "calibration_factor", header, default=1.0)
    branching = _number(glob, "isotope_branching_fraction", header, default=1.0)
    if branching_in_calibration or branching <= 0:
        branching = 1.0
    voxels = int(np.prod(shape))
    volumes, starts, durations = [], [], []
    for index, block in enumerate(frame_blocks[:n_frames]):
        offset = _pointer(block, header, index * voxels * dtype.itemsize)
        raw = read_raw_volume(data_path, dtype=dtype, shape=shape, offset=offset, frame=index,
                              size_fields="x_dimension/y_dimension/z_dimension")  # fmt: skip
        scale = _number(block, "scale_factor", header, default=1.0) * calibration / branching
        volumes.append(raw * scale)
        starts.append(_number(block, "frame_start", header, default=0.0))
        durations.append(_number(block, "frame_duration", header, default=0.0))
    return _image(glob, frame_blocks, header, volumes, starts, durations, shape)


def _image(
    glob: dict[str, str],
    frame_blocks: list[dict[str, str]],
    header: Path,
    volumes: list[Any],
    starts: list[float],
    durations: list[float],
    shape: tuple[int, int, int],
) -> Image:
    unit, factor = _CALIBRATION.get(glob.get("calibration_units", "0"), ("unknown", 1.0))
    unit = "Bq/mL" if unit in ("Bq/cc", "nCi/cc") else unit
    data = np.stack(volumes, axis=-1) if len(volumes) > 1 else volumes[0]
    data = (data * factor).astype(np.float32)
    start = _ctime(glob.get("scan_time"))
    frames = FrameTable(starts, durations, start)
    applied = glob.get("decay_correction_applied", "0").strip() == "1"
    nuclide = None
    isotope = glob.get("isotope", "").strip()
    if isotope and isotope.lower() != "unknown":
        try:
            nuclide = get_nuclide(isotope)
        except UnknownNuclideError:
            nuclide = None
    weight = _number(glob, "subject_weight", header, default=0.0)
    weight_unit = _WEIGHT_UNITS.get(glob.get("subject_weight_units", "1"), "g")
    injection = Injection(
        nuclide=nuclide,
        tracer=glob.get("injected_compound") or None,
        injection_time=_ctime(glob.get("injection_time")),
        activity_before_bq=_activity(glob, "activity_before_injection", header)
        or _activity(glob, "dose", header),
        activity_before_time=_ctime(glob.get("activity_before_injection_time")),
        residual_bq=_activity(glob, "residual_activity", header) or 0.0,
        residual_time=_ctime(glob.get("residual_activity_time")),
    )
    orientation = _ORIENTATION.get(glob.get("subject_orientation", "2"), _ORIENTATION["2"])
    return Image(
        data,
        _affine(glob, header, shape),
        unit=unit,
        frames=frames,
        decay_reference=start if applied else None,
        modality=_MODALITY.get(glob.get("modality", "0"), "OT"),
        subject=Subject(
            id=glob.get("subject_identifier") or None,
            species=glob.get("subject_genus") or None,
            sex={"1": "M", "2": "F"}.get(glob.get("subject_sex", ""), None),
            weight_g=weight * WEIGHT_UNITS_G[weight_unit] if weight > 0 else None,
        ),
        injection=injection,
        scanner=glob.get("model") if glob.get("model") not in (None, "", "0") else None,
        metadata={"PatientPosition": orientation[0], "times": "local scanner time taken as UTC"},
    )


def _ctime_text(moment: datetime | None) -> str:
    """``ctime`` text of ``moment``; callers first put all times in one zone."""
    return moment.strftime("%a %b %d %H:%M:%S %Y") if moment is not None else ""


def write_inveon(image: Image, path: str | Path, *, overwrite: bool = False) -> list[Path]:
    """Write ``image`` as an Inveon ``.img`` (float32 LE) + ``.img.hdr`` pair.

    The image must be axis-aligned in the head-first-prone orientation Positrix reads
    by default (resample otherwise); the header records frames, dose and subject.
    """
    path = Path(path)
    data_path = (
        path if path.name.endswith(".img") else path.with_name(path.name.removesuffix(".hdr"))
    )
    header = data_path.with_name(data_path.name + ".hdr")
    check_writable([data_path, header], overwrite=overwrite)
    position = str(image.metadata.get("PatientPosition", "HFP"))
    code = next((c for c, o in _ORIENTATION.items() if o[0] == position), "2")
    directions = np.column_stack([np.asarray(_ORIENTATION[code][a + 1], float) for a in range(3)])
    image = reorient(image, directions)  # the format has no free orientation
    sizes = np.linalg.norm(image.affine[:3, :3], axis=0)
    start = image.frames.acquisition_start if image.frames else None
    if image.decay_reference is not None and image.decay_reference != start:
        if start is None:
            raise PositrixError(
                "the Inveon format decay-corrects to the scan start, which this image lacks",
                field="frames.acquisition_start",
            )
        image = decay_correct(image, to=start)  # the only reference the format can state
    image = with_timezone(image, reference_zone(image))  # ctime strings carry no zone
    text = "\n".join(_header_lines(image, data_path, code, sizes)) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    header.write_bytes(text.encode("utf-8"))  # the header first: no data file without one
    write_raw_frames(image, data_path)
    return [data_path, header]


def _header_lines(
    image: Image, data_path: Path, code: str, sizes: NDArray[np.float64]
) -> list[str]:
    frames = image.frames or FrameTable([0.0], [0.0], None)
    injection, subject = image.injection, image.subject
    nx, ny, nz = image.spatial_shape
    if image.unit == "Bq/mL":
        calibration_units = 2
    elif image.unit == "unknown":
        calibration_units = 0
    else:
        raise PositrixError(
            f"the Inveon format stores Bq/mL (or uncalibrated values), not {image.unit}",
            field="unit",
            fix="save as NIfTI to keep this unit",
        )
    lines = [
        "#",
        f"# Header file for data file {data_path.name}, written by Positrix",
        "version 001.910",
        f"model {image.scanner or 0}",
        "institution Positrix",
        f"modality { {'PT': 0, 'CT': 1, 'NM': 2}.get(image.modality, 0) }",
        f"file_name {data_path.name}",
        f"acquisition_mode {3 if image.n_frames > 1 else 2}",
        f"total_frames {image.n_frames}",
        "data_type 4",
        f"x_dimension {nx}",
        f"y_dimension {ny}",
        f"z_dimension {nz}",
        f"pixel_size {float(sizes[0] / 10.0)!r}",
        f"pixel_size_x {float(sizes[0])!r}",
        f"pixel_size_y {float(sizes[1])!r}",
        f"pixel_size_z {float(sizes[2])!r}",
        f"subject_orientation {code}",
        f"calibration_units {calibration_units}",
        "calibration_factor 1",
        "# the branching fraction is not divided out: values are already Bq/mL",
        "isotope_branching_fraction 1",
        f"decay_correction_applied {0 if image.decay_reference is None else 1}",
        "dose_units 2",
        f"scan_time {_ctime_text(frames.acquisition_start)}",
    ]
    if injection is not None:
        if injection.nuclide is not None:
            lines += [
                f"isotope {injection.nuclide.name}",
                f"isotope_half_life {float(injection.nuclide.half_life_s)!r}",
            ]
        if injection.tracer:
            lines.append(f"injected_compound {injection.tracer}")
        if injection.injection_time is not None:
            lines.append(f"injection_time {_ctime_text(injection.injection_time)}")
        if injection.activity_before_bq is not None:
            lines += [
                f"dose {float(injection.activity_before_bq / 1e6)!r}",
                f"activity_before_injection {float(injection.activity_before_bq / 1e6)!r}",
                "activity_before_injection_time "
                + _ctime_text(injection.activity_before_time or injection.injection_time),
            ]
        if injection.residual_bq:
            lines += [
                f"residual_activity {float(injection.residual_bq / 1e6)!r}",
                "residual_activity_time "
                + _ctime_text(injection.residual_time or injection.injection_time),
            ]
    if subject is not None:
        if subject.id:
            lines.append(f"subject_identifier {subject.id}")
        if subject.species:
            lines.append(f"subject_genus {subject.species}")
        if subject.sex in ("M", "F"):
            lines.append(f"subject_sex {1 if subject.sex == 'M' else 2}")
        if subject.weight_g is not None:
            lines += ["subject_weight_units 1", f"subject_weight {float(subject.weight_g)!r}"]
    lines.append("end_of_header")
    volume_bytes = nx * ny * nz * 4
    nuclide = injection.nuclide if injection is not None else None
    if image.decay_reference is not None and nuclide is not None:
        applied = frames.decay_correction_factors(nuclide, reference=image.decay_reference)
    else:
        applied = np.ones(image.n_frames)
    for f in range(image.n_frames):
        offset = f * volume_bytes
        lines += [
            f"frame {f}",
            f"data_file_pointer {offset >> 32} {offset & 0xFFFFFFFF}",
            f"frame_start {float(frames.start_s[f])!r}",
            f"frame_duration {float(frames.duration_s[f])!r}",
            "scale_factor 1",
            f"decay_correction {float(applied[f])!r}",
            "end_of_header",
        ]
    return lines
