"""Plasma-input compartment models: impulse responses, frame values and the common fit.

The tissue curve is ``Σ_i a_i exp(−b_i t) ⊛ Cp(t)`` evaluated exactly on the fine grid
(:func:`positrix.kinetics.sampling.exp_convolve`); the measured signal is
``(1 − vB) · C_T + vB · C_B`` (whole blood, plasma if no whole blood is given), averaged over
each frame.  A blood delay shifts the input later by ``delay_s``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

from positrix.errors import PositrixError
from positrix.kinetics.data import InputFunction
from positrix.kinetics.fitting import FitResult, fit_least_squares
from positrix.kinetics.sampling import Sampling, exp_convolve
from positrix.physics.compartments import two_tissue_irf

__all__ = ["fit_compartment", "irf_two_tissue", "pet_frames"]


def irf_two_tissue(K1: float, k2: float, k3: float, k4: float) -> tuple[list[float], list[float]]:
    """Amplitudes and rates (1/min) of the 2TCM impulse response (k3 = 0: 1TCM); see
    :func:`positrix.physics.compartments.two_tissue_irf`."""
    return two_tissue_irf(K1, k2, k3, k4)


def pet_frames(
    amplitudes: Sequence[float],
    rates: Sequence[float],
    inp: InputFunction,
    sampling: Sampling,
    *,
    vb: float = 0.0,
    delay_s: float = 0.0,
) -> NDArray[np.float64]:
    """Frame values of ``(1 − vB) Σ a_i e^(−b_i t) ⊛ Cp + vB Cb``."""
    cp, blood = _input_on_grid(inp, sampling, delay_s)
    tissue = np.zeros_like(cp)
    for amplitude, rate in zip(amplitudes, rates, strict=True):
        tissue += amplitude * exp_convolve(cp, rate, sampling.step_min)
    if vb:
        tissue = (1.0 - vb) * tissue + vb * blood
    return sampling.frame_values(tissue)


_LAST: list[tuple[InputFunction, Sampling, float, NDArray[np.float64], NDArray[np.float64]]] = []


def _input_on_grid(
    inp: InputFunction, sampling: Sampling, delay_s: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Plasma and blood on the fine grid, remembered for the latest (input, frames, delay):
    a fit evaluates the same input hundreds of times in a row."""
    if _LAST and _LAST[0][0] is inp and _LAST[0][1] is sampling and _LAST[0][2] == delay_s:
        return _LAST[0][3], _LAST[0][4]
    grid = sampling.grid
    plasma = inp.on_grid(grid, delay_min=delay_s / 60.0)
    blood = inp.on_grid(grid, delay_min=delay_s / 60.0, blood=True)
    _LAST[:] = [(inp, sampling, float(delay_s), plasma, blood)]  # holds them: no id reuse
    return plasma, blood


_START = {"K1": 0.1, "k2": 0.1, "k3": 0.05, "k4": 0.02, "vB": 0.05, "delay_s": 0.0}
_LOWER = {"K1": 1e-6, "k2": 1e-6, "k3": 0.0, "k4": 0.0, "vB": 0.0, "delay_s": -60.0}
_UPPER = {"K1": 10.0, "k2": 10.0, "k3": 5.0, "k4": 5.0, "vB": 0.6, "delay_s": 60.0}


def fit_compartment(
    rate_names: Sequence[str],
    data: NDArray[np.float64],
    inp: InputFunction,
    sampling: Sampling,
    weights: NDArray[np.float64],
    *,
    model_name: str,
    region: str,
    vb: float | None = None,
    fit_delay: bool = False,
    derived: Callable[[dict[str, float]], dict[str, float]] | None = None,
) -> FitResult:
    """Fit K1, k2[, k3[, k4]] (+ vB when ``vb`` is None, + delay_s) to one TAC.

    Several starting points are tried and the lowest weighted residual kept (the 2TCM
    cost surface has local minima).
    """
    inp.check_covers(sampling)
    if vb is not None and not 0.0 <= vb < 1.0:
        raise PositrixError(
            f"the blood volume fraction must be in [0, 1), got {vb:g}",
            field="--vb",
            fix="give e.g. --vb 0.05, or --fit-vb",
        )
    names = list(rate_names) + (["vB"] if vb is None else []) + (["delay_s"] if fit_delay else [])

    def unpack(p: NDArray[np.float64]) -> tuple[dict[str, float], float, float]:
        values = dict(zip(names, map(float, p), strict=True))
        rates = {n: values.get(n, 0.0) for n in ("K1", "k2", "k3", "k4")}
        return rates, values.get("vB", vb or 0.0), values.get("delay_s", 0.0)

    def model(p: NDArray[np.float64]) -> NDArray[np.float64]:
        r, blood, delay = unpack(p)
        amplitudes, exps = irf_two_tissue(r["K1"], r["k2"], r["k3"], r["k4"])
        return pet_frames(amplitudes, exps, inp, sampling, vb=blood, delay_s=delay)

    best: FitResult | None = None
    last: FitResult | None = None
    for scale in (1.0, 0.3, 3.0):  # further starts only when a fit failed or hit a bound
        start = [_START[n] * (scale if n in ("k2", "k3", "k4") else 1.0) for n in names]
        result = fit_least_squares(
            model,
            data,
            weights,
            names=names,
            start=start,
            lower=[_LOWER[n] for n in names],
            upper=[_UPPER[n] for n in names],
            model_name=model_name,
            region=region,
            derived=derived,
        )
        last = result
        if result.converged and (best is None or result.weighted_rss < best.weighted_rss):
            best = result
        if best is not None and not best.at_bounds:
            break
    if best is not None:
        return best
    if last is not None:
        return last  # keeps the engine's own reason
    return FitResult.failed(model_name, region, names, "no starting point converged")
