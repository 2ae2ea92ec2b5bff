"""Cyclotron production: thick-target yields, EOB activities, impurities and radionuclidic
purity.

Definitions (``docs/nuclides.md``; they differ by 20–34 % for F-18 and Ga-68)
---------------------------------------------------------------------------
- Reactions per incident proton ``P = Σ_i n_i ∫_{E_out}^{E_in} σ_i(E) / S(E) dE`` over the
  target's isotopes ``i`` that make the product (``n_i`` atoms per gram of target, ``S`` its
  mass stopping power).  The production rate is ``R = P · I / e``.
- Saturation yield ``Y_sat = R / I`` (GBq/µA): the activity reached after an infinitely long
  irradiation at 1 µA.
- Physical yield ``Y_phys = λ · Y_sat`` (GBq/µAh): the slope of the activity at the start.
- 1-h yield ``Y_1h = Y_sat · (1 − e^(−λ · 1 h))`` (GBq/µAh): the activity after 1 h at 1 µA.
- EOB activity ``A = Y_sat · Σ_k I_k (1 − e^(−λ Δt_k)) e^(−λ t_k)`` over the beam-current
  intervals ``k`` (``t_k``: from the end of the interval to the end of bombardment).
- Impurities: every other radionuclide the target's isotopes make (σ shipped); the
  radionuclidic purity counts those of the product's element only (the chemistry removes
  the others, e.g. N-13 from [18O]water).

The integral runs on a 4 000-point grid (converged to < 0.01 %, test).  Half-lives: the
product's from the nuclide table (ENSDF) when it is there, every other one from ICRP-107
(``radioactivedecay``); each result names its dataset.  Purity after EOB decays each
nuclide on its own (the ingrowth of radioactive daughters, e.g. Zr-88 → Y-88, is left out).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from positrix.errors import PositrixError, UnknownNuclideError
from positrix.physics.cross_sections import Reaction, channels_from, parse_reaction
from positrix.physics.decay import DATASETS, half_life_s
from positrix.physics.materials import Material, get_material
from positrix.physics.stopping import energy_after, mass_stopping_power

__all__ = [
    "DEFAULT_TARGETS",
    "PURITY_LIMITS",
    "Layer",
    "ProductYield",
    "YieldResult",
    "half_life",
    "reactions_per_proton",
    "target_material",
    "thick_target_yield",
    "yield_curve",
]

_ELEMENTARY_CHARGE = 1.602176634e-19  # C
_PROTONS_PER_UA_S = 1e-6 / _ELEMENTARY_CHARGE
_GRID = 4000

#: The usual target of each target isotope (``--target`` default).
DEFAULT_TARGETS = {"O-18": "H2[18O]", "O-16": "water", "O-17": "water", "N-14": "N2",
                   "Zn-66": "Zn", "Zn-67": "Zn", "Zn-68": "Zn", "Ni-64": "Ni", "Ni-61": "Ni",
                   "Y-89": "Y", "Te-123": "TeO2", "Te-124": "TeO2", "Te-125": "TeO2",
                   "Ca-43": "CaO", "Ca-44": "CaO"}  # fmt: skip

#: Radionuclidic purity limits checked by default: Ph. Eur. accelerator-produced gallium
#: (68Ga) chloride, ≥ 98 % at shelf-life.
PURITY_LIMITS = {"Ga-68": 0.98}


@dataclass(frozen=True)
class Layer:
    """A slab the beam crosses: ``material`` and its areal ``thickness_g_cm2``."""

    material: Material
    thickness_g_cm2: float


@dataclass(frozen=True)
class ProductYield:
    """One nuclide made in the target."""

    nuclide: str
    half_life_s: float
    half_life_dataset: str
    libraries: tuple[str, ...]
    saturation_yield_GBq_per_uA: float
    eob_activity_GBq: float

    @property
    def element(self) -> str:
        """The element (``"Ga"``): only the product's own element stays after chemistry."""
        return self.nuclide.split("-")[0]

    @property
    def decay_constant_per_s(self) -> float:
        """λ (1/s)."""
        return math.log(2.0) / self.half_life_s

    def to_dict(self) -> dict[str, object]:
        """Plain JSON."""
        return {
            "nuclide": self.nuclide,
            "half_life_s": self.half_life_s,
            "half_life_dataset": self.half_life_dataset,
            "cross_section_libraries": list(self.libraries),
            "saturation_yield_GBq_per_uA": self.saturation_yield_GBq_per_uA,
            "eob_activity_GBq": self.eob_activity_GBq,
        }


