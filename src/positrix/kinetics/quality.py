"""Whether a fitted number can be trusted: flags for bounds, identifiability and physics.

A kinetic fit can "converge" and still give a number that means nothing: a rate constant
pinned at its bound, a standard error larger than the estimate, a negative Ki (no
irreversible uptake: Patlak's assumption fails), a VT of 10⁷.  :func:`assess` names each
such problem in ``FitResult.flags``; the command line, the JSON and the plots show them.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from positrix.kinetics.fitting import FitResult

__all__ = ["MAX_RELATIVE_SE", "PLAUSIBLE", "assess"]

#: A standard error above this fraction of |estimate| marks the parameter unidentifiable.
MAX_RELATIVE_SE = 0.5

#: Parameters whose true value may be 0, so that a relative SE means nothing for them.
_MAY_BE_ZERO = {"delay_s", "intercept", "V0", "vB", "k4", "BPND"}

#: Physically possible ranges (inclusive) per parameter, in the units of
#: :data:`positrix.kinetics.fitting.PARAMETER_UNITS`; wide: they catch impossible values,
#: not unusual ones.
PLAUSIBLE: dict[str, tuple[float, float]] = {
    "K1": (0.0, 20.0),
    "k2": (0.0, 50.0),
    "k3": (0.0, 50.0),
    "k4": (0.0, 50.0),
    "Ki": (0.0, 20.0),
    "VT": (0.0, 1000.0),
    "vB": (0.0, 1.0),
    "DVR": (0.0, 1000.0),
    "BPND": (0.0, 1000.0),
    "R1": (0.0, 20.0),
    "SUVR": (0.0, 1000.0),
}

#: What an out-of-range value means, per model and parameter (default: impossible value).
_MEANING = {
    ("patlak", "Ki"): "no irreversible uptake after t*: the curve washes out, so Patlak's "
    "assumption of trapping fails (use Logan VT or a reversible model)",
    ("ref-patlak", "Ki"): "no irreversible uptake relative to the reference after t*",
    ("logan", "VT"): "Logan's plot is not linear after t* (check t* and the input)",
    ("srtm", "BPND"): "less tracer than in the reference region",
    ("srtm2", "BPND"): "less tracer than in the reference region",
    ("logan-ref", "BPND"): "less tracer than in the reference region",
    ("mrtm", "BPND"): "less tracer than in the reference region",
    ("mrtm2", "BPND"): "less tracer than in the reference region",
}


def _bounds(result: FitResult) -> list[str]:
    return [
        f"{name} is at its bound ({result.parameters[name]:.4g}): the data put it at or "
        f"beyond the limit, so it is not estimated (consider a model without {name})"
        for name in result.at_bounds
        if name in result.parameters
    ]


def _identifiability(result: FitResult) -> list[str]:
    flags = []
    noisy = np.isfinite(result.weighted_rss) and result.weighted_rss > 0
    for name, value in result.parameters.items():
        se = result.se.get(name)
        if se is None or name in result.at_bounds or name.startswith("gamma"):
            continue
        if not np.isfinite(se):
            flags.append(f"{name} has no finite standard error: not identifiable from these data")
        elif se == 0 and noisy and value != 0:
            flags.append(
                f"{name} has a standard error of exactly 0 with a non-zero residual: the fit's "
                "Jacobian is singular, so it is not identifiable from these data"
            )
        elif name in _MAY_BE_ZERO:
            continue
        elif abs(value) <= 2.0 * se:
            flags.append(
                f"{name} is indistinguishable from 0 ({value:.3g} ± {se:.2g}): these data do "
                "not measure it"
            )
        elif se > MAX_RELATIVE_SE * abs(value):
            flags.append(
                f"{name} is not identifiable: SE {se:.3g} is {se / abs(value):.0%} of the "
                f"estimate (> {MAX_RELATIVE_SE:.0%})"
            )
    return flags


def _physics(result: FitResult) -> list[str]:
    flags = []
    for name, value in result.parameters.items():
        if name not in PLAUSIBLE or not np.isfinite(value) or name in result.at_bounds:
            continue
        low, high = PLAUSIBLE[name]
        se = result.se.get(name, 0.0)
        # a value within 2 SE below the lower limit (e.g. Ki of −3e−5 ± 3e−5) is noise
        # around it; above the upper limit nothing is noise (VT 10⁷ ± 10⁷ is still absurd)
        margin = 2.0 * se if np.isfinite(se) else 0.0
        if not low - margin <= value <= high:
            meaning = _MEANING.get((result.model, name), "physically impossible")
            flags.append(f"{name} = {value:.4g} outside [{low:g}, {high:g}]: {meaning}")
    return flags


def assess(result: FitResult) -> FitResult:
    """The fit with ``flags`` naming every reason not to trust its numbers.

    Parameters
    ----------
    result
        A fit; a failed fit is returned unchanged (its ``reason`` says why).

    Returns
    -------
    FitResult
        A copy with ``flags`` set (empty when the numbers can be taken at face value).

    Examples
    --------
    >>> from positrix.kinetics.fitting import FitResult
    >>> fit = FitResult("patlak", "liver", {"Ki": -0.003, "V0": 0.5}, {"Ki": 1e-4, "V0": 0.01})
    >>> assess(fit).status, assess(fit).flags[0][:9]
    ('flagged', 'Ki = -0.0')
    """
    if not result.converged:
        return result
    flags = _bounds(result) + _identifiability(result) + _physics(result)
    return dataclasses.replace(result, flags=tuple(dict.fromkeys(flags)))
