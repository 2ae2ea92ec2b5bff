"""One entry point for regional fits: model name → the right function and options.

Used by the command line; rate constants in 1/min, times in min.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from positrix.errors import PositrixError
from positrix.kinetics.data import InputFunction, RegionalData, in_unit_of
from positrix.kinetics.fitting import FitResult, frame_weights
from positrix.kinetics.models.logan import fit_logan
from positrix.kinetics.models.logan_ref import fit_logan_ref
from positrix.kinetics.models.ma1 import fit_ma1
from positrix.kinetics.models.mrtm import fit_mrtm
from positrix.kinetics.models.mrtm2 import fit_mrtm2
from positrix.kinetics.models.one_tcm import fit_1tcm
from positrix.kinetics.models.patlak import fit_patlak
from positrix.kinetics.models.ref_patlak import fit_ref_patlak
from positrix.kinetics.models.srtm import fit_srtm
from positrix.kinetics.models.srtm2 import fit_srtm2
from positrix.kinetics.models.suvr import fit_suvr
from positrix.kinetics.models.two_tcm import fit_2tcm
from positrix.kinetics.models.two_tcm_irr import fit_2tcm_irr
from positrix.kinetics.quality import assess

__all__ = ["MODELS", "FitOptions", "fit_regions"]

PLASMA = ("1tcm", "2tcm", "2tcm-irr", "patlak", "logan", "ma1")
REFERENCE = ("srtm", "srtm2", "mrtm", "mrtm2", "logan-ref", "ref-patlak", "suvr")
MODELS = PLASMA + REFERENCE
_NEEDS_TSTAR = ("patlak", "logan", "ma1", "logan-ref", "ref-patlak", "suvr")
_NEEDS_K2P = ("srtm2", "mrtm2")


@dataclass(frozen=True)
class FitOptions:
    """Options of ``positrix kinetics fit`` (see its help)."""

    tstar_min: float | None = None
    vb: float | None = 0.05
    fit_delay: bool = False
    k2_prime: float | None = None
    weights: str = "duration"
    half_life_min: float | None = None


def fit_regions(
    model: str,
    tacs: RegionalData,
    *,
    regions: Sequence[str] | None = None,
    inp: InputFunction | None = None,
    ref: str | None = None,
    options: FitOptions = FitOptions(),
) -> list[FitResult]:
    """Fit ``model`` to each region (all but the reference by default).

    Each result is :func:`~positrix.kinetics.quality.assess`-ed: its ``flags`` say why a
    number must not be taken at face value.
    """
    if model not in MODELS:
        raise PositrixError(
            f"unknown model '{model}'", field="--model", fix="use one of " + ", ".join(MODELS)
        )
    if model in PLASMA and inp is None:
        raise PositrixError(
            f"{model} needs an arterial input",
            field="--input",
            fix="give --input input.csv (time_s, plasma[, whole_blood])",
        )
    if model in REFERENCE and not ref:
        raise PositrixError(
            f"{model} needs a reference region",
            field="--ref",
            fix="give --ref NAME, one of " + ", ".join(tacs.regions),
        )
    if model in _NEEDS_TSTAR and options.tstar_min is None:
        raise PositrixError(
            f"{model} needs t*",
            field="--tstar-min",
            fix="give --tstar-min, the start of the linear part (min)",
        )
    if model in _NEEDS_K2P and options.k2_prime is None:
        raise PositrixError(f"{model} needs k2′", field="--k2-prime", fix="give --k2-prime (1/min)")
    if inp is not None:
        inp = in_unit_of(inp, tacs.unit)
    reference = tacs.curve(ref) if ref else None
    names = list(regions) if regions else [r for r in tacs.regions if r != ref]
    s = tacs.sampling
    results = []
    for name in names:
        data = tacs.curve(name)
        w = frame_weights(
            options.weights, s, data, column=tacs.weight, half_life_min=options.half_life_min
        )
        results.append(assess(_fit_one(model, data, reference, inp, s, w, name, options)))
    return results


def _fit_one(model, data, reference, inp, s, w, name, o):
    t = o.tstar_min if o.tstar_min is not None else 0.0
    if model in ("1tcm", "2tcm", "2tcm-irr"):
        fit = {"1tcm": fit_1tcm, "2tcm": fit_2tcm, "2tcm-irr": fit_2tcm_irr}[model]
        return fit(data, inp, s, w, region=name, vb=o.vb, fit_delay=o.fit_delay)
    if model in ("patlak", "logan", "ma1"):
        return {"patlak": fit_patlak, "logan": fit_logan, "ma1": fit_ma1}[model](
            data, inp, s, w, tstar_min=t, region=name
        )
    if model == "srtm":
        return fit_srtm(data, reference, s, w, region=name)
    if model == "srtm2":
        return fit_srtm2(data, reference, s, w, k2_prime=o.k2_prime, region=name)
    if model == "mrtm":
        return fit_mrtm(data, reference, s, w, tstar_min=t, region=name)
    if model == "mrtm2":
        return fit_mrtm2(data, reference, s, w, k2_prime=o.k2_prime, tstar_min=t, region=name)
    if model == "logan-ref":
        return fit_logan_ref(data, reference, s, w, tstar_min=t, k2_prime=o.k2_prime, region=name)
    if model == "ref-patlak":
        return fit_ref_patlak(data, reference, s, w, tstar_min=t, region=name)
    return fit_suvr(data, reference, s, tstar_min=t, region=name)