@dataclass(frozen=True)
class YieldResult:
    """A thick-target production run (see the module docstring for the definitions)."""

    reaction: str
    target: str
    enrichment: float
    beam_energy_MeV: float
    entrance_energy_MeV: float
    exit_energy_MeV: float
    irradiation_s: float
    charge_uAh: float
    product: ProductYield
    impurities: tuple[ProductYield, ...] = field(default=())

    @property
    def physical_yield_GBq_per_uAh(self) -> float:
        """λ · Y_sat (GBq/µAh)."""
        return self.product.saturation_yield_GBq_per_uA * self.product.decay_constant_per_s * 3600

    @property
    def yield_1h_GBq_per_uAh(self) -> float:
        """Y_sat (1 − e^(−λ·1 h)) (GBq/µAh)."""
        lam = self.product.decay_constant_per_s
        return self.product.saturation_yield_GBq_per_uA * -math.expm1(-lam * 3600.0)

    @property
    def isotopic_impurities(self) -> tuple[ProductYield, ...]:
        """Impurities of the product's own element (what chemistry cannot remove)."""
        return tuple(p for p in self.impurities if p.element == self.product.element)

    def purity(self, after_s: float) -> float:
        """Radionuclidic purity ``after_s`` after EOB: the product's share of the activity
        of its element (other elements in the target are separated by the chemistry)."""
        products = (self.product, *self.isotopic_impurities)
        activities = [p.eob_activity_GBq * math.exp(-p.decay_constant_per_s * after_s)
                      for p in products]  # fmt: skip
        total = sum(activities)
        return activities[0] / total if total > 0 else float("nan")

    def purity_falls_below(self, limit: float, *, horizon_s: float = 30 * 86400.0) -> float | None:
        """Seconds after EOB when the purity first falls below ``limit``; ``None`` when it
        stays above within ``horizon_s`` (and 0 when it starts below)."""
        times = np.concatenate([[0.0], np.geomspace(1.0, horizon_s, 4000)])
        values = np.array([self.purity(t) for t in times])
        below = np.nonzero(values < limit)[0]
        if below.size == 0:
            return None
        k = int(below[0])
        if k == 0:
            return 0.0
        t0, t1, v0, v1 = times[k - 1], times[k], values[k - 1], values[k]
        return float(t0 + (v0 - limit) * (t1 - t0) / (v0 - v1))

    def to_dict(self) -> dict[str, object]:
        """The ``positrix yield --json`` keys."""
        return {
            "reaction": self.reaction,
            "target": self.target,
            "enrichment": self.enrichment,
            "beam_energy_MeV": self.beam_energy_MeV,
            "entrance_energy_MeV": self.entrance_energy_MeV,
            "exit_energy_MeV": self.exit_energy_MeV,
            "irradiation_s": self.irradiation_s,
            "charge_uAh": self.charge_uAh,
            "product": self.product.nuclide,
            "half_life_s": self.product.half_life_s,
            "half_life_dataset": self.product.half_life_dataset,
            "cross_section_libraries": list(self.product.libraries),
            "saturation_yield_GBq_per_uA": self.product.saturation_yield_GBq_per_uA,
            "physical_yield_GBq_per_uAh": self.physical_yield_GBq_per_uAh,
            "yield_1h_GBq_per_uAh": self.yield_1h_GBq_per_uAh,
            "eob_activity_GBq": self.product.eob_activity_GBq,
            "radionuclidic_purity_eob": self.purity(0.0),
            "impurities": [
                p.to_dict() | {"same_element": p.element == self.product.element}
                for p in self.impurities
            ],
        }


