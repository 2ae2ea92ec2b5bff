"""Kinetic input data: regional TAC tables and blood input functions (CSV, PET-BIDS).

TAC CSV: ``frame_start_s, frame_duration_s``, then one column per region (any consistent
activity unit); ``frame_mid_s`` is ignored; ``weight`` is kept for ``--weights column``.
Tables with ``frame_start_min, frame_duration_min`` (kinfitr's export) are read too.

Input CSV: ``time_s, plasma`` and optionally ``whole_blood`` and ``parent_fraction``.
Without ``parent_fraction``, ``plasma`` is the metabolite-corrected parent plasma curve;
with it, the parent curve is ``plasma · parent_fraction``.  ``time_min`` is accepted for
``time_s``.  PET-BIDS ``_blood.tsv`` (``time`` in s, ``plasma_radioactivity``,
``whole_blood_radioactivity``, ``metabolite_parent_fraction``) is read by the same function.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from positrix.errors import FileFormatError, PositrixError
from positrix.kinetics.sampling import Sampling

__all__ = [
    "InputFunction",
    "RegionalData",
    "in_unit_of",
    "read_input",
    "read_tacs",
    "write_input",
]

_IGNORED = {"frame_mid_s", "frame_mid_min", "frame_end_s", "frame_end_min", "meas", "PET"}


@dataclass(frozen=True, eq=False)
class RegionalData:
    """Regional TACs in minutes.

    Attributes
    ----------
    sampling
        Frames (min).
    regions
        Region names.
    values
        Activity per frame and region, shape ``(n_frames, n_regions)``.
    weight
        The table's ``weight`` column, or ``None``.
    source
        File the data came from (for messages).
    unit
        Unit of the values from the table's ``# unit: …`` line, or ``None`` if not stated.
    """

    sampling: Sampling
    regions: tuple[str, ...]
    values: NDArray[np.float64]
    weight: NDArray[np.float64] | None = None
    source: str | None = None
    unit: str | None = None

    def curve(self, region: str) -> NDArray[np.float64]:
        """One region's TAC; a clear error names the missing region."""
        if region not in self.regions:
            raise PositrixError(
                f"no region '{region}' in the TAC table",
                source=self.source,
                field="--region/--ref",
                fix="use one of " + ", ".join(self.regions),
            )
        return self.values[:, self.regions.index(region)]


