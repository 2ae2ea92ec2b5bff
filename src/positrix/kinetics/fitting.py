"""Fit results, frame weights and the weighted least-squares engine shared by the models."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import optimize

from positrix.errors import PositrixError
from positrix.kinetics.sampling import Sampling

__all__ = [
    "FitResult",
    "GraphicalPlot",
    "fit_least_squares",
    "frame_weights",
    "information_criteria",
    "parameter_unit",
]


@dataclass(frozen=True, eq=False)
class GraphicalPlot:
    """The linearised coordinates of a graphical method (Patlak, Logan, …) for its plot.

    Attributes
    ----------
    x, y
        Coordinates of every frame, shape ``(n_frames,)``.
    late
        Frames used by the line fit (start ≥ t*), shape ``(n_frames,)``.
    x_label, y_label
        Axis labels with units.
    tstar_min
        t* in min.
    line
        ``(slope, intercept)`` of the fitted line in these axes (SUVR: ``(0, SUVR)``).
    """

    x: NDArray[np.float64]
    y: NDArray[np.float64]
    late: NDArray[np.bool_]
    x_label: str
    y_label: str
    tstar_min: float
    line: tuple[float, float] = (float("nan"), float("nan"))


@dataclass(frozen=True, eq=False)
class FitResult:
    """The outcome of one model fit to one TAC.

    Attributes
    ----------
    model, region
        What was fitted to what.
    parameters, se
        Estimates and standard errors (rate constants in 1/min; ``delay_s`` in s).
    fitted, residuals
        Model frame values and ``data − fitted`` (empty for a failed fit).
    aic, bic
        Akaike and Bayesian information criteria of the weighted fit.
    converged
        Whether the fit succeeded; if not, ``reason`` says why and the numbers are NaN.
    at_bounds
        Names of parameters that ended on a bound.
    n_parameters
        Number of fitted parameters.
    flags
        Why a number must not be taken at face value (at a bound, not identifiable,
        physically impossible, the model's assumption fails); empty when none.
    graphical
        Linearised coordinates of a graphical method, for its plot; ``None`` otherwise.

    Notes
    -----
    ``converged`` says only that the optimiser met its tolerance; whether the numbers can be
    trusted is ``status``: ``"ok"``, ``"flagged"`` (see ``flags``) or ``"failed"``.
    """

    model: str
    region: str
    parameters: Mapping[str, float]
    se: Mapping[str, float] = field(default_factory=dict)
    fitted: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    residuals: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    aic: float = float("nan")
    bic: float = float("nan")
    converged: bool = True
    reason: str = ""
    at_bounds: tuple[str, ...] = ()
    n_parameters: int = 0
    weighted_rss: float = float("nan")
    flags: tuple[str, ...] = ()
    graphical: GraphicalPlot | None = None

    def flagged(self, name: str) -> bool:
        """Whether a flag concerns parameter ``name``."""
        return any(flag.startswith(f"{name} ") for flag in self.flags)

    @property
    def status(self) -> str:
        """``"failed"``, ``"flagged"`` or ``"ok"``."""
        if not self.converged:
            return "failed"
        return "flagged" if self.flags else "ok"

    def to_dict(self) -> dict[str, Any]:
        """The ``positrix kinetics fit --json`` object."""

        def clean(value: float) -> float | None:
            return None if not np.isfinite(value) else float(value)

        return {
            "region": self.region,
            "model": self.model,
            "parameters": {k: clean(v) for k, v in self.parameters.items()},
            "units": {k: parameter_unit(k, self.model) for k in self.parameters},
            "se": {k: clean(v) for k, v in self.se.items()},
            "aic": clean(self.aic),
            "bic": clean(self.bic),
            "converged": self.converged,
            "status": self.status,
            "flags": list(self.flags),
            "reason": self.reason,
            "at_bounds": list(self.at_bounds),
        }

    def extended(self, parameters: Mapping[str, float], se: Mapping[str, float]) -> FitResult:
        """The same fit with derived parameters (and their standard errors) added."""
        return dataclasses.replace(
            self, parameters={**self.parameters, **parameters}, se={**self.se, **se}
        )

    @classmethod
    def failed(cls, model: str, region: str, names: Sequence[str], reason: str) -> FitResult:
        """A failed fit: NaN parameters and the reason."""
        return cls(model, region, {n: float("nan") for n in names}, converged=False, reason=reason)


#: Units of the kinetic parameters (concentrations per mL of tissue; "1" is dimensionless).
PARAMETER_UNITS: dict[str, str] = {
    "K1": "mL/cm³/min",
    "k2": "1/min",
    "k3": "1/min",
    "k4": "1/min",
    "Ki": "mL/cm³/min",
    "V0": "mL/cm³",
    "VT": "mL/cm³",
    "vB": "1",
    "delay_s": "s",
    "BPND": "1",
    "DVR": "1",
    "R1": "1",
    "k2_prime": "1/min",
    "SUVR": "1",
    "intercept": "min",
}


#: Parameters whose unit depends on the model.
_MODEL_UNITS: dict[tuple[str, str], str] = {
    ("ref-patlak", "Ki"): "1/min",
    ("ref-patlak", "intercept"): "1",
    ("logan", "intercept"): "min",
}


def parameter_unit(name: str, model: str = "") -> str:
    """The unit of a kinetic parameter of ``model`` (``"1"`` when dimensionless).

    Regression coefficients of the multilinear methods (``gamma1`` …) have the unit
    ``"coefficient"``: their unit depends on the term they multiply.

    Examples
    --------
    >>> parameter_unit("Ki"), parameter_unit("BPND"), parameter_unit("Ki", "ref-patlak")
    ('mL/cm³/min', '1', '1/min')
    """
    if (model, name) in _MODEL_UNITS:
        return _MODEL_UNITS[(model, name)]
    if name.startswith("gamma"):
        return "coefficient"
    return PARAMETER_UNITS.get(name, "?")


def frame_weights(
    kind: str,
    sampling: Sampling,
    values: NDArray[np.float64],
    *,
    column: NDArray[np.float64] | None = None,
    half_life_min: float | None = None,
) -> NDArray[np.float64]:
    """Weights per frame (mean 1 over frames with non-zero weight).

    ``uniform``; ``duration`` (Δt); ``counts`` — Δt · exp(−λ t_mid) / C, the inverse
    variance of decay-corrected counts data (no decay term without a half-life; C floored
    at 5 % of the TAC's peak, frames with C ≤ 0 weight 0);
    ``column`` — the table's ``weight`` column.  Zero-length frames get weight 0.
    """
    duration = sampling.duration_min
    if kind == "uniform":
        weights = np.ones_like(duration)
    elif kind == "duration":
        weights = np.array(duration, dtype=np.float64)
    elif kind == "counts":
        decay = np.exp(-np.log(2) / half_life_min * sampling.mid_min) if half_life_min else 1.0
        # floor at 5 % of the peak: frames that are (nearly) empty must not take all the
        # weight; frames with C ≤ 0 carry no counts information and get weight 0
        floor = 0.05 * max(float(np.max(values)), 1e-30)
        weights = np.where(values > 0, duration * decay / np.maximum(values, floor), 0.0)
    elif kind == "column":
        if column is None:
            raise PositrixError(
                "--weights column needs a 'weight' column in the TAC table",
                field="weight",
                fix="add the column or choose another weighting",
            )
        weights = np.asarray(column, dtype=np.float64)
    else:
        raise PositrixError(
            f"unknown weighting '{kind}'",
            field="--weights",
            fix="use uniform, duration, counts or column",
        )
    weights = np.where(duration > 0, weights, 0.0) if kind != "column" else weights
    if np.any(weights < 0) or not np.any(weights > 0):
        raise PositrixError("weights must be ≥ 0 and not all 0", field="--weights")
    return weights / weights[weights > 0].mean()


def information_criteria(weighted_rss: float, n: int, k: int) -> tuple[float, float]:
    """AIC and BIC of a least-squares fit: ``n ln(RSS/n) + 2k`` and ``n ln(RSS/n) + k ln n``."""
    rss = max(weighted_rss, 1e-300)
    base = n * np.log(rss / n)
    return float(base + 2 * k), float(base + k * np.log(n))


def fit_least_squares(
    model: Callable[[NDArray[np.float64]], NDArray[np.float64]],
    data: NDArray[np.float64],
    weights: NDArray[np.float64],
    *,
    names: Sequence[str],
    start: Sequence[float],
    lower: Sequence[float],
    upper: Sequence[float],
    model_name: str,
    region: str,
    derived: Callable[[dict[str, float]], dict[str, float]] | None = None,
) -> FitResult:
    """Weighted least squares with bounds; standard errors from the Jacobian.

    ``derived`` adds parameters computed from the fitted ones (e.g. VT); their standard
    errors come from the same covariance by numerical propagation.
    """
    sqrt_w = np.sqrt(weights)
    used = weights > 0
    n, k = int(used.sum()), len(names)
    if n <= k:
        return FitResult.failed(
            model_name, region, names, f"{n} weighted frames for {k} parameters"
        )

    def residual(p: NDArray[np.float64]) -> NDArray[np.float64]:
        return sqrt_w * (model(p) - data)

    try:
        result = optimize.least_squares(
            residual,
            np.asarray(start, float),
            bounds=(lower, upper),
            x_scale="jac",
            method="trf",
            xtol=1e-12,
            ftol=1e-12,
            gtol=1e-12,
            max_nfev=2000,
        )
    except (ValueError, np.linalg.LinAlgError) as err:
        return FitResult.failed(model_name, region, names, f"optimiser error: {err}")
    if not result.success or not np.all(np.isfinite(result.x)):
        return FitResult.failed(model_name, region, names, result.message)
    p = result.x
    rss = float(np.sum(result.fun**2))
    dof = max(n - k, 1)
    jac = result.jac
    try:
        cov = np.linalg.pinv(jac.T @ jac) * rss / dof
    except np.linalg.LinAlgError:
        cov = np.full((k, k), np.nan)
    params = dict(zip(names, map(float, p), strict=True))
    se = dict(zip(names, map(float, np.sqrt(np.clip(np.diag(cov), 0, None))), strict=True))
    if derived is not None:
        extra = derived(params)
        for key, value in extra.items():
            gradient = np.zeros(k)
            for i, name in enumerate(names):
                h = 1e-6 * max(abs(p[i]), 1e-8)
                shifted = dict(params)
                shifted[name] = p[i] + h
                gradient[i] = (derived(shifted)[key] - value) / h
            params[key] = float(value)
            se[key] = float(np.sqrt(max(float(gradient @ cov @ gradient), 0.0)))
    fitted = model(p)
    span = np.asarray(upper, float) - np.asarray(lower, float)
    tolerance = 1e-6 * np.where(np.isfinite(span), span, 1.0)
    at = tuple(
        name
        for i, name in enumerate(names)
        if abs(p[i] - lower[i]) <= tolerance[i] or abs(upper[i] - p[i]) <= tolerance[i]
    )
    aic, bic = information_criteria(rss, n, k)
    return FitResult(
        model_name, region, params, se, fitted, data - fitted, aic, bic, True, "", at, k, rss
    )