def half_life(nuclide: str) -> tuple[float, str]:
    """Half-life (s) and its dataset: ENSDF (the nuclide table) when listed, else ICRP-107.

    Raises
    ------
    UnknownNuclideError
        For a nuclide in neither.
    """
    for dataset in DATASETS:
        try:
            return half_life_s(nuclide, dataset), dataset
        except UnknownNuclideError:
            continue
    raise UnknownNuclideError(f"no half-life for {nuclide}", field="nuclide", fix="check the name")


def _integrand(target: Material, product: str, energy: NDArray[np.float64],
               ) -> tuple[NDArray[np.float64], tuple[str, ...]]:  # fmt: skip
    """``Σ_i n_i σ_i(E) / S(E)`` (cm²/MeV per … : reactions per proton per MeV) on
    ``energy`` over the target's isotopes that make ``product``; and the σ libraries."""
    stopping = mass_stopping_power(target, np.maximum(energy, 1e-3))  # σ = 0 down there
    total = np.zeros_like(energy)
    libraries = set()
    for component in target.components:
        for channel in channels_from(component.symbol):
            if channel.product != product:
                continue
            atoms = target.atoms_per_gram(component.symbol, int(channel.target.split("-")[1]))
            if atoms > 0:
                total += atoms * channel.sigma(energy) * 1e-27
                libraries.add(channel.library)
    return total / stopping, tuple(sorted(libraries))


def reactions_per_proton(target: Material, product: str, e_in: float, e_out: float, *,
                         grid: int = _GRID) -> tuple[float, tuple[str, ...]]:  # fmt: skip
    """Reactions per incident proton making ``product`` between ``e_in`` and ``e_out``
    (MeV) in ``target``, summed over its isotopes; and the σ libraries used."""
    energy = np.linspace(e_out, e_in, grid)
    integrand, libraries = _integrand(target, product, energy)
    return float(np.trapezoid(integrand, energy)), libraries


def _eob_factor(decay_per_s: float, beam: Sequence[tuple[float, float]]) -> float:
    """Σ_k I_k (1 − e^(−λ Δt_k)) e^(−λ t_k) (µA) over ``beam`` = [(duration s, µA), …]."""
    total, after = 0.0, 0.0
    for duration, current in reversed(beam):
        total += current * -math.expm1(-decay_per_s * duration) * math.exp(-decay_per_s * after)
        after += duration
    return total


def _products(target: Material) -> set[str]:
    names = set()
    for component in target.components:
        names |= {c.product for c in channels_from(component.symbol)}
    return names


def _product_yield(target: Material, nuclide: str, e_in: float, e_out: float,
                   beam: Sequence[tuple[float, float]]) -> ProductYield | None:  # fmt: skip
    try:
        seconds, dataset = half_life(nuclide)
    except UnknownNuclideError:
        return None  # too short-lived for the decay data (e.g. Sc-42, 0.7 s)
    if not math.isfinite(seconds):
        return None  # stable
    per_proton, libraries = reactions_per_proton(target, nuclide, e_in, e_out)
    saturation = per_proton * _PROTONS_PER_UA_S * 1e-9
    eob = saturation * _eob_factor(math.log(2.0) / seconds, beam)
    return ProductYield(nuclide, seconds, dataset, libraries, saturation, eob)


def target_material(reaction: str | Reaction, target: str | Material | None = None,
                    enrichment: float = 1.0) -> Material:  # fmt: skip
    """The target of ``reaction``: ``target`` (default: the reaction's usual one, see
    ``DEFAULT_TARGETS``) with the reaction's target isotope at ``enrichment``."""
    if isinstance(reaction, str):
        reaction = parse_reaction(reaction)
    material = (
        target
        if isinstance(target, Material)
        else get_material(target or DEFAULT_TARGETS.get(reaction.target, reaction.symbol))
    )
    return material.enriched(reaction.symbol, reaction.mass_number, enrichment)


