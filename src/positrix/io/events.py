"""Positrix list-mode event files (``.npz``), until PETSIRD arrives with the simulation issue.

A NumPy ``.npz`` archive with one entry per event field and a JSON header:

=============  ========  ======================================================
entry          type      meaning
=============  ========  ======================================================
``ring_1``     int       ring of the first crystal (0 … n_rings − 1)
``crystal_1``  int       crystal within its ring (0 … crystals_per_ring − 1)
``ring_2``     int       ring of the second crystal
``crystal_2``  int       crystal of the second crystal
``time_ms``    float     event time in ms after the acquisition start (optional)
``prompt``     bool      True for prompts, False for delayed coincidences (optional,
                         default all prompts)
``tof_bin``    int       time-of-flight bin (optional; 0 … tof_bins − 1 of the scanner,
                         counted from crystal 1 towards crystal 2)
``header``     str       JSON: ``scanner`` (name), ``acquisition_start`` (ISO 8601
                         with time zone), ``duration_s``, ``nuclide``
=============  ========  ======================================================
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from positrix.errors import FileFormatError, MissingFieldError
from positrix.io.safety import check_writable
from positrix.physics.units import parse_iso_datetime

__all__ = ["ListModeEvents", "read_events", "write_events"]

_FIELDS = ("ring_1", "crystal_1", "ring_2", "crystal_2")


@dataclass(frozen=True)
class ListModeEvents:
    """Coincidence events as crystal pairs with times and prompt/delayed flags."""

    ring_1: NDArray[np.int64]
    crystal_1: NDArray[np.int64]
    ring_2: NDArray[np.int64]
    crystal_2: NDArray[np.int64]
    time_s: NDArray[np.float64]
    prompt: NDArray[np.bool_]
    scanner: str
    acquisition_start: datetime
    duration_s: float
    nuclide: str
    metadata: dict[str, str] = field(default_factory=dict)
    tof_bin: NDArray[np.int64] | None = None

    def __len__(self) -> int:
        return int(self.ring_1.size)

    def select(self, keep: NDArray[np.bool_]) -> ListModeEvents:
        """The events where ``keep`` is true."""
        return ListModeEvents(
            self.ring_1[keep],
            self.crystal_1[keep],
            self.ring_2[keep],
            self.crystal_2[keep],
            self.time_s[keep],
            self.prompt[keep],
            self.scanner,
            self.acquisition_start,
            self.duration_s,
            self.nuclide,
            dict(self.metadata),
            None if self.tof_bin is None else self.tof_bin[keep],
        )


def read_events(path: str | Path) -> ListModeEvents:
    """Read a Positrix ``.npz`` event file (see the module docstring)."""
    path = Path(path)
    try:
        archive = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as err:
        reason = (
            "truncated or not a zip archive"
            if isinstance(err, zipfile.BadZipFile)
            else (
                "it holds pickled objects, which are never loaded" if "pickle" in str(err) else err
            )
        )
        raise FileFormatError(
            f"not a NumPy .npz event file ({reason})",
            source=path,
            fix="give list-mode events (.npz from positrix, PETSIRD .petsird/.bin) or an "
            "Interfile sinogram (.hs); copy a truncated file again",
        ) from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise FileFormatError(
            "a single NumPy array, not an .npz event archive", source=path, fix="see docs/recon.md"
        )
    with archive:
        for name in (*_FIELDS, "header"):
            if name not in archive.files:
                raise MissingFieldError(
                    f"the event file has no '{name}' entry",
                    source=path,
                    field=name,
                    fix="write it with positrix.io.events.write_events",
                )
        try:
            header = json.loads(str(archive["header"]))
        except json.JSONDecodeError as err:
            raise FileFormatError(
                f"header is not JSON ({err})", source=path, field="header"
            ) from None
        columns = {}
        for name in _FIELDS:
            raw = np.asarray(archive[name])
            if raw.dtype.kind not in "iu":
                raise FileFormatError(
                    f"'{name}' holds {raw.dtype} values, not integers", source=path, field=name
                )
            columns[name] = raw.astype(np.int64)
        n = columns["ring_1"].size
        if any(c.shape != (n,) for c in columns.values()):
            raise FileFormatError("event fields differ in length", source=path, field="ring_1")
        times = (
            np.asarray(archive["time_ms"], np.float64) / 1000.0
            if "time_ms" in archive.files
            else np.zeros(n)
        )
        prompt = (
            np.asarray(archive["prompt"], dtype=bool)
            if "prompt" in archive.files
            else np.ones(n, bool)
        )
        tof = None
        if "tof_bin" in archive.files:
            raw = np.asarray(archive["tof_bin"])
            if raw.dtype.kind not in "iu" or raw.shape != (n,) or (n and raw.min() < 0):
                raise FileFormatError(
                    "'tof_bin' must hold one non-negative integer per event",
                    source=path,
                    field="tof_bin",
                )
            tof = raw.astype(np.int64)
    for key in ("scanner", "acquisition_start", "duration_s", "nuclide"):
        if key not in header:
            raise MissingFieldError(f"the header has no '{key}'", source=path, field=key)
    start = parse_iso_datetime(str(header["acquisition_start"]), field="acquisition_start")
    assert start is not None
    duration = float(header["duration_s"])
    if not duration > 0:
        raise FileFormatError("duration_s must be > 0", source=path, field="duration_s")
    if times.shape != (n,) or prompt.shape != (n,):
        raise FileFormatError(
            "time_ms/prompt differ in length from the events", source=path, field="time_ms"
        )
    if n and (times.min() < 0 or times.max() > duration * (1 + 1e-9)):
        raise FileFormatError(
            f"event times span {times.min():g} … {times.max():g} s, outside the acquisition "
            f"(0 … {duration:g} s)",
            source=path,
            field="time_ms",
            fix="store time_ms in milliseconds after the acquisition start and check duration_s",
        )
    extra = {k: str(v) for k, v in header.items() if k not in ("scanner", "duration_s")}
    return ListModeEvents(
        columns["ring_1"],
        columns["crystal_1"],
        columns["ring_2"],
        columns["crystal_2"],
        times,
        prompt,
        str(header["scanner"]),
        start,
        duration,
        str(header["nuclide"]),
        extra,
        tof,
    )


def write_events(path: str | Path, events: ListModeEvents, *, overwrite: bool = False) -> Path:
    """Write ``events`` as a Positrix ``.npz`` event file."""
    path = Path(path)
    if path.suffix != ".npz":
        raise FileFormatError("event files end in .npz", source=path, field="path")
    check_writable([path], overwrite=overwrite)
    header = {
        "scanner": events.scanner,
        "acquisition_start": events.acquisition_start.isoformat(),
        "duration_s": events.duration_s,
        "nuclide": events.nuclide,
    }
    arrays: dict[str, np.ndarray] = {
        "ring_1": events.ring_1.astype(np.int32),
        "crystal_1": events.crystal_1.astype(np.int32),
        "ring_2": events.ring_2.astype(np.int32),
        "crystal_2": events.crystal_2.astype(np.int32),
        "time_ms": (events.time_s * 1000.0).astype(np.float64),
        "prompt": events.prompt,
        "header": np.array(json.dumps(header)),
    }
    if events.tof_bin is not None:
        arrays["tof_bin"] = events.tof_bin.astype(np.int32)
    np.savez_compressed(path, **arrays)  # type: ignore[arg-type]  # numpy stubs: names vs allow_pickle
    return path