def _rows(path: Path) -> tuple[list[str], list[list[str]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as err:
        raise FileFormatError(f"cannot read ({err})", source=path) from None
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    if not lines:
        raise FileFormatError(
            "the file is empty",
            source=path,
            fix="write a header line and one row per frame (see docs/kinetics.md)",
        )
    delimiter = "\t" if "\t" in lines[0] else ","
    rows = list(csv.reader(lines, delimiter=delimiter))
    return [h.strip() for h in rows[0]], rows[1:]


def _column(
    header: list[str], rows: list[list[str]], name: str, path: Path, *, missing_ok: bool = False
) -> NDArray[np.float64]:
    index = header.index(name)
    values = np.empty(len(rows))
    for number, row in enumerate(rows, start=2):
        text = row[index].strip() if index < len(row) else ""
        if missing_ok and text.lower() in ("n/a", "na", ""):
            values[number - 2] = np.nan  # BIDS's missing value: interpolated by the caller
            continue
        try:
            values[number - 2] = float(row[index])
        except (ValueError, IndexError):
            raise FileFormatError(
                f"line {number}: '{row[index] if index < len(row) else ''}' is not a number",
                source=path,
                field=name,
                fix="write a plain number (decimal point, no unit); units go in the header",
            ) from None
    if not missing_ok and not np.all(np.isfinite(values)):
        raise FileFormatError(
            "the column holds NaN or infinite values",
            source=path,
            field=name,
            fix="remove or fill the missing values",
        )
    return values


def read_tacs(path: str | Path, *, frame_model: str = "average") -> RegionalData:
    """Read a TAC table (see the module docstring)."""
    path = Path(path)
    header, rows = _rows(path)
    if {"frame_start_s", "frame_duration_s"} <= set(header):
        start = _column(header, rows, "frame_start_s", path) / 60.0
        duration = _column(header, rows, "frame_duration_s", path) / 60.0
    elif {"frame_start_min", "frame_duration_min"} <= set(header):
        start = _column(header, rows, "frame_start_min", path)
        duration = _column(header, rows, "frame_duration_min", path)
    else:
        raise FileFormatError(
            "the TAC table needs the columns frame_start_s and frame_duration_s",
            source=path,
            field="header",
            fix="first columns: frame_start_s, frame_duration_s, then one column per region",
        )
    skip = _IGNORED | {
        "frame_start_s",
        "frame_duration_s",
        "frame_start_min",
        "frame_duration_min",
        "weight",
    }
    regions = tuple(h for h in header if h not in skip)
    if not regions:
        raise FileFormatError("the TAC table has no region column", source=path, field="header")
    values = np.column_stack([_column(header, rows, r, path) for r in regions])
    weight = _column(header, rows, "weight", path) if "weight" in header else None
    try:
        sampling = Sampling(start, duration, frame_model=frame_model)
    except PositrixError as err:
        columns = (
            "frame_start_s/frame_duration_s"
            if "frame_start_s" in header
            else ("frame_start_min/frame_duration_min")
        )
        raise PositrixError(err.problem, source=path, field=columns, fix=err.fix) from None
    return RegionalData(sampling, regions, values, weight, str(path), _unit_line(path))


def _unit_line(path: Path) -> str | None:
    """The unit stated by a ``# unit: …`` comment line, or ``None``."""
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        if line.startswith("#") and line[1:].strip().lower().startswith("unit:"):
            return line[1:].strip()[5:].strip() or None
    return None


@dataclass(frozen=True, eq=False)
class InputFunction:
    """Arterial input (min): metabolite-corrected parent plasma and, optionally, whole blood.

    Attributes
    ----------
    time_min
        Sample times (min), increasing.
    plasma
        Parent plasma concentration at those times.
    whole_blood
        Whole-blood concentration (for the vB term), or ``None`` (then plasma is used).
    source
        File it came from.
    unit
        Unit of the concentrations from the file's ``# unit: …`` line, or ``None``.
    """

    time_min: NDArray[np.float64]
    plasma: NDArray[np.float64]
    whole_blood: NDArray[np.float64] | None = None
    source: str | None = None
    unit: str | None = None

    def __post_init__(self) -> None:
        t = np.asarray(self.time_min, dtype=np.float64)
        if t.ndim != 1 or t.size < 2 or np.any(np.diff(t) <= 0):
            raise PositrixError(
                "input sample times must increase",
                source=self.source,
                field="time_s",
                fix="sort the rows by time, no duplicates",
            )

    def on_grid(
        self, grid: NDArray[np.float64], *, delay_min: float = 0.0, blood: bool = False
    ) -> NDArray[np.float64]:
        """Curve on a fine grid (linear between samples; 0 before the first sample and the
        last value held after the last), shifted later by ``delay_min``."""
        values = self.whole_blood if blood and self.whole_blood is not None else self.plasma
        return np.interp(grid - delay_min, self.time_min, values, left=0.0, right=values[-1])

    def check_covers(self, sampling: Sampling) -> None:
        """Refuse an input that stops before the last frame starts.

        Blood sampling often stops a little before the scan does: within the last frame
        the last sample is held (documented), earlier gaps are refused.
        """
        last_start = sampling.start_min[-1]
        if self.time_min[-1] < last_start - 1e-6:
            raise PositrixError(
                f"the input curve ends at {self.time_min[-1]:.2f} min but the last frame "
                f"starts at {last_start:.2f} min (scan end {sampling.end_min[-1]:.2f} min)",
                source=self.source,
                field="time_s",
                fix="give input samples up to the end of the last frame",
            )


def read_input(path: str | Path) -> InputFunction:
    """Read an input CSV or a PET-BIDS ``_blood.tsv`` (see the module docstring)."""
    path = Path(path)
    header, rows = _rows(path)
    if "time_s" in header:
        time = _column(header, rows, "time_s", path) / 60.0
    elif "time_min" in header:
        time = _column(header, rows, "time_min", path)
    elif "time" in header:  # PET-BIDS blood data: seconds
        time = _column(header, rows, "time", path) / 60.0
    else:
        raise FileFormatError(
            "the input needs a time_s column",
            source=path,
            field="header",
            fix="columns: time_s, plasma[, whole_blood, parent_fraction]",
        )
    plasma_name = "plasma" if "plasma" in header else "plasma_radioactivity"
    if plasma_name not in header:
        raise FileFormatError(
            "the input needs a plasma column",
            source=path,
            field="plasma",
            fix="columns: time_s, plasma[, whole_blood, parent_fraction]",
        )
    plasma = _column(header, rows, plasma_name, path)
    if np.any(plasma < 0):
        row = int(np.argmax(plasma < 0)) + 2
        raise FileFormatError(
            f"line {row}: plasma activity {plasma[row - 2]:g} is negative",
            source=path,
            field=plasma_name,
            fix="correct the sample (a concentration is ≥ 0; set background-subtracted "
            "negatives to 0)",
        )
    for fraction_name in ("parent_fraction", "metabolite_parent_fraction"):
        if fraction_name in header:
            fraction = _column(header, rows, fraction_name, path, missing_ok=True)
            known = np.isfinite(fraction)
            if known.sum() == 0:
                raise FileFormatError(
                    "no parent-fraction value is given", source=path, field=fraction_name
                )
            # sparse metabolite samples: linear between them, held beyond the first/last
            fraction = np.interp(time, time[known], fraction[known])
            plasma = plasma * fraction
    blood_name = next(
        (n for n in ("whole_blood", "whole_blood_radioactivity") if n in header), None
    )
    blood = _column(header, rows, blood_name, path) if blood_name else None
    return InputFunction(time, plasma, blood, str(path), _unit_line(path))


def in_unit_of(inp: InputFunction, unit: str | None, *, source: str | None = None) -> InputFunction:
    """The input in the tissue curves' ``unit`` (e.g. Bq/mL → kBq/mL), so that a model never
    mixes units; when either unit is not stated the input is returned as it is.

    Raises
    ------
    PositrixError
        When the two units are stated and cannot be converted into each other.
    """
    from positrix.physics.units import concentration_factor, is_concentration_unit

    if inp.unit is None or unit is None or inp.unit == unit:
        return inp
    if not (is_concentration_unit(inp.unit) and is_concentration_unit(unit)):
        raise PositrixError(
            f"the input is in {inp.unit} and the tissue curves in {unit}",
            source=inp.source,
            field="# unit",
            fix="give the input and the TACs in one unit (both Bq/mL, say)",
        )
    factor = concentration_factor(inp.unit) / concentration_factor(unit)
    blood = inp.whole_blood * factor if inp.whole_blood is not None else None
    return InputFunction(inp.time_min, inp.plasma * factor, blood, inp.source, unit)


def write_input(
    inp: InputFunction, path: str | Path, *, unit: str, overwrite: bool = False
) -> Path:
    """Write an input as the CSV :func:`read_input` reads: ``time_s, plasma, whole_blood``
    with a ``# unit: …`` line (times from min to s).

    Examples
    --------
    >>> import tempfile
    >>> inp = InputFunction(np.array([0.0, 1.0]), np.array([0.0, 5.0]))
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     out = write_input(inp, Path(folder) / "input.csv", unit="kBq/mL")
    ...     read_input(out).plasma.tolist(), out.read_text().splitlines()[:2]
    ([0.0, 5.0], ['# unit: kBq/mL', 'time_s,plasma,whole_blood'])
    """
    from positrix.io.safety import check_writable

    path = Path(path)
    check_writable([path], overwrite=overwrite)
    blood = inp.whole_blood if inp.whole_blood is not None else inp.plasma
    lines = [f"# unit: {unit}", "time_s,plasma,whole_blood"]
    lines += [
        f"{60.0 * t:.6g},{p:.8g},{b:.8g}"
        for t, p, b in zip(inp.time_min, inp.plasma, blood, strict=True)
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
