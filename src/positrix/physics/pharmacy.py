"""Radiopharmacy arithmetic: decay with a named dataset, what to draw for a dose, radiochemical
yield, molar activity and generator elutions.

Formulas (activities in Bq, times in s, λ = ln 2 / T½):

- decay: ``A(t₂) = A(t₁) · e^(−λ (t₂ − t₁))`` (either direction);
- draw: the dose ``D`` wanted at ``t_inj`` is ``D · e^(λ (t_inj − t_draw))`` at the draw, and
  its volume that activity over the stock's concentration at ``t_draw``;
- radiochemical yield: ``RCY = A_product / A_start`` as measured, and decay-corrected to the
  start ``A_product · e^(λ (t_product − t_start)) / A_start``;
- molar activity ``A_m = A / n`` and its carrier-free maximum ``λ N_A`` (every atom the
  nuclide);
- generator: daughter activity ``t`` after a complete elution by the Bateman equations
  (``radioactivedecay``, ICRP-107), times the elution efficiency; Ge-68 breakthrough against
  the Ph. Eur. limit of 0.001 % of the eluted Ga-68 activity.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from positrix.errors import PositrixError
from positrix.physics.decay import half_life_s, seconds_between
from positrix.physics.nuclides import normalise_nuclide_name

__all__ = [
    "GE68_BREAKTHROUGH_LIMIT",
    "Draw",
    "Elution",
    "carrier_free_molar_activity",
    "decay_to",
    "draw_for_dose",
    "elution",
    "radiochemical_yield",
]

#: Ph. Eur. limit on Ge-68 in gallium (68Ga) chloride from a generator (fraction of Ga-68).
GE68_BREAKTHROUGH_LIMIT = 1e-5
_AVOGADRO = 6.02214076e23


def _lambda(nuclide: str, dataset: str) -> float:
    return math.log(2.0) / half_life_s(nuclide, dataset)


def decay_to(activity_bq: float, measured: datetime, at: datetime, nuclide: str, *,
             dataset: str = "ENSDF") -> float:  # fmt: skip
    """Activity at ``at`` of ``activity_bq`` measured at ``measured`` (earlier or later)."""
    return activity_bq * math.exp(-_lambda(nuclide, dataset) * seconds_between(measured, at))


@dataclass(frozen=True)
class Draw:
    """What to draw at ``draw_time`` for a dose: activity (Bq) and volume (mL), and what the
    stock holds then."""

    activity_bq: float
    volume_ml: float
    stock_activity_bq: float
    stock_concentration_bq_per_ml: float


def draw_for_dose(dose_bq: float, injection: datetime, *, stock_bq: float, stock_time: datetime,
                  stock_volume_ml: float, draw_time: datetime, nuclide: str,
                  dataset: str = "ENSDF") -> Draw:  # fmt: skip
    """Activity and volume to draw at ``draw_time`` so that ``dose_bq`` is left at
    ``injection``.

    Raises
    ------
    PositrixError
        When the injection precedes the draw, or the stock cannot give the dose.
    """
    if injection < draw_time:
        raise PositrixError(
            "the injection is before the draw", field="--inject", fix="check the two times"
        )
    if not (stock_volume_ml > 0 and dose_bq > 0 and stock_bq > 0):
        raise PositrixError(
            "activities and the stock volume must be > 0", field="--stock", fix="check them"
        )
    needed = decay_to(dose_bq, injection, draw_time, nuclide, dataset=dataset)
    stock = decay_to(stock_bq, stock_time, draw_time, nuclide, dataset=dataset)
    if needed > stock:
        raise PositrixError(
            f"the stock holds {stock / 1e6:.4g} MBq at the draw, the dose needs "
            f"{needed / 1e6:.4g} MBq then",
            field="--dose",
            fix="draw earlier, inject sooner or ask for less",
        )
    concentration = stock / stock_volume_ml
    return Draw(needed, needed / concentration, stock, concentration)


def radiochemical_yield(start_bq: float, start: datetime, product_bq: float, end: datetime,
                        nuclide: str, *, dataset: str = "ENSDF",
                        ) -> tuple[float, float]:  # fmt: skip
    """(RCY as measured, RCY decay-corrected to the start), both fractions."""
    if start_bq <= 0 or product_bq < 0:
        raise PositrixError("activities must be > 0", field="--start", fix="check them")
    corrected = decay_to(product_bq, end, start, nuclide, dataset=dataset)
    return product_bq / start_bq, corrected / start_bq


def carrier_free_molar_activity(nuclide: str, *, dataset: str = "ENSDF") -> float:
    """The largest molar activity, λ N_A (Bq/mol): every atom of the compound radioactive."""
    return _lambda(nuclide, dataset) * _AVOGADRO


@dataclass(frozen=True)
class Elution:
    """A generator elution: parent activity (Bq), daughter available in the eluate (Bq),
    its fraction of the equilibrium activity, and the parent's breakthrough check."""

    parent_bq: float
    daughter_bq: float
    fraction_of_parent: float
    breakthrough_fraction: float | None
    breakthrough_limit: float | None

    @property
    def breakthrough_ok(self) -> bool | None:
        """Whether the breakthrough is within the limit (``None`` when not measured)."""
        if self.breakthrough_fraction is None or self.breakthrough_limit is None:
            return None
        return self.breakthrough_fraction <= self.breakthrough_limit


def elution(parent_bq: float, calibrated: datetime, last_elution: datetime, at: datetime, *,
            parent: str = "Ge-68", daughter: str = "Ga-68", efficiency: float = 1.0,
            parent_in_eluate_bq: float | None = None) -> Elution:  # fmt: skip
    """Daughter activity eluted at ``at`` from a generator whose parent had ``parent_bq`` at
    ``calibrated`` and was last eluted completely at ``last_elution`` (ICRP-107 chains).

    Raises
    ------
    PositrixError
        For times out of order or an efficiency outside (0, 1].
    """
    from positrix.physics.chains import generator_ingrowth

    if not last_elution <= at:
        raise PositrixError(
            "the elution is before the previous one", field="--at", fix="check the times"
        )
    if not 0 < efficiency <= 1:
        raise PositrixError(
            f"efficiency {efficiency:g} outside (0, 1]", field="--efficiency", fix="e.g. 0.75"
        )
    parent_then = decay_to(parent_bq, calibrated, last_elution, parent, dataset="ICRP-107")
    since = (at - last_elution).total_seconds()
    daughter_bq = efficiency * generator_ingrowth(
        parent_then, since, parent=parent, daughter=daughter
    )
    parent_now = decay_to(parent_bq, calibrated, at, parent, dataset="ICRP-107")
    is_ge68 = normalise_nuclide_name(parent) == "Ge-68"
    fraction = None if parent_in_eluate_bq is None else parent_in_eluate_bq / daughter_bq
    return Elution(
        parent_now,
        daughter_bq,
        daughter_bq / parent_now,
        fraction,
        GE68_BREAKTHROUGH_LIMIT if is_ge68 else None,
    )
