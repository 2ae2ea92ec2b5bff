"""Time-integrated activity (number of decays) from activities measured at a few times.

Two methods (MIRD Pamphlet 16, Siegel et al., J Nucl Med 40 (1999) 37S):

* ``trapezoid``: trapezoids between the measured points; before the first point either
  a straight line from 0 at t = 0 (``start="zero"``, uptake) or the first value held back
  to t = 0 (``start="constant"``); after the last point, physical decay only
  (A_last / λ), the conservative tail.
* ``exponential``: a sum of 1 or 2 exponentials Σ a_i exp(−λ_i t), each λ_i ≥ λ_physical,
  fitted to the points (scipy ``curve_fit``) and integrated analytically to infinity,
  Σ a_i / λ_i.

All activities are *not* decay-corrected (what is physically there at each time); use
:func:`undo_decay_correction` for decay-corrected tables.  Times in s from injection,
activities in Bq (or in any unit: the result is in that unit × s), broadcast over any
trailing shape (voxels).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from positrix.errors import PositrixError

__all__ = ["TiaFit", "fit_exponentials", "tia_trapezoid", "undo_decay_correction"]


def _times(times_s: ArrayLike) -> NDArray[np.float64]:
    times = np.asarray(times_s, dtype=np.float64)
    if times.ndim != 1 or times.size == 0:
        raise PositrixError(
            "the sampling times are not a list of numbers",
            field="time",
            fix="give one time per measurement",
        )
    if np.any(~np.isfinite(times)) or np.any(times < 0) or np.any(np.diff(times) <= 0):
        raise PositrixError(
            f"the sampling times {times.tolist()} are not increasing times ≥ 0 after injection",
            field="time",
            fix="sort the measurements by time, one row per time, times ≥ 0",
        )
    return times


def undo_decay_correction(
    values: ArrayLike, times_s: ArrayLike, *, half_life_s: float
) -> NDArray[np.float64]:
    """Activities physically present from decay-corrected (to t = 0) values: × exp(−λ t).

    ``values`` has the times along its first axis.
    """
    times = _times(times_s)
    decay = np.exp(-math.log(2.0) / half_life_s * times)
    data = np.asarray(values, dtype=np.float64)
    return data * decay.reshape((-1,) + (1,) * (data.ndim - 1))


def tia_trapezoid(
    times_s: ArrayLike,
    activities: ArrayLike,
    *,
    half_life_s: float,
    start: str = "zero",
) -> NDArray[np.float64]:
    """Time-integrated activity (units of ``activities`` × s) by trapezoids + physical tail.

    Parameters
    ----------
    times_s
        Sampling times after injection in s, shape ``(n,)``, increasing.
    activities
        Activities at those times (not decay-corrected), shape ``(n, ...)``.
    half_life_s
        Physical half-life in s (the tail after the last point decays with it).
    start
        ``"zero"`` (activity rises linearly from 0 at injection) or ``"constant"``.

    Examples
    --------
    A single sample at t = 0 leaves only the physical tail, A0/λ = A0 T½ / ln 2:

    >>> round(float(tia_trapezoid([0.0], [1.0], half_life_s=6586.2)), 1)
    9501.9
    """
    times = _times(times_s)
    values = np.asarray(activities, dtype=np.float64)
    if values.shape[:1] != times.shape:
        raise PositrixError(
            f"{values.shape[0] if values.ndim else 0} activities for {times.size} times",
            field="activity",
            fix="give one activity per time",
        )
    if start not in ("zero", "constant"):
        raise PositrixError(f"unknown start '{start}'", field="--start", fix="zero or constant")
    lam = math.log(2.0) / half_life_s
    head = values[0] * times[0] * (0.5 if start == "zero" else 1.0)
    steps = np.diff(times).reshape((-1,) + (1,) * (values.ndim - 1))
    body = np.sum(0.5 * (values[1:] + values[:-1]) * steps, axis=0)
    return np.asarray(head + body + values[-1] / lam, dtype=np.float64)


@dataclass(frozen=True)
class TiaFit:
    """A sum-of-exponentials fit of activity versus time.

    Attributes
    ----------
    amplitudes
        a_i at t = 0, in the activities' unit.
    rates_per_s
        λ_i in 1/s (effective: biological + physical), each ≥ the physical rate.
    tia
        Σ a_i / λ_i, the activities' unit × s.
    rms_residual
        Root-mean-square residual of the fit, the activities' unit.
    """

    amplitudes: tuple[float, ...]
    rates_per_s: tuple[float, ...]
    tia: float
    rms_residual: float

    @property
    def effective_half_lives_s(self) -> tuple[float, ...]:
        """ln 2 / λ_i in s."""
        return tuple(math.log(2.0) / rate for rate in self.rates_per_s)


def fit_exponentials(
    times_s: ArrayLike, activities: ArrayLike, *, half_life_s: float, terms: int = 1
) -> TiaFit:
    """Fit Σ a_i exp(−λ_i t) (1 or 2 terms, a_i ≥ 0, λ_i ≥ λ_phys) and integrate it.

    Raises
    ------
    PositrixError
        With fewer than 2 points per term, or when the fit fails.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.array([600.0, 3600.0, 7200.0])
    >>> fit = fit_exponentials(t, 5.0 * np.exp(-2e-4 * t), half_life_s=6586.2)
    >>> round(fit.tia, 1)  # 5 / 2e-4
    25000.0
    """
    from scipy.optimize import curve_fit

    times = _times(times_s)
    values = np.asarray(activities, dtype=np.float64)
    if terms not in (1, 2):
        raise PositrixError(f"{terms} exponential terms", field="--terms", fix="1 or 2")
    if times.size < 2 * terms or values.shape != times.shape:
        raise PositrixError(
            f"{times.size} points cannot fit {terms} exponential(s) ({2 * terms} parameters)",
            field="--terms",
            fix="use fewer terms or the trapezoid method",
        )
    lam = math.log(2.0) / half_life_s
    scale = float(np.max(np.abs(values))) or 1.0

    def model(t: NDArray[np.float64], *p: float) -> NDArray[np.float64]:
        out = np.zeros_like(t)
        for i in range(terms):
            out = out + p[2 * i] * np.exp(-(lam + p[2 * i + 1]) * t)
        return out

    span = float(times[-1]) or 1.0
    guess = [v for i in range(terms) for v in (values[0] / scale / terms, 1.0 / span * 10**i)]
    bounds = ([0.0] * 2 * terms, [np.inf] * 2 * terms)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # an exact fit (n = 2·terms) has no covariance
            params, _ = curve_fit(model, times, values / scale, p0=guess, bounds=bounds,
                                  maxfev=20000)  # fmt: skip
    except (RuntimeError, ValueError) as error:
        raise PositrixError(
            f"the exponential fit failed ({error})", field="--method",
            fix="use --method trapezoid or fewer terms",
        ) from None  # fmt: skip
    amplitudes = tuple(float(params[2 * i]) * scale for i in range(terms))
    rates = tuple(lam + float(params[2 * i + 1]) for i in range(terms))
    residual = values - scale * model(times, *params)
    return TiaFit(
        amplitudes=amplitudes,
        rates_per_s=rates,
        tia=sum(a / r for a, r in zip(amplitudes, rates, strict=True)),
        rms_residual=float(np.sqrt(np.mean(residual**2))),
    )
