"""NEMA NU 4-2008 sensitivity from a point source stepped through the axial field of view.

For each step ``i`` (start ``t_i``, duration ``Δ_i``, axial position ``z_i``):

* ``rate_i = (prompts_i − delayeds_i)/Δ_i − background`` in counts/s: the delayed
  coincidences estimate the randoms; ``background_cps`` (default 0) is an intrinsic
  background rate measured without the source (e.g. Lu-176);
* ``A_i`` is the source's mean activity during the step, decayed from the activity at the
  acquisition start: ``A_0·e^{−λ t_i}·(1 − e^{−λΔ_i})/(λΔ_i)``;
* ``S_i = rate_i / A_i`` in counts/s per Bq and the absolute sensitivity
  ``S_A,i = 100·S_i / β`` in %, ``β`` the β+ fraction of the nuclide (nuclide table; NEMA's
  0.906 for Na-22 can be given as ``branching_ratio``).

Reported: the profile ``S_A,i``, its peak, its mean over the steps within the central
70 mm (mouse; centred on the middle of the stepped range unless ``centre_mm`` is given —
all steps when the range is shorter) and its mean over all steps (whole FOV).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from positrix.errors import FileFormatError, MissingFieldError, PositrixError
from positrix.io.events import ListModeEvents
from positrix.physics.decay import activity_at, frame_decay_correction
from positrix.physics.nuclides import get_nuclide

__all__ = [
    "STEP_COLUMNS",
    "SensitivityResult",
    "StepTable",
    "nema_sensitivity",
    "read_steps",
    "sensitivity_from_counts",
]

#: Columns of a step table.
STEP_COLUMNS = ("start_s", "duration_s", "z_mm")
#: Axial length of the "mouse" average (mm).
MOUSE_LENGTH_MM = 70.0


@dataclass(frozen=True, eq=False)
class StepTable:
    """Bed steps of a stepped acquisition: start and duration (s after the acquisition
    start) and the source's axial position (mm), each shape ``(n,)``."""

    start_s: NDArray[np.float64]
    duration_s: NDArray[np.float64]
    z_mm: NDArray[np.float64]
    source: str | None = None

    def __len__(self) -> int:
        return int(self.z_mm.size)


def read_steps(path: str | Path) -> StepTable:
    """Read a step table: CSV (or TSV) with the columns ``start_s``, ``duration_s``, ``z_mm``.

    Raises
    ------
    MissingFieldError
        When a column is missing.
    FileFormatError
        When the file is absent or empty, or a value is not a number.
    """
    path = Path(path)
    fix = "write a header start_s,duration_s,z_mm and one row per bed step"
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as err:
        raise FileFormatError(f"cannot read the step table ({err.strerror})", source=path) from None
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    if not lines:
        raise FileFormatError("the step table is empty", source=path, fix=fix)
    delimiter = "\t" if "\t" in lines[0] else ","
    reader = csv.DictReader(lines, delimiter=delimiter)
    names = [n.strip() for n in (reader.fieldnames or [])]
    for column in STEP_COLUMNS:
        if column not in names:
            raise MissingFieldError(
                f"the step table has no '{column}' column (it has {', '.join(names) or 'none'})",
                source=path,
                field=column,
                fix=fix,
            )
    columns: dict[str, list[float]] = {c: [] for c in STEP_COLUMNS}
    for row_number, row in enumerate(reader, start=2):
        clean = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
        for column in STEP_COLUMNS:
            try:
                columns[column].append(float(clean[column]))
            except ValueError:
                raise FileFormatError(
                    f"line {row_number}: '{clean[column]}' is not a number",
                    source=path,
                    field=column,
                    fix="give seconds and millimetres as plain numbers",
                ) from None
    if not columns["z_mm"]:
        raise FileFormatError("the step table has a header but no steps", source=path, fix=fix)
    bad = [i + 2 for i, v in enumerate(columns["duration_s"]) if not v > 0]
    if bad:
        raise FileFormatError(
            f"line {bad[0]}: a step needs a duration > 0 s",
            source=path,
            field="duration_s",
            fix="give each step's duration in seconds",
        )
    return StepTable(
        np.asarray(columns["start_s"]),
        np.asarray(columns["duration_s"]),
        np.asarray(columns["z_mm"]),
        str(path),
    )