def thick_target_yield(reaction: str, energy_mev: float, *, exit_energy_mev: float | None = None,
                       thickness_g_cm2: float | None = None, target: str | Material | None = None,
                       enrichment: float = 1.0, current_ua: float = 1.0,
                       irradiation_s: float = 3600.0,
                       beam: Sequence[tuple[float, float]] | None = None,
                       degraders: Sequence[Layer] = ()) -> YieldResult:  # fmt: skip
    """Yields and EOB activities of one reaction in a target.

    Parameters
    ----------
    reaction
        ``"18O(p,n)18F"``; its target isotope sets what is enriched.
    energy_mev
        Beam energy (MeV) before the degraders.
    exit_energy_mev, thickness_g_cm2
        Where the target ends: an exit energy (MeV), or a thickness (g/cm²) from which the
        exit energy follows; neither: the beam stops in the target.
    target, enrichment
        Target material (default: the usual one for the reaction) and the atom fraction of
        the target isotope in its element (default 1, fully enriched).
    current_ua, irradiation_s
        A constant beam (µA) for ``irradiation_s`` seconds; or ``beam``, a logged current
        history ``[(duration s, current µA), …]`` in time order.
    degraders
        Foils and windows crossed before the target.

    Raises
    ------
    PositrixError
        Unknown reaction, energy beyond the σ table, a beam stopped in a degrader or in a
        target said to be thin, negative current, enrichment outside (0, 1].
    """
    parsed = parse_reaction(reaction)
    material = target_material(parsed, target, enrichment)
    history = list(beam) if beam is not None else [(irradiation_s, current_ua)]
    for duration, current in history:
        if not (duration >= 0 and current >= 0 and math.isfinite(duration + current)):
            raise PositrixError(
                "beam current and irradiation time must be ≥ 0",
                field="--current",
                fix="give e.g. --current 40uA --time 1h",
            )
    entrance = energy_mev
    for layer in degraders:
        entrance = energy_after(layer.material, entrance, layer.thickness_g_cm2)
    if exit_energy_mev is not None and thickness_g_cm2 is not None:
        raise PositrixError(
            "give the exit energy or the thickness, not both",
            field="--thickness",
            fix="drop one of them",
        )
    if thickness_g_cm2 is not None:
        exit_energy = energy_after(material, entrance, thickness_g_cm2)
    else:
        exit_energy = 0.0 if exit_energy_mev is None else exit_energy_mev
    if not 0.0 <= exit_energy < entrance:
        raise PositrixError(
            f"the exit energy {exit_energy:g} MeV is not below the entrance energy "
            f"{entrance:.4g} MeV",
            field="--energy",
            fix="write the energies as IN:OUT with IN > OUT",
        )
    main = _product_yield(material, parsed.product, entrance, exit_energy, history)
    if main is None:
        raise PositrixError(f"{parsed.product} has no decay data", field="--reaction")
    others = []
    for nuclide in sorted(_products(material) - {parsed.product}):
        found = _product_yield(material, nuclide, entrance, exit_energy, history)
        if found is not None and found.saturation_yield_GBq_per_uA > 0:
            others.append(found)
    return YieldResult(
        reaction=str(parsed),
        target=material.name,
        enrichment=enrichment,
        beam_energy_MeV=energy_mev,
        entrance_energy_MeV=entrance,
        exit_energy_MeV=exit_energy,
        irradiation_s=sum(d for d, _ in history),
        charge_uAh=sum(d * c for d, c in history) / 3600.0,
        product=main,
        impurities=tuple(others),
    )


def yield_curve(reaction: str, energies_mev: Sequence[float] | NDArray[np.float64], *,
                target: str | Material | None = None, enrichment: float = 1.0,
                ) -> NDArray[np.float64]:  # fmt: skip
    """Thick-target saturation yield (GBq/µA, beam stopped in the target) for each entrance
    energy, shape (n,): one cumulative integral, read at every energy."""
    parsed = parse_reaction(reaction)
    material = target_material(parsed, target, enrichment)
    energies = np.asarray(energies_mev, dtype=float)
    grid = np.linspace(0.0, float(np.max(energies)), _GRID)
    integrand, _ = _integrand(material, parsed.product, grid)
    steps = 0.5 * (integrand[1:] + integrand[:-1]) * np.diff(grid)
    cumulative = np.concatenate([[0.0], np.cumsum(steps)])
    return np.interp(energies, grid, cumulative) * _PROTONS_PER_UA_S * 1e-9
