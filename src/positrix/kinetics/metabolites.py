"""Parent-fraction (metabolite) models fitted to plasma samples, and their use.

Models of the parent fraction f(t) (t in min, f(0) = 1 unless stated):

- ``hill``: ``f = 1 − t^b / (t^b + c)`` (a sigmoid, as in PMOD's "Hill"),
- ``exponential``: ``f = a·e^(−λ t) + (1 − a)`` (bi-phasic, plateau ``1 − a``),
- ``power``: ``f = 1 / (1 + (a t)^b)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize

from positrix.errors import PositrixError
from positrix.kinetics.data import InputFunction

__all__ = ["METABOLITE_MODELS", "ParentFraction", "fit_parent_fraction"]


def _hill(t: NDArray[np.float64], b: float, c: float) -> NDArray[np.float64]:
    tb = np.power(np.maximum(t, 0.0), b)
    return 1.0 - tb / (tb + c)


def _exponential(t: NDArray[np.float64], a: float, lam: float) -> NDArray[np.float64]:
    return a * np.exp(-lam * np.maximum(t, 0.0)) + (1.0 - a)


def _power(t: NDArray[np.float64], a: float, b: float) -> NDArray[np.float64]:
    return 1.0 / (1.0 + np.power(a * np.maximum(t, 0.0), b))


METABOLITE_MODELS: dict[
    str, tuple[Callable[..., NDArray[np.float64]], list[float], tuple[list[float], list[float]]]
] = {
    "hill": (_hill, [2.0, 100.0], ([0.1, 1e-6], [10.0, 1e8])),
    "exponential": (_exponential, [0.7, 0.1], ([0.0, 1e-5], [1.0, 10.0])),
    "power": (_power, [0.05, 1.0], ([1e-6, 0.1], [10.0, 10.0])),
}


@dataclass(frozen=True)
class ParentFraction:
    """A fitted parent-fraction model."""

    model: str
    parameters: tuple[float, ...]

    def __call__(self, time_min: ArrayLike) -> NDArray[np.float64]:
        """Parent fraction at ``time_min``."""
        function = METABOLITE_MODELS[self.model][0]
        return function(np.asarray(time_min, dtype=np.float64), *self.parameters)

    def apply(self, inp: InputFunction) -> InputFunction:
        """The input with its plasma curve multiplied by the parent fraction."""
        return InputFunction(
            inp.time_min, inp.plasma * self(inp.time_min), inp.whole_blood, inp.source
        )


def fit_parent_fraction(
    time_min: ArrayLike, fraction: ArrayLike, *, model: str = "hill"
) -> ParentFraction:
    """Least-squares fit of a parent-fraction model to measured samples (0–1)."""
    if model not in METABOLITE_MODELS:
        raise PositrixError(
            f"unknown metabolite model '{model}'",
            field="model",
            fix="use " + ", ".join(METABOLITE_MODELS),
        )
    t = np.asarray(time_min, dtype=np.float64)
    f = np.asarray(fraction, dtype=np.float64)
    if t.shape != f.shape or t.size < 3 or np.any((f < 0) | (f > 1.05)):
        raise PositrixError(
            "parent fractions must be ≥ 3 samples between 0 and 1", field="parent_fraction"
        )
    function, start, bounds = METABOLITE_MODELS[model]
    try:
        params, _ = optimize.curve_fit(function, t, f, p0=start, bounds=bounds, maxfev=20000)
    except (RuntimeError, ValueError) as err:
        raise PositrixError(
            f"the {model} parent-fraction fit failed ({err})",
            field="parent_fraction",
            fix="try another model",
        ) from None
    return ParentFraction(model, tuple(float(p) for p in params))
