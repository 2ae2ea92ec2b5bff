"""Radioactive decay of a single nuclide: factors, activities and frame corrections.

All times are in seconds.  Functions accept scalars or numpy arrays and broadcast.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
from numpy.typing import ArrayLike, NDArray

from positrix.errors import PositrixError, UnknownNuclideError
from positrix.physics.nuclides import Nuclide, get_nuclide, normalise_nuclide_name

__all__ = [
    "DATASETS",
    "activity_at",
    "decay_constant",
    "decay_factor",
    "frame_decay_correction",
    "half_life_s",
    "seconds_between",
]


def decay_constant(nuclide: Nuclide | str) -> float:
    """Decay constant λ = ln 2 / T½ in 1/s."""
    return get_nuclide(nuclide).decay_constant_per_s


def decay_factor(nuclide: Nuclide | str, elapsed_s: ArrayLike) -> NDArray[np.float64]:
    """Fraction of activity left after ``elapsed_s`` seconds: ``exp(-λ t)``.

    Negative times give factors above 1 (activity back in time).

    Examples
    --------
    >>> round(float(decay_factor("F-18", 6586.2)), 12)
    0.5
    """
    lam = decay_constant(nuclide)
    return np.exp(-lam * np.asarray(elapsed_s, dtype=np.float64))


def seconds_between(start: datetime, end: datetime) -> float:
    """Seconds from ``start`` to ``end`` (negative when ``end`` is earlier)."""
    return (end - start).total_seconds()


def activity_at(
    activity_bq: ArrayLike,
    nuclide: Nuclide | str,
    *,
    measured_at: datetime,
    at: datetime,
) -> NDArray[np.float64]:
    """Activity (Bq) at time ``at`` of a source that had ``activity_bq`` at ``measured_at``."""
    elapsed = seconds_between(measured_at, at)
    return np.asarray(activity_bq, dtype=np.float64) * decay_factor(nuclide, elapsed)


def frame_decay_correction(
    nuclide: Nuclide | str,
    frame_start_s: ArrayLike,
    duration_s: ArrayLike,
    *,
    reference_s: ArrayLike = 0.0,
) -> NDArray[np.float64]:
    """Factor that turns a frame's mean activity into activity at the reference time.

    For a frame that starts at ``t_s`` and lasts ``Δ`` the factor is
    ``exp(λ (t_s - t_r)) · λΔ / (1 - exp(-λΔ))`` (``quantification.md``); a frame of zero
    duration gives ``exp(λ (t_s - t_r))``.

    Parameters
    ----------
    nuclide
        The nuclide.
    frame_start_s, duration_s
        Frame start and duration in s, on the same clock as ``reference_s``.
    reference_s
        The time to correct to, in s (default: 0, the clock's origin).

    Returns
    -------
    numpy.ndarray
        Correction factors (≥ 1 when the frame is after the reference).

    Examples
    --------
    >>> f = frame_decay_correction("F-18", 0.0, 6586.2)
    >>> round(float(f), 6)  # λT½ / (1 - 1/2) = 2 ln 2
    1.386294
    """
    lam = decay_constant(nuclide)
    start = np.asarray(frame_start_s, dtype=np.float64)
    duration = np.asarray(duration_s, dtype=np.float64)
    x = lam * duration
    # x / (1 - exp(-x)) written with expm1 so that very short frames stay exact.
    safe = np.where(x > 0, x, 1.0)
    within = np.where(x > 0, safe / -np.expm1(-safe), 1.0)
    return np.exp(lam * (start - np.asarray(reference_s, dtype=np.float64))) * within


#: Nuclear datasets a half-life can come from.
DATASETS = ("ENSDF", "ICRP-107")


def half_life_s(nuclide: str, dataset: str = "ENSDF") -> float:
    """Half-life (s) from ``dataset``: ``"ENSDF"`` (the nuclide table) or ``"ICRP-107"``
    (``radioactivedecay``'s default data).

    Raises
    ------
    PositrixError
        For an unknown dataset or a nuclide the dataset does not hold.
    """
    if dataset not in DATASETS:
        raise PositrixError(
            f"unknown dataset '{dataset}'", field="--dataset", fix="ENSDF or ICRP-107"
        )
    if dataset == "ENSDF":
        found = get_nuclide(nuclide)
        if found.source.get("half_life_s", "ENSDF") != "ENSDF":
            raise UnknownNuclideError(
                f"{found.name}'s half-life here is not from ENSDF", field="--dataset",
                fix="use --dataset ICRP-107",
            )  # fmt: skip
        return found.half_life_s
    import radioactivedecay as rd

    try:
        return float(rd.Nuclide(normalise_nuclide_name(nuclide)).half_life("s"))
    except ValueError:
        raise UnknownNuclideError(
            f"{nuclide} is not in ICRP-107", field="nuclide", fix="check the name"
        ) from None
