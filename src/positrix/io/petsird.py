"""PETSIRD list-mode files (binary yardl encoding, PETSIRD 0.12).

PETSIRD (https://github.com/ETSInitiative/PETSIRD) stores a header (scanner geometry, energy
and coincidence windows, exam) and a stream of time blocks; each event time block holds the
prompt and delayed coincidences of its time interval as pairs of detection bins with a TOF
index.

- :func:`write_petsird` writes :class:`~positrix.io.events.ListModeEvents`;
- :func:`read_petsird` reads a file back into :class:`ListModeEvents` when its geometry is a
  Positrix scanner (recognised from the header, or given as ``scanner=``);
- :func:`read_petsird_bins` reads any PETSIRD binary file as detection bins.

How Positrix stores its data (the geometry layout is described in
:mod:`positrix.io.petsird_geometry`):

- **time**: events are grouped into consecutive time blocks of ``time_block_ms`` ms (PETSIRD
  time intervals are whole ms after the acquisition start); an event at ``time_s`` goes to
  block ``round(time_s in ns) // (time_block_ms · 10⁶)``.  Every block from the start to
  the end of the acquisition is written, empty or not; the last one stops at the duration
  rounded up to a whole ms.  An event's time read back is the *start* of its block, so the
  time resolution is the block length;
- **prompts and delayeds** go to the ``prompt_events`` and ``delayed_events`` lists of their
  block (``delayed_event_policy`` is ``NONE`` when there are no delayeds).  Within a block
  events keep their order, prompts first;
- **crystal pairs** are stored with the larger detection bin first, as PETSIRD requires;
  reading gives them back in that order.  The TOF index is 0 (one TOF bin = the
  coincidence window) and the energy index 0 (one energy bin = the energy window);
- **exam**: start of acquisition (UTC; also written as start of study) and the nuclide as
  the radionuclide code of one radiopharmaceutical.  ``metadata`` is not stored.

Reading parses the time-block stream with a compiled (numba) varint decoder; the header is
read with the ``petsird`` package.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import petsird
from numba import njit
from numpy.typing import NDArray
from petsird import _binary
from petsird import binary as petsird_binary

from positrix.errors import FileFormatError, MissingFieldError, PositrixError
from positrix.geometry.scanner import ScannerGeometry, get_scanner
from positrix.io.events import ListModeEvents
from positrix.io.petsird_geometry import (
    crystal_to_detection_bin,
    detection_bin_to_crystal,
    expand_detection_bins,
    same_crystal_layout,
    scanner_from_petsird,
    scanner_to_petsird,
)
from positrix.io.safety import check_writable
from positrix.physics.nuclides import normalise_nuclide_name
from positrix.physics.units import as_aware

__all__ = [
    "PetsirdData",
    "read_petsird",
    "read_petsird_bins",
    "scanner_from_petsird",
    "scanner_to_petsird",
    "write_petsird",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: Serializers of the time blocks that are not event blocks, by union tag.
_OTHER_BLOCKS = {
    1: petsird_binary.ExternalSignalTimeBlockSerializer,
    2: petsird_binary.BedMovementTimeBlockSerializer,
    3: petsird_binary.GantryMovementTimeBlockSerializer,
    4: petsird_binary.DeadTimeTimeBlockSerializer,
    5: petsird_binary.SinglesHistogramTimeBlockSerializer,
}
_MAGIC = b"yardl"
_EVENTS_PER_WRITE = 4_000_000  # events encoded per write (≈ 44 MB of buffer)
_UINT32_MAX = 2**32 - 1
_TIME_BLOCK_KINDS = (
    *("event", "external_signal", "bed_movement"),
    *("gantry_movement", "dead_time", "singles_histogram"),
)


# ======================================================================================
# Reading


@dataclass(frozen=True)
class PetsirdData:
    """The coincidences of a PETSIRD file as detection bins, in file order.

    Attributes
    ----------
    header
        The file header (``petsird.Header``).
    type_1, type_2
        Module types of the two detections, shape ``(n,)``: the indices of the event's list
        in ``prompt_events``/``delayed_events`` (uint16).
    bin_1, bin_2
        Detection bins (uint32), shape ``(n,)``; see
        :func:`~positrix.io.petsird_geometry.expand_detection_bins`.
    tof_index
        TOF bin index (uint32), shape ``(n,)``.
    time_ms
        Start of the event's time block in ms after the acquisition start (uint32).
    prompt
        True for prompts, False for delayed coincidences, shape ``(n,)``.
    duration_ms
        Latest stop of the event time blocks (ms).
    time_block_ms
        Longest event time block (ms): the time resolution (0 without event blocks).
    counts
        Time blocks of each kind (``event_blocks``, ``dead_time_blocks``…, ``time_blocks``
        in all) and the events that are not returned: ``singles``, ``triples``,
        ``quadruples``.
    source
        The file read (named in errors).
    """

    header: Any
    type_1: NDArray[np.uint16]
    type_2: NDArray[np.uint16]
    bin_1: NDArray[np.uint32]
    bin_2: NDArray[np.uint32]
    tof_index: NDArray[np.uint32]
    time_ms: NDArray[np.uint32]
    prompt: NDArray[np.bool_]
    duration_ms: int
    time_block_ms: int
    counts: dict[str, int] = field(default_factory=dict)
    source: str = ""

    def __len__(self) -> int:
        return int(self.bin_1.size)

    @property
    def time_s(self) -> NDArray[np.float64]:
        """Start of each event's time block in s after the acquisition start, ``(n,)``."""
        return self.time_ms / 1000.0

    def expand(
        self, detection: int = 1
    ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
        """Module, element and energy indices of the first (1) or second (2) detections.

        Returns
        -------
        tuple of ndarray of int64
            ``(module_index, element_index, energy_index)``, each ``(n,)``.

        Raises
        ------
        FileFormatError
            When an event's module type is not in the header.
        """
        if detection not in (1, 2):
            raise PositrixError(f"detection is {detection}, not 1 or 2", field="detection")
        types = self.type_1 if detection == 1 else self.type_2
        bins = self.bin_1 if detection == 1 else self.bin_2
        n_types = len(self.header.scanner.scanner_geometry.replicated_modules)
        out = tuple(np.zeros(bins.size, np.int64) for _ in range(3))
        for kind in np.unique(types):
            if kind >= n_types:
                raise FileFormatError(
                    f"events of module type {kind}, but the header has {n_types} module types",
                    source=self.source or None,
                    field="time_blocks.prompt_events",
                )
            chosen = types == kind
            for target, values in zip(
                out,
                expand_detection_bins(self.header.scanner, int(kind), bins[chosen]),
                strict=True,
            ):
                target[chosen] = values
        return out[0], out[1], out[2]


def read_petsird_bins(path: str | Path) -> PetsirdData:
    """Read any PETSIRD binary file as detection bins.

    Parameters
    ----------
    path
        A PETSIRD binary (yardl) file, PETSIRD 0.12.

    Returns
    -------
    PetsirdData
        Prompt and delayed coincidences in file order (per time block: prompts of every
        module-type pair, then delayeds).  Singles, triples, quadruples and the other time
        blocks (dead time, singles histograms, movement, external signals) are skipped and
        counted in ``counts``.

    Raises
    ------
    FileFormatError
        When the file is not PETSIRD, was written for another PETSIRD version, or is
        truncated or corrupt (the message gives the byte offset).
    """
    path = Path(path)
    header, offset = _read_header(path)
    stream = _map_stream(path, offset)
    (words, types, prompt), stats = _parse(stream, path, offset)
    del stream
    bin_1, bin_2, tof, time_ms = words
    type_1, type_2 = types
    counts = {f"{kind}_blocks": int(stats[1 + i]) for i, kind in enumerate(_TIME_BLOCK_KINDS)}
    counts |= {"time_blocks": int(stats[_S_BLOCKS]), "singles": int(stats[_S_SINGLES])}
    counts |= {"triples": int(stats[_S_TRIPLES]), "quadruples": int(stats[_S_QUADS])}
    return PetsirdData(
        header,
        type_1,
        type_2,
        bin_1,
        bin_2,
        tof,
        time_ms,
        prompt,
        duration_ms=int(stats[_S_MAX_STOP]),
        time_block_ms=int(stats[_S_LONGEST]),
        counts=counts,
        source=str(path),
    )


def read_petsird(path: str | Path, *, scanner: ScannerGeometry | None = None) -> ListModeEvents:
    """Read a PETSIRD file of a Positrix scanner as list-mode events.

    Parameters
    ----------
    path
        A PETSIRD binary file.
    scanner
        The scanner the events belong to.  Default: recognised from the header
        (:func:`~positrix.io.petsird_geometry.scanner_from_petsird`).  When given, the
        header's geometry must be the same scanner, or, when the header's layout is not one
        Positrix recognises, have one module per block and one element per crystal of a
        block column (then mapped as Positrix writes them).

    Returns
    -------
    ListModeEvents
        Crystal pairs (larger detection bin first), ``time_s`` = start of each event's time
        block (resolution: the block length, in ``metadata["time_block_ms"]``), ``prompt``,
        ``scanner`` name, acquisition start (UTC), duration (latest block stop) and nuclide.
        TOF and energy indices are dropped.

    Raises
    ------
    PositrixError
        When the geometry cannot be mapped to a :class:`ScannerGeometry`, or is not that of
        ``scanner``; :class:`FileFormatError` for bad files; :class:`MissingFieldError` when
        the header has no acquisition start.
    """
    path = Path(path)
    data = read_petsird_bins(path)
    geometry = _resolve_scanner(data.header.scanner, scanner, path)
    ring_1, crystal_1, ring_2, crystal_2 = _crystals(data, geometry, path)
    model = str(data.header.scanner.model_name)
    return ListModeEvents(
        ring_1,
        crystal_1,
        ring_2,
        crystal_2,
        data.time_s,
        data.prompt,
        geometry.name,
        _acquisition_start(data.header, path),
        data.duration_ms / 1000.0,
        _nuclide(data.header),
        {"format": "PETSIRD", "model_name": model, "time_block_ms": str(data.time_block_ms)},
    )


def _read_header(path: Path) -> tuple[Any, int]:
    """The header and the byte offset where the time-block stream starts."""
    try:
        handle = path.open("rb")
    except OSError as err:
        raise FileFormatError(f"cannot open the file ({err.strerror})", source=path) from None
    with handle:
        if handle.read(len(_MAGIC)) != _MAGIC:
            raise FileFormatError(
                "not a PETSIRD binary file (it does not start with the yardl magic bytes)",
                source=path,
                fix="give a PETSIRD binary (.bin/.petsird) file",
            )
        handle.seek(0)
        reader = _open_reader(handle, path)
        try:
            header = reader.read_header()
        except Exception as err:  # a third-party decoder on untrusted bytes
            raise FileFormatError(
                f"the PETSIRD header is truncated or corrupt ({type(err).__name__}: {err})",
                source=path,
                field="header",
            ) from None
        coded = reader._stream  # the reader buffers ahead: count back what it has not used
        offset = handle.tell() - (coded._last_read_count - coded._offset)
    return header, int(offset)


def _open_reader(handle: Any, path: Path) -> Any:
    """The package's reader, past the magic bytes, format version and schema."""
    try:
        return petsird.BinaryPETSIRDReader(handle)
    except Exception as err:  # a third-party decoder on untrusted bytes
        text = str(err)
        if "schema" in text or "version" in text:
            problem = f"it was written with another PETSIRD or yardl version ({text})"
            fix = f"convert it to PETSIRD {_package_version()}"
        else:
            problem = f"the file is truncated or corrupt before its header ({text})"
            fix = "copy or write it again"
        raise FileFormatError(problem, source=path, field="schema", fix=fix) from None


def _package_version() -> str:
    try:
        return metadata.version("petsird")
    except metadata.PackageNotFoundError:  # pragma: no cover - petsird is a dependency
        return "0.12"


def _map_stream(path: Path, offset: int) -> NDArray[np.uint8]:
    size = path.stat().st_size - offset
    if size <= 0:
        raise FileFormatError(
            "the file ends after the header (no time blocks, no end-of-stream mark)",
            source=path,
            field="time_blocks",
            fix="the file is truncated: copy or write it again",
        )
    return np.memmap(path, dtype=np.uint8, mode="r", offset=offset, shape=(size,))


def _parse(
    stream: NDArray[np.uint8], path: Path, offset: int
) -> tuple[tuple[NDArray[Any], ...], NDArray[np.int64]]:
    """Decode the coincidences (compiled), skipping the other time blocks.

    Returns ``((words, types, prompt), stats)``: ``words`` rows bin_1, bin_2, tof_index,
    time_ms (uint32), ``types`` rows type_1, type_2 (uint16), each ``[:, :n]``.
    """
    stats = np.zeros(_N_STATS, np.int64)
    capacity = stream.size // 6 + 1024  # grows when events are shorter than 6 bytes
    columns = (
        np.empty((4, capacity), np.uint32),
        np.empty((2, capacity), np.uint16),
        np.empty(capacity, np.bool_),
    )
    position, remaining, n = 0, 0, 0
    while True:
        status, position, remaining, columns, n = _parse_stream(
            stream, position, remaining, columns, n, stats
        )
        if status != _OTHER_BLOCK:
            break
        tag = int(stream[position])
        position = _skip_other_block(path, offset, position, tag)
        stats[_S_BLOCKS] += 1
        stats[1 + tag] += 1
        remaining -= 1
    _raise_for_status(status, path, offset + int(stats[_S_ITEM_START]), offset + position)
    words, types, prompt = columns
    return (words[:, :n], types[:, :n], prompt[:n]), stats


def _skip_other_block(path: Path, offset: int, position: int, tag: int) -> int:
    """Read a non-event time block with the petsird package; the position after it."""
    with path.open("rb") as handle:
        handle.seek(offset + position + 1)
        coded = _binary.CodedInputStream(handle)
        try:
            _OTHER_BLOCKS[tag]().read(coded)
        except Exception as err:  # a third-party decoder on untrusted bytes
            raise FileFormatError(
                f"a {_TIME_BLOCK_KINDS[tag]} time block is truncated or corrupt "
                f"({type(err).__name__}: {err}; byte {offset + position})",
                source=path,
                field="time_blocks",
                fix="the file is corrupt or incomplete: copy or write it again",
            ) from None
        end = handle.tell() - (coded._last_read_count - coded._offset)
    return int(end) - offset


def _raise_for_status(status: int, path: Path, item_start: int, position: int) -> None:
    if status == _OK:
        return
    problems = {
        _TRUNCATED: "the time-block stream is truncated",
        _BAD_VARINT: "an integer in the time-block stream is malformed",
        _BAD_TAG: "a time block has an unknown type",
        _BAD_TYPE: "a module-type index is larger than 65535",
        _TRAILING: "there are bytes after the end of the time-block stream",
    }
    where = f"time block at byte {item_start}"
    if position not in (-1, item_start):
        where += f", error at byte {position}"
    raise FileFormatError(
        f"{problems[status]} ({where})",
        source=path,
        field="time_blocks",
        fix="the file is corrupt or incomplete: copy or write it again",
    )


def _resolve_scanner(info: Any, scanner: ScannerGeometry | None, path: Path) -> ScannerGeometry:
    """The file's scanner: recognised from the header, and checked against ``scanner``."""
    try:
        found = scanner_from_petsird(info, source=path)
    except PositrixError:
        if scanner is None:
            raise
        _check_counts(info, scanner, path)
        return scanner
    if scanner is not None and not same_crystal_layout(found, scanner):
        raise PositrixError(
            f"the file holds events of scanner '{found.name}' ({found.n_rings} rings × "
            f"{found.crystals_per_ring} crystals), not of '{scanner.name}' "
            f"({scanner.n_rings} × {scanner.crystals_per_ring})",
            source=path,
            field="scanner.scanner_geometry",
            fix="pass the file's scanner as scanner=, or none: it is recognised from the header",
        )
    return scanner if scanner is not None else found


def _check_counts(info: Any, scanner: ScannerGeometry, path: Path) -> None:
    modules = info.scanner_geometry.replicated_modules
    shape = [(len(m.transforms), len(m.object.detecting_elements.transforms)) for m in modules]
    wanted = (scanner.blocks_per_ring, scanner.crystals_per_block * scanner.n_rings)
    if shape != [wanted]:
        raise PositrixError(
            f"the file's modules × elements per module type are {shape}; scanner "
            f"'{scanner.name}' needs one type of {wanted[0]} × {wanted[1]}",
            source=path,
            field="scanner.scanner_geometry.replicated_modules",
            fix="pass the file's scanner, or read detection bins with read_petsird_bins",
        )


def _crystals(data: PetsirdData, scanner: ScannerGeometry, path: Path) -> NDArray[np.int64]:
    """Rows ring_1, crystal_1, ring_2, crystal_2 of every event, ``(4, n)``."""
    edges = data.header.scanner.event_energy_bin_edges
    n_energy = max(int(edges[0].number_of_bins()), 1) if edges else 1
    if len(data) and (data.type_1.any() or data.type_2.any()):
        raise FileFormatError(
            "events between module types other than 0 in a one-module-type scanner",
            source=path,
            field="time_blocks.prompt_events",
        )
    ring_of, crystal_of = detection_bin_to_crystal(scanner, np.arange(scanner.n_crystals))
    out = np.empty((4, len(data)), np.int64)
    if _bins_to_crystals(data.bin_1, data.bin_2, n_energy, ring_of, crystal_of, out):
        raise FileFormatError(
            f"a detection bin is ≥ {scanner.n_crystals * n_energy}, the number of detection "
            f"bins of scanner '{scanner.name}'",
            source=path,
            field="time_blocks.prompt_events.detection_bins",
        )
    return out


def _acquisition_start(header: Any, path: Path) -> datetime:
    exam = header.exam
    moment = None if exam is None else exam.start_of_acquisition
    if moment is None and exam is not None and _nanoseconds(exam.start_of_study) != 0:
        moment = exam.start_of_study
    if moment is None:
        raise MissingFieldError(
            "the header has no start of acquisition (nor of study)",
            source=path,
            field="exam.start_of_acquisition",
            fix="set it when writing the file, or read detection bins with read_petsird_bins",
        )
    return _EPOCH + timedelta(microseconds=_nanoseconds(moment) // 1000)


def _nanoseconds(moment: Any) -> int:
    return int(np.asarray(moment.numpy_value).astype(np.int64))


def _nuclide(header: Any) -> str:
    """Nuclide name from the first radiopharmaceutical's radionuclide code ('' if none)."""
    from positrix.io.dicom.codes import RADIONUCLIDE_CODES

    if header.exam is None:
        return ""
    for item in header.exam.radiopharmaceuticals:
        code = item.radionuclide_code_sequence
        for name, (value, _, _) in RADIONUCLIDE_CODES.items():
            if code.code_value and code.code_value == value:
                return name
        if code.code_meaning:
            return normalise_nuclide_name(code.code_meaning)
    return ""


# ======================================================================================
# Writing


def write_petsird(
    path: str | Path,
    events: ListModeEvents,
    *,
    scanner: ScannerGeometry | None = None,
    time_block_ms: float = 1.0,
    overwrite: bool = False,
) -> Path:
    """Write list-mode events as a PETSIRD binary file.

    Parameters
    ----------
    path
        Output file (any name; ``.bin`` or ``.petsird`` are usual).
    events
        Crystal pairs, times, prompt/delayed flags, acquisition start, duration and nuclide.
    scanner
        The events' scanner.  Default: the built-in scanner named ``events.scanner``.  When
        given, its name must be ``events.scanner``.
    time_block_ms
        Length of the time blocks in ms, a whole number ≥ 1: the time resolution of the file.
    overwrite
        Replace an existing file.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    PositrixError
        For crystal indices outside the scanner, times outside the acquisition, a scanner
        other than the events', a bad ``time_block_ms``; OverwriteError for an existing file.
    """
    path = Path(path)
    check_writable([path], overwrite=overwrite)
    geometry = _writer_scanner(events, scanner, path)
    block_ms = _block_length(time_block_ms, path)
    duration_ms = _duration_ms(events, path)
    bin_1, bin_2, counts = _sorted_events(events, geometry, block_ms, duration_ms, path)
    has_delayed = bool(counts[:, 1].any())
    head = _header_bytes(_header(events, geometry, has_delayed=has_delayed))
    timing = np.array([block_ms, duration_ms, has_delayed], np.int64)
    with path.open("wb") as handle:
        handle.write(head)
        _write_stream(handle, bin_1, bin_2, counts, timing)
    return path


def _sorted_events(
    events: ListModeEvents, scanner: ScannerGeometry, block_ms: int, duration_ms: int, path: Path
) -> tuple[NDArray[np.uint32], NDArray[np.uint32], NDArray[np.int64]]:
    """Detection bins sorted by time block (prompts first) and counts ``(n_blocks, 2)``."""
    bin_1, bin_2 = _ordered_bins(events, scanner, path)
    delayed = ~np.asarray(events.prompt, dtype=bool)
    key = _block_index(events, block_ms, duration_ms, path) * 2 + delayed
    if key.size > 1 and not bool((key[1:] >= key[:-1]).all()):
        order = np.argsort(key, kind="stable")
        key, bin_1, bin_2 = key[order], bin_1[order], bin_2[order]
    n_blocks = -(-duration_ms // block_ms)
    return bin_1, bin_2, np.bincount(key, minlength=2 * n_blocks).reshape(n_blocks, 2)


def _write_stream(
    handle: Any,
    bin_1: NDArray[np.uint32],
    bin_2: NDArray[np.uint32],
    counts: NDArray[np.int64],
    timing: NDArray[np.int64],
) -> None:
    """The time-block stream: one chunk of all blocks, encoded a few million events at a time."""
    n_blocks = counts.shape[0]
    ends = np.cumsum(counts.sum(axis=1))  # events up to the end of each block
    handle.write(_varint_bytes(n_blocks))
    block, k = 0, 0
    while block < n_blocks:
        stop = int(np.searchsorted(ends, k + _EVENTS_PER_WRITE, side="right"))
        stop = min(max(stop, block + 1), block + _EVENTS_PER_WRITE // 4, n_blocks)
        out = np.empty(int(ends[stop - 1] - k) * 11 + (stop - block) * 40, np.uint8)
        blocks = np.array([block, stop], np.int64)
        used = _encode_blocks(bin_1, bin_2, counts, blocks, k, timing, out)
        out[:used].tofile(handle)
        block, k = stop, int(ends[stop - 1])
    handle.write(b"\x00")  # end of stream


def _varint_bytes(value: int) -> bytes:
    """``value`` as a yardl unsigned varint."""
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _writer_scanner(
    events: ListModeEvents, scanner: ScannerGeometry | None, path: Path
) -> ScannerGeometry:
    if scanner is None:
        try:
            return get_scanner(events.scanner)
        except PositrixError as err:
            raise PositrixError(
                err.problem,
                source=path,
                field="events.scanner",
                fix="pass scanner= (a ScannerGeometry) for a user scanner",
            ) from None
    if events.scanner.strip().lower() != scanner.name.strip().lower():
        raise PositrixError(
            f"the events are of scanner '{events.scanner}', not '{scanner.name}'",
            source=path,
            field="scanner",
            fix="pass the events' scanner (or none, for a built-in one)",
        )
    return scanner


def _block_length(time_block_ms: float, path: Path) -> int:
    value = float(time_block_ms)
    if not (math.isfinite(value) and value >= 1 and value == round(value)):
        raise PositrixError(
            f"time_block_ms is {time_block_ms}; PETSIRD time blocks are whole ms",
            source=path,
            field="time_block_ms",
            fix="use a whole number of ms ≥ 1",
        )
    return int(value)


def _duration_ms(events: ListModeEvents, path: Path) -> int:
    duration = float(events.duration_s)
    if not (math.isfinite(duration) and duration > 0):
        raise PositrixError("duration_s must be > 0", source=path, field="duration_s")
    duration_ms = math.ceil(duration * 1000.0 - 1e-6)
    if duration_ms > _UINT32_MAX:
        raise PositrixError(
            "the acquisition is longer than PETSIRD's 2^32 ms", source=path, field="duration_s"
        )
    return max(duration_ms, 1)


def _ordered_bins(
    events: ListModeEvents, scanner: ScannerGeometry, path: Path
) -> tuple[NDArray[np.uint32], NDArray[np.uint32]]:
    """Detection bins of both crystals, larger first (PETSIRD's order)."""
    n = len(events)
    limits = {"ring": scanner.n_rings, "crystal": scanner.crystals_per_ring}
    for name in ("ring_1", "crystal_1", "ring_2", "crystal_2", "time_s", "prompt"):
        if np.shape(getattr(events, name)) != (n,):
            raise PositrixError(
                f"'{name}' has shape {np.shape(getattr(events, name))}, not ({n},)",
                source=path,
                field=name,
            )
        limit = limits.get(name[:-2])
        values = getattr(events, name)
        if limit is not None and n and (values.min() < 0 or values.max() >= limit):
            raise PositrixError(
                f"'{name}' spans {values.min()} … {values.max()}, outside 0 … {limit - 1} of "
                f"scanner '{scanner.name}'",
                source=path,
                field=name,
                fix="check that the events belong to this scanner",
            )
    rings, crystals = np.indices((scanner.n_rings, scanner.crystals_per_ring))
    table = crystal_to_detection_bin(scanner, rings, crystals).astype(np.uint32).ravel()
    cpr = scanner.crystals_per_ring
    first = table.take(np.asarray(events.ring_1) * cpr + events.crystal_1)
    second = table.take(np.asarray(events.ring_2) * cpr + events.crystal_2)
    return np.maximum(first, second), np.minimum(first, second)


def _block_index(
    events: ListModeEvents, block_ms: int, duration_ms: int, path: Path
) -> NDArray[np.int64]:
    """Time block of each event: its time in whole ns (rounded) // the block length in ns.

    Counting in ns makes a time read back from a file (a block start in ms, as float s)
    land in its own block again.
    """
    times = np.asarray(events.time_s, dtype=np.float64)
    duration = float(events.duration_s)
    if times.size and not (times.min() >= 0 and times.max() <= duration * (1 + 1e-9)):
        raise PositrixError(
            f"event times span {times.min():g} … {times.max():g} s, outside the acquisition "
            f"(0 … {duration:g} s)",
            source=path,
            field="time_s",
        )
    n_blocks = -(-duration_ms // block_ms)
    index = np.rint(times * 1e9).astype(np.int64) // (block_ms * 1_000_000)
    return np.minimum(index, n_blocks - 1)


def _header(events: ListModeEvents, scanner: ScannerGeometry, *, has_delayed: bool) -> Any:
    info = scanner_to_petsird(scanner)
    if not has_delayed:
        info.delayed_event_policy = petsird.CoincidencePolicy.NONE
    start = as_aware(events.acquisition_start)
    nanoseconds = (start - _EPOCH) // timedelta(microseconds=1) * 1000
    moment = petsird.DateTime(nanoseconds)
    exam = petsird.ExamInformation(
        modality="PT",
        start_of_study=moment,
        start_of_acquisition=moment,
        radiopharmaceuticals=_radiopharmaceuticals(events.nuclide),
    )
    return petsird.Header(scanner=info, exam=exam)


def _radiopharmaceuticals(nuclide: str) -> list[Any]:
    from positrix.io.dicom.codes import RADIONUCLIDE_CODES

    name = normalise_nuclide_name(nuclide) if nuclide else ""
    if not name:
        return []
    value, scheme, meaning = RADIONUCLIDE_CODES.get(name, ("", "", name))
    code = petsird.DICOMBasicCodeSequence(
        code_value=value, coding_scheme_designator=scheme, code_meaning=meaning
    )
    return [petsird.DICOMRadiopharmaceuticalInformation(radionuclide_code_sequence=code)]


def _header_bytes(header: Any) -> bytes:
    """Magic bytes, format version, schema and header, as the petsird package writes them."""
    buffer = io.BytesIO()
    writer = petsird.BinaryPETSIRDWriter(buffer)
    writer.write_header(header)
    writer.write_time_blocks([])
    writer.close()  # writes the end-of-stream 0, which the caller's stream replaces
    data = buffer.getvalue()
    assert data[-1] == 0
    return data[:-1]


# ======================================================================================
# Compiled stream codec (yardl binary: unsigned LEB128 varints)

_OK, _TRUNCATED, _BAD_VARINT, _BAD_TAG, _BAD_TYPE, _TRAILING, _OTHER_BLOCK = range(7)
# stats: [0] time blocks, [1 + tag] time blocks of each kind, then:
_S_BLOCKS, _S_EVENT_BLOCKS, _S_MAX_STOP, _S_LONGEST = 0, 1, 7, 8
_S_SINGLES, _S_TRIPLES, _S_QUADS, _S_ITEM_START = 9, 10, 11, 12
_N_STATS = 13

#: Compiled helpers called only from compiled code (no Python entry point: faster to compile).
_inner: Any = njit(cache=True, no_cpython_wrapper=True)  # type: ignore[call-overload]


@_inner
def _varint(buf: Any, pos: int) -> tuple[int, int]:
    """(value, next position); next position −1 when truncated, −2 when > 9 bytes."""
    if pos < 0:
        return 0, pos
    value = 0
    shift = 0
    while pos < buf.size:
        byte = int(buf[pos])
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7
        if shift > 56:
            return 0, -_BAD_VARINT
    return 0, -_TRUNCATED


@_inner
def _skip_nested(buf: Any, pos: int, depth: int, per_item: int) -> tuple[int, int]:
    """Skip vectors nested ``depth`` deep of items of ``per_item`` varints: (pos, items)."""
    count, pos = _varint(buf, pos)  # (a negative pos passes through)
    if pos < 0 or count == 0:
        return pos, 0
    remaining = np.zeros(depth, np.int64)
    remaining[0] = count
    level, items = 0, 0
    while level >= 0:
        if remaining[level] == 0:
            level -= 1
            continue
        remaining[level] -= 1
        if level < depth - 1:
            count, pos = _varint(buf, pos)
            level += 1
            remaining[level] = count
        else:
            for _ in range(per_item):
                _, pos = _varint(buf, pos) if pos >= 0 else (0, pos)
            items += 1
        if pos < 0:
            return pos, items
    return pos, items


@_inner
def _decode_coincidences(
    buf: Any, pos: int, is_prompt: bool, start: int, columns: Any, k: int
) -> tuple[int, Any, int]:
    """Decode a lower-triangular list of coincidence lists into ``columns`` from row ``k``.

    ``columns`` = (words, types, prompt), see :func:`_parse`; they are replaced by larger
    ones when full.  Returns (position, columns, events so far).
    """
    n_1, pos = _varint(buf, pos)
    for i in range(n_1 if pos >= 0 else 0):
        n_2, pos = _varint(buf, pos)
        for j in range(n_2 if pos >= 0 else 0):
            m, pos = _varint(buf, pos)
            if pos < 0 or i > 65535 or j > 65535 or 3 * m > buf.size - pos:
                code = _BAD_TYPE if pos >= 0 and (i > 65535 or j > 65535) else _TRUNCATED
                return min(pos, -code), columns, k
            if k + m > columns[2].size:
                columns = _grown(columns, k, max(2 * columns[2].size, k + m))
            words, types, prompt = columns
            for _ in range(m):
                b1, pos = _varint(buf, pos)
                b2, pos = _varint(buf, pos)
                t, pos = _varint(buf, pos)
                if pos < 0 or b1 > _UINT32_MAX or b2 > _UINT32_MAX or t > _UINT32_MAX:
                    return min(pos, -_BAD_VARINT), columns, k
                words[0, k], words[1, k], words[2, k], words[3, k] = b1, b2, t, start
                types[0, k], types[1, k], prompt[k] = i, j, is_prompt
                k += 1
    return pos, columns, k


@_inner
def _grown(columns: Any, used: int, capacity: int) -> Any:
    """Copies of ``columns`` (first ``used`` rows kept) with room for ``capacity`` events."""
    words, types, prompt = columns
    bigger = (
        np.empty((4, capacity), np.uint32),
        np.empty((2, capacity), np.uint16),
        np.empty(capacity, np.bool_),
    )
    for k in range(used):
        for row in range(4):
            bigger[0][row, k] = words[row, k]
        bigger[1][0, k], bigger[1][1, k], bigger[2][k] = types[0, k], types[1, k], prompt[k]
    return bigger


@njit(cache=True)
def _parse_stream(
    buf: Any, pos: int, remaining: int, columns: Any, k: int, stats: Any
) -> tuple[int, int, int, Any, int]:
    """Decode a yardl stream of TimeBlocks from ``pos`` into ``columns`` (see :func:`_parse`).

    ``remaining``: time blocks left in the current stream chunk.  Returns ``(status,
    position, remaining, columns, events)``; status ``_OTHER_BLOCK`` stops at the tag of a
    time block that is not an event block (``remaining`` counts it): Python skips it.
    """
    while True:
        if remaining == 0:
            stats[_S_ITEM_START] = pos
            remaining, pos = _varint(buf, pos)
            if pos < 0:
                return -pos, stats[_S_ITEM_START], 0, columns, k
            if remaining == 0:
                break
        stats[_S_ITEM_START] = pos
        if pos >= buf.size:
            return _TRUNCATED, pos, remaining, columns, k
        if buf[pos] != 0:
            status = _OTHER_BLOCK if buf[pos] <= 5 else _BAD_TAG
            return status, pos, remaining, columns, k
        start, pos = _varint(buf, pos + 1)
        stop, pos = _varint(buf, pos)
        if pos >= 0 and (start > _UINT32_MAX or stop > _UINT32_MAX):
            pos = -_BAD_VARINT
        stats[_S_MAX_STOP] = max(stats[_S_MAX_STOP], stop)
        stats[_S_LONGEST] = max(stats[_S_LONGEST], stop - start)
        pos, items = _skip_nested(buf, pos, 2, 2)
        stats[_S_SINGLES] += items
        for is_prompt in (True, False):
            if pos >= 0:
                pos, columns, k = _decode_coincidences(buf, pos, is_prompt, start, columns, k)
        pos, items = _skip_nested(buf, pos, 4, 5)
        stats[_S_TRIPLES] += items
        pos, items = _skip_nested(buf, pos, 5, 5)
        stats[_S_QUADS] += items
        if pos < 0:
            return -pos, stats[_S_ITEM_START], remaining, columns, k
        stats[_S_BLOCKS] += 1
        stats[_S_EVENT_BLOCKS] += 1
        remaining -= 1
    if pos != buf.size:
        return _TRAILING, pos, 0, columns, k
    return _OK, pos, 0, columns, k


@_inner
def _put(out: Any, pos: int, value: int) -> int:
    """Write ``value`` as an unsigned varint at ``pos``; the next position."""
    while value >= 0x80:
        out[pos] = (value & 0x7F) | 0x80
        value >>= 7
        pos += 1
    out[pos] = value
    return pos + 1


@njit(cache=True)
def _encode_blocks(
    bin_1: Any, bin_2: Any, counts: Any, blocks: Any, k: int, timing: Any, out: Any
) -> int:
    """Encode event time blocks ``blocks[0] … blocks[1] − 1`` into ``out``; bytes used.

    ``counts[block]``: prompts, delayeds of each block; their detection bins start at row
    ``k`` of ``bin_1``/``bin_2``.  ``timing``: block length (ms), acquisition length (ms),
    whether a delayed list is written (1/0).
    """
    block_ms, duration_ms, has_delayed = timing[0], timing[1], timing[2]
    pos = 0
    for block in range(blocks[0], blocks[1]):
        start = block * block_ms
        out[pos] = 0  # TimeBlock case 0: EventTimeBlock
        pos = _put(out, pos + 1, start)
        pos = _put(out, pos, min(start + block_ms, duration_ms))
        out[pos] = 0  # no singles
        pos += 1
        for kind in range(2):
            if kind == 1 and not has_delayed:
                out[pos] = 0  # no delayed lists
                pos += 1
                continue
            out[pos] = 1  # one module type …
            out[pos + 1] = 1  # … paired with itself
            pos = _put(out, pos + 2, int(counts[block, kind]))
            for _ in range(counts[block, kind]):
                pos = _put(out, pos, int(bin_1[k]))
                pos = _put(out, pos, int(bin_2[k]))
                out[pos] = 0  # TOF index
                pos += 1
                k += 1
        out[pos] = 0  # no triples
        out[pos + 1] = 0  # no quadruples
        pos += 2
    return pos


@njit(cache=True)
def _bins_to_crystals(
    bin_1: Any, bin_2: Any, n_energy: int, ring_of: Any, crystal_of: Any, out: Any
) -> int:
    """Rows ring_1, crystal_1, ring_2, crystal_2 of ``out`` from detection bins.

    ``ring_of``/``crystal_of``: look-up tables by detection bin without its energy index.
    Returns the number of bins outside the tables (then ``out`` is incomplete).
    """
    n_bins = ring_of.size
    for i in range(bin_1.size):
        b1 = np.int64(bin_1[i]) // n_energy
        b2 = np.int64(bin_2[i]) // n_energy
        if b1 >= n_bins or b2 >= n_bins:
            return 1
        out[0, i], out[1, i] = ring_of[b1], crystal_of[b1]
        out[2, i], out[3, i] = ring_of[b2], crystal_of[b2]
    return 0