@dataclass(frozen=True, eq=False)
class SensitivityResult:
    """Sensitivity profile and summary of a stepped point-source acquisition.

    Arrays have one value per step.  ``sensitivity_cps_per_bq`` is ``S_i``;
    ``absolute_pct`` is ``S_A,i`` in %.  ``peak_pct``/``peak_z_mm`` are the highest step,
    ``mouse_pct`` the mean over ``mouse_range_mm`` (central 70 mm), ``whole_fov_pct`` the
    mean over all steps.
    """

    z_mm: NDArray[np.float64]
    start_s: NDArray[np.float64]
    duration_s: NDArray[np.float64]
    prompts: NDArray[np.int64]
    delayeds: NDArray[np.int64]
    activity_bq: NDArray[np.float64]
    rate_cps: NDArray[np.float64]
    sensitivity_cps_per_bq: NDArray[np.float64]
    absolute_pct: NDArray[np.float64]
    peak_pct: float
    peak_z_mm: float
    mouse_pct: float
    whole_fov_pct: float
    mouse_range_mm: tuple[float, float]
    n_mouse_steps: int
    branching_ratio: float
    nuclide: str
    background_cps: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: ``steps`` (list), summaries, ``counts`` and ``units``."""
        steps = [
            {
                "z_mm": float(self.z_mm[i]),
                "start_s": float(self.start_s[i]),
                "duration_s": float(self.duration_s[i]),
                "prompts": int(self.prompts[i]),
                "delayeds": int(self.delayeds[i]),
                "net_counts": int(self.prompts[i] - self.delayeds[i]),
                "activity_bq": float(self.activity_bq[i]),
                "rate_cps": float(self.rate_cps[i]),
                "sensitivity_cps_per_bq": float(self.sensitivity_cps_per_bq[i]),
                "absolute_pct": float(self.absolute_pct[i]),
            }
            for i in range(self.z_mm.size)
        ]
        beta = self.branching_ratio / 100.0
        return {
            "steps": steps,
            "peak_pct": self.peak_pct,
            "peak_z_mm": self.peak_z_mm,
            "mouse_pct": self.mouse_pct,
            "whole_fov_pct": self.whole_fov_pct,
            "peak_cps_per_bq": self.peak_pct * beta,
            "mouse_cps_per_bq": self.mouse_pct * beta,
            "whole_fov_cps_per_bq": self.whole_fov_pct * beta,
            "mouse_range_mm": list(self.mouse_range_mm),
            "n_mouse_steps": self.n_mouse_steps,
            "counts": {
                "prompts": int(self.prompts.sum()),
                "delayeds": int(self.delayeds.sum()),
                "net": int(self.prompts.sum() - self.delayeds.sum()),
            },
            "branching_ratio": self.branching_ratio,
            "nuclide": self.nuclide,
            "background_cps": self.background_cps,
            "units": {
                "absolute": "%",
                "sensitivity": "cps/Bq",
                "activity": "Bq",
                "rate": "counts/s",
                "z": "mm",
                "time": "s",
            },
        }


def _array(values: ArrayLike, name: str, n: int | None) -> NDArray[np.float64]:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1 or (n is not None and array.size != n) or array.size == 0:
        raise PositrixError(
            f"'{name}' must list one value per step ({n if n is not None else '≥ 1'}), "
            f"got shape {array.shape}",
            field=name,
            fix="give equally long 1-D sequences",
        )
    if not np.all(np.isfinite(array)):
        raise PositrixError(f"'{name}' holds NaN or infinite values", field=name)
    return array


def sensitivity_from_counts(
    prompts: ArrayLike,
    delayeds: ArrayLike,
    *,
    start_s: ArrayLike,
    duration_s: ArrayLike,
    z_mm: ArrayLike,
    activity_bq: float,
    nuclide: str = "Na-22",
    branching_ratio: float | None = None,
    background_cps: float = 0.0,
    centre_mm: float | None = None,
) -> SensitivityResult:
    """NEMA sensitivity from counts per step (see the module docstring for the formulas).

    Parameters
    ----------
    prompts, delayeds
        Prompt and delayed coincidences per step, shape ``(n,)``.
    start_s, duration_s
        Step start (s after the time ``activity_bq`` refers to) and duration (s).
    z_mm
        Axial source position of each step (mm).
    activity_bq
        Source activity at time 0 (Bq).
    nuclide
        Source nuclide (decay and β+ fraction).
    branching_ratio
        β+ fraction to use instead of the nuclide table's.
    background_cps
        Intrinsic background rate to subtract (counts/s).
    centre_mm
        Axial centre of the mouse range (default: middle of the stepped range).

    Returns
    -------
    SensitivityResult

    Examples
    --------
    >>> r = sensitivity_from_counts([1000, 3000, 1000], [0, 1000, 0], start_s=[0, 10, 20],
    ...     duration_s=[10, 10, 10], z_mm=[-10, 0, 10], activity_bq=1e4,
    ...     branching_ratio=0.5)
    >>> [round(float(v), 3) for v in r.absolute_pct], round(r.peak_pct, 3)
    ([2.0, 4.0, 2.0], 4.0)
    """
    start = _array(start_s, "start_s", None)
    n = start.size
    duration = _array(duration_s, "duration_s", n)
    z = _array(z_mm, "z_mm", n)
    p = _array(prompts, "prompts", n)
    d = _array(delayeds, "delayeds", n)
    if np.any(duration <= 0):
        raise PositrixError(
            "every step needs a duration > 0 s", field="duration_s", fix="check the step table"
        )
    if np.any(p < 0) or np.any(d < 0):
        raise PositrixError("counts cannot be negative", field="prompts", fix="check the counts")
    order = np.argsort(start, kind="stable")
    if np.any(start[order][1:] < (start + duration)[order][:-1] - 1e-9):
        raise PositrixError(
            "the steps overlap in time",
            field="start_s",
            fix="give each step its own interval (start_s + duration_s ≤ next start_s)",
        )
    if not (math.isfinite(activity_bq) and activity_bq > 0):
        raise PositrixError(
            f"the source activity must be > 0 Bq, got {activity_bq}",
            field="activity_bq",
            fix="give the calibrated activity, e.g. 1 MBq",
        )
    info = get_nuclide(nuclide)
    beta = info.beta_plus_fraction if branching_ratio is None else float(branching_ratio)
    if not 0 < beta <= 1:
        raise PositrixError(
            f"the β+ fraction must be in (0, 1], got {beta}",
            field="branching_ratio",
            fix="e.g. 0.906 for Na-22",
        )
    mean_activity = activity_bq / frame_decay_correction(info, start, duration)
    rate = (p - d) / duration - float(background_cps)
    sensitivity = rate / mean_activity
    absolute = 100.0 * sensitivity / beta
    if float(np.max(absolute)) > 100.0:
        raise PositrixError(
            f"the sensitivity would be {float(np.max(absolute)):.4g} %: more coincidences "
            f"than positrons, so the activity ({activity_bq:.4g} Bq) cannot be right",
            field="--activity",
            fix="check the activity and its unit (MBq, not mBq) and its reference time",
        )
    centre = 0.5 * (float(z.min()) + float(z.max())) if centre_mm is None else float(centre_mm)
    half = MOUSE_LENGTH_MM / 2.0
    mouse = np.abs(z - centre) <= half + 1e-9
    if not np.any(mouse):
        raise PositrixError(
            f"no step lies within ±{half:g} mm of {centre:g} mm",
            field="centre_mm",
            fix="give the axial centre of the field of view on the step table's z scale",
        )
    top = int(np.argmax(absolute))
    return SensitivityResult(
        z_mm=z,
        start_s=start,
        duration_s=duration,
        prompts=p.astype(np.int64),
        delayeds=d.astype(np.int64),
        activity_bq=np.asarray(mean_activity, dtype=np.float64),
        rate_cps=rate,
        sensitivity_cps_per_bq=sensitivity,
        absolute_pct=absolute,
        peak_pct=float(absolute[top]),
        peak_z_mm=float(z[top]),
        mouse_pct=float(absolute[mouse].mean()),
        whole_fov_pct=float(absolute.mean()),
        mouse_range_mm=(centre - half, centre + half),
        n_mouse_steps=int(mouse.sum()),
        branching_ratio=beta,
        nuclide=info.name,
        background_cps=float(background_cps),
    )


def nema_sensitivity(
    events: ListModeEvents,
    steps: StepTable,
    activity_bq: float,
    *,
    activity_measured_at: datetime | None = None,
    nuclide: str | None = None,
    branching_ratio: float | None = None,
    background_cps: float = 0.0,
    centre_mm: float | None = None,
) -> SensitivityResult:
    """NEMA sensitivity from the list-mode events of a stepped point-source acquisition.

    Events are counted per step by their time (prompts and delayeds separately); events
    between steps (bed motion) are ignored.

    Parameters
    ----------
    events
        The acquisition's events (with times; see :mod:`positrix.io.events`).
    steps
        Bed steps, times relative to the acquisition start (:func:`read_steps`).
    activity_bq
        Source activity (Bq) at the acquisition start, or at ``activity_measured_at``.
    activity_measured_at
        Time of the activity measurement (e.g. the source certificate's date).
    nuclide
        Source nuclide (default: the event file's).
    branching_ratio, background_cps, centre_mm
        As for :func:`sensitivity_from_counts`.

    Raises
    ------
    PositrixError
        For steps outside the acquisition, events without times, or bad values.
    """
    where = steps.source
    if len(events) and len(steps) > 1 and not np.any(events.time_s > 0):
        raise MissingFieldError(
            "the events have no times, so they cannot be split into steps",
            field="time_ms",
            fix="write the event times (ms after the acquisition start) into the event file",
        )
    end = steps.start_s + steps.duration_s
    if np.any(steps.start_s < 0) or np.any(end > events.duration_s * (1 + 1e-9)):
        raise PositrixError(
            f"steps run from {steps.start_s.min():g} to {end.max():g} s but the acquisition "
            f"lasts {events.duration_s:g} s",
            source=where,
            field="start_s",
            fix="give step times in s after the acquisition start",
        )
    name = nuclide or events.nuclide
    if activity_measured_at is not None:
        activity_bq = float(
            activity_at(
                activity_bq, name, measured_at=activity_measured_at, at=events.acquisition_start
            )
        )
    counts = []
    for flag in (True, False):
        times = np.sort(events.time_s[events.prompt == flag])
        counts.append(
            np.searchsorted(times, end, side="left")
            - np.searchsorted(times, steps.start_s, side="left")
        )
    return sensitivity_from_counts(
        counts[0],
        counts[1],
        start_s=steps.start_s,
        duration_s=steps.duration_s,
        z_mm=steps.z_mm,
        activity_bq=activity_bq,
        nuclide=name,
        branching_ratio=branching_ratio,
        background_cps=background_cps,
        centre_mm=centre_mm,
    )
