"""Model comparison: information criteria and the F-test between nested fits."""

from __future__ import annotations

from dataclasses import dataclass

from scipy import stats

from positrix.errors import PositrixError
from positrix.kinetics.fitting import FitResult

__all__ = ["FTest", "f_test"]


@dataclass(frozen=True)
class FTest:
    """``F = ((RSS₁ − RSS₂)/(k₂ − k₁)) / (RSS₂/(n − k₂))`` and its p-value."""

    f: float
    p_value: float
    better: str


def f_test(simple: FitResult, complex_: FitResult, n_frames: int, *, alpha: float = 0.05) -> FTest:
    """Does the model with more parameters fit significantly better?"""
    k1, k2 = simple.n_parameters, complex_.n_parameters
    if k2 <= k1:
        raise PositrixError("the second model must have more parameters", field="models")
    if n_frames <= k2:
        raise PositrixError("too few frames for the F-test", field="frames")
    rss1, rss2 = simple.weighted_rss, complex_.weighted_rss
    f = ((rss1 - rss2) / (k2 - k1)) / (rss2 / (n_frames - k2))
    p = float(stats.f.sf(f, k2 - k1, n_frames - k2))
    return FTest(float(f), p, complex_.model if p < alpha else simple.model)
