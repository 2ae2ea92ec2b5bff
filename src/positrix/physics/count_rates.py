"""Count-rate physics: dead time, randoms, scatter fraction and noise-equivalent count rate.

- **Non-paralysable** dead time τ (s): a detector busy for τ after each recorded event,
  ``m = n / (1 + n·τ)``; inverse ``n = m / (1 − m·τ)`` (Knoll, *Radiation Detection and
  Measurement*, ch. 4).
- **Paralysable**: every event, recorded or not, extends the busy time,
  ``m = n·e^(−n·τ)``; the inverse on the low-rate branch (``n·τ ≤ 1``, before the
  maximum ``m = 1/(e·τ)``) is ``n = −W₀(−m·τ)/τ`` with ``W₀`` the principal branch of the
  Lambert W function.
- **Randoms** between two detectors with singles rates ``S₁``, ``S₂`` and coincidence
  window ``2τ`` (``τ`` the half window): ``R = 2τ·S₁·S₂``.
- **Scatter fraction** ``SF = S/(S + T)``; **NECR** ``= T²/(T + S + k·R)`` with ``k = 1``
  (NEMA NU 4-2008: randoms estimated without noise) or ``k = 2`` (delayed-window
  subtraction).
- **Geometric singles efficiency** of a detector cylinder (radius ``R``, axial half-length
  ``L``) for a point on its axis ``z`` from the centre — inside the field of view or out of
  it: the fraction of 4π that the cylinder's side subtends,
  ``g(z) = ½·[(L − z)/√((L − z)² + R²) + (L + z)/√((L + z)² + R²)]``; activity beyond the
  ends still adds singles (and randoms) without adding trues.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from positrix.errors import PositrixError

__all__ = [
    "DEAD_TIME_MODELS",
    "cylinder_solid_angle_fraction",
    "necr",
    "randoms_rate",
    "recorded_rate",
    "scatter_fraction",
    "true_rate",
]

DEAD_TIME_MODELS = ("paralysable", "non-paralysable")


def _check(model: str, tau_s: float) -> None:
    if model not in DEAD_TIME_MODELS:
        raise PositrixError(
            f"unknown dead-time model '{model}'",
            field="dead_time_model",
            fix="use paralysable or non-paralysable",
        )
    if not tau_s >= 0:
        raise PositrixError("the dead time must be ≥ 0 s", field="dead_time_s")


def recorded_rate(true_cps: ArrayLike, tau_s: float, *, model: str) -> NDArray[np.float64]:
    """Recorded rate (counts/s) of a detector that receives ``true_cps``.

    Examples
    --------
    >>> round(float(recorded_rate(1e5, 1e-6, model="non-paralysable")), 3)  # 1e5 / 1.1
    90909.091
    >>> round(float(recorded_rate(1e5, 1e-6, model="paralysable")), 3)  # 1e5 · e^(−0.1)
    90483.742
    """
    _check(model, tau_s)
    n = np.asarray(true_cps, dtype=np.float64)
    if np.any(n < 0):
        raise PositrixError("rates must be ≥ 0 counts/s", field="rate")
    if model == "non-paralysable":
        return n / (1.0 + n * tau_s)
    return n * np.exp(-n * tau_s)


def true_rate(recorded_cps: ArrayLike, tau_s: float, *, model: str) -> NDArray[np.float64]:
    """The incoming rate that gives ``recorded_cps`` (inverse of :func:`recorded_rate`; the
    low-rate branch for the paralysable model).

    Raises
    ------
    PositrixError
        When a recorded rate is impossible for the model (≥ 1/τ non-paralysable, above
        the paralysable maximum 1/(e·τ)).
    """
    _check(model, tau_s)
    m = np.asarray(recorded_cps, dtype=np.float64)
    if np.any(m < 0):
        raise PositrixError("rates must be ≥ 0 counts/s", field="rate")
    if tau_s == 0:
        return m.copy()
    if model == "non-paralysable":
        if np.any(m * tau_s >= 1.0):
            raise PositrixError(
                "a non-paralysable detector cannot record 1/τ or more",
                field="rate",
                fix="check the dead time and the rates",
            )
        return m / (1.0 - m * tau_s)
    if np.any(m * tau_s > 1.0 / np.e + 1e-15):
        raise PositrixError(
            f"a paralysable detector records at most 1/(e·τ) = {1 / (np.e * tau_s):.4g} counts/s",
            field="rate",
            fix="check the dead time and the rates",
        )
    argument = np.maximum(-m * tau_s, -1.0 / np.e)
    return np.asarray(-np.real(special.lambertw(argument, 0)) / tau_s, dtype=np.float64)


def randoms_rate(
    singles_1_cps: ArrayLike, singles_2_cps: ArrayLike, window_ns: float
) -> NDArray[np.float64]:
    """Random coincidences (counts/s) of two detectors: ``2τ·S₁·S₂`` with ``window_ns`` the
    full coincidence window ``2τ`` (ns).

    Examples
    --------
    >>> float(randoms_rate(1e5, 2e5, 4.0))  # 4e-9 s · 1e5 · 2e5
    80.0
    """
    if not window_ns > 0:
        raise PositrixError("the coincidence window must be > 0 ns", field="window_ns")
    s1 = np.asarray(singles_1_cps, dtype=np.float64)
    s2 = np.asarray(singles_2_cps, dtype=np.float64)
    return window_ns * 1e-9 * s1 * s2


def scatter_fraction(trues: ArrayLike, scatter: ArrayLike) -> NDArray[np.float64]:
    """``S/(S + T)``."""
    t = np.asarray(trues, dtype=np.float64)
    s = np.asarray(scatter, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(t + s > 0, s / (t + s), np.nan)


def necr(
    trues_cps: ArrayLike, scatter_cps: ArrayLike, randoms_cps: ArrayLike, *, k: float = 1.0
) -> NDArray[np.float64]:
    """Noise-equivalent count rate ``T²/(T + S + k·R)`` (counts/s).

    Examples
    --------
    >>> float(necr(100.0, 10.0, 40.0))
    66.66666666666667
    """
    if k not in (1.0, 2.0):
        raise PositrixError("k is 1 (noiseless randoms) or 2 (delayed window)", field="k")
    t = np.asarray(trues_cps, dtype=np.float64)
    total = t + np.asarray(scatter_cps, dtype=np.float64) + k * np.asarray(randoms_cps)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, t * t / total, 0.0)


def cylinder_solid_angle_fraction(
    z_mm: ArrayLike, *, radius_mm: float, half_length_mm: float
) -> NDArray[np.float64]:
    """Fraction of 4π subtended by a cylinder's side from points on its axis (module
    docstring); ``z_mm`` from the cylinder's centre, inside or outside it.

    Examples
    --------
    >>> round(float(cylinder_solid_angle_fraction(0.0, radius_mm=80.0, half_length_mm=63.5)), 4)
    0.6216
    """
    if not (radius_mm > 0 and half_length_mm > 0):
        raise PositrixError("radius and half length must be > 0 mm", field="radius_mm")
    z = np.asarray(z_mm, dtype=np.float64)
    a, b = half_length_mm - z, half_length_mm + z
    r2 = radius_mm * radius_mm
    return np.asarray(0.5 * (a / np.sqrt(a * a + r2) + b / np.sqrt(b * b + r2)), dtype=np.float64)
