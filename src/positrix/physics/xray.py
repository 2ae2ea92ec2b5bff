"""X-ray attenuation of water, cortical bone, air and aluminium, and micro-CT tube spectra.

Mass attenuation coefficients come from NIST SRD 126 (``data/xray_attenuation.csv``),
interpolated log–log between the tabulated energies (10–150 keV; no absorption edge of
these materials lies in that range).  Tube spectra follow Kramers' law for a thick
tungsten target, photon fluence per keV ``Φ(E) ∝ (E_max − E) / E``, hardened by the tube's
aluminium filtration ``exp(−µ_Al(E) · t)``; characteristic lines are left out (they lie at
58–69 keV, above most micro-CT voltages' fluence peak).  Flat-panel detectors integrate
energy, so a bin's share of the signal is ``Φ(E) · E``: the spectrum's ``weights``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
from numpy.typing import ArrayLike, NDArray

from positrix.errors import PositrixError

__all__ = [
    "DENSITY_G_PER_CM3",
    "MATERIALS",
    "XraySpectrum",
    "kramers_spectrum",
    "linear_attenuation_per_mm",
    "mass_attenuation",
]

#: Densities (g/cm³) of the tabulated materials (NIST SRD 126, table 2).
DENSITY_G_PER_CM3 = {"water": 1.0, "bone_cortical": 1.92, "air": 1.205e-3, "aluminium": 2.699}
MATERIALS = tuple(DENSITY_G_PER_CM3)


@cache
def _table() -> tuple[NDArray[np.float64], dict[str, NDArray[np.float64]]]:
    text = resources.files("positrix").joinpath("data/xray_attenuation.csv").read_text("utf-8")
    rows = list(csv.DictReader(line for line in text.splitlines() if not line.startswith("#")))
    energy = np.array([float(row["energy_keV"]) for row in rows])
    return energy, {m: np.array([float(row[m]) for row in rows]) for m in MATERIALS}


def mass_attenuation(material: str, energy_kev: ArrayLike) -> NDArray[np.float64]:
    """µ/ρ in cm²/g at ``energy_kev`` (10–150 keV), log–log interpolation.

    Examples
    --------
    >>> float(mass_attenuation("water", 40.0))
    0.2683
    >>> round(float(mass_attenuation("water", 45.0)), 4)
    0.2456
    """
    energy, values = _table()
    if material not in values:
        raise PositrixError(
            f"no X-ray attenuation data for '{material}'",
            field="material",
            fix="use one of " + ", ".join(MATERIALS),
        )
    e = np.asarray(energy_kev, dtype=np.float64)
    if np.any(e < energy[0]) or np.any(e > energy[-1]):
        raise PositrixError(
            f"X-ray energy outside {energy[0]:g}–{energy[-1]:g} keV",
            field="energy_keV",
            fix="micro-CT spectra lie between 10 and 150 keV",
        )
    return np.exp(np.interp(np.log(e), np.log(energy), np.log(values[material])))


def linear_attenuation_per_mm(material: str, energy_kev: ArrayLike) -> NDArray[np.float64]:
    """µ in 1/mm at the material's tabulated density."""
    return mass_attenuation(material, energy_kev) * DENSITY_G_PER_CM3[material] / 10.0


@dataclass(frozen=True)
class XraySpectrum:
    """A tube spectrum as an energy-integrating detector sees it: ``Φ(E) · E`` per bin,
    normalised to sum 1.

    Attributes
    ----------
    energy_kev
        Bin centres in keV, shape ``(n,)``.
    weights
        Share of the detected signal per bin, shape ``(n,)``, summing to 1.
    kvp
        Tube voltage (kV).
    aluminium_mm
        Total aluminium filtration (mm).
    """

    energy_kev: NDArray[np.float64]
    weights: NDArray[np.float64]
    kvp: float
    aluminium_mm: float

    def mean_mu_per_mm(self, material: str = "water") -> float:
        """Fluence-weighted µ (1/mm): the slope of ``−ln(I/I₀)`` at zero thickness."""
        return float(np.sum(self.weights * linear_attenuation_per_mm(material, self.energy_kev)))

    def effective_energy_kev(self, material: str = "water") -> float:
        """The energy whose µ equals :meth:`mean_mu_per_mm` (between 10 and 150 keV)."""
        grid = np.linspace(10.0, 150.0, 2801)
        mu = linear_attenuation_per_mm(material, grid)  # decreasing with energy
        return float(np.interp(-self.mean_mu_per_mm(material), -mu, grid))


def kramers_spectrum(
    kvp: float, *, aluminium_mm: float = 0.5, step_kev: float = 1.0
) -> XraySpectrum:
    """Kramers' thick-target spectrum filtered by aluminium (module docstring).

    Parameters
    ----------
    kvp
        Tube voltage in kV (20–150).
    aluminium_mm
        Aluminium filtration in mm (≥ 0).
    step_kev
        Width of the energy bins (keV).

    Examples
    --------
    >>> s = kramers_spectrum(50.0, aluminium_mm=0.5)
    >>> round(float(s.weights.sum()), 12), round(s.effective_energy_kev(), 1)
    (1.0, 21.9)
    """
    if not 20.0 <= kvp <= 150.0:
        raise PositrixError(
            f"tube voltage {kvp} kV", field="--kvp", fix="micro-CT tubes run at 20–150 kV"
        )
    if aluminium_mm < 0 or step_kev <= 0:
        raise PositrixError(
            f"aluminium filtration {aluminium_mm} mm, step {step_kev} keV",
            field="--aluminium-mm",
            fix="give a filtration ≥ 0 mm and a step > 0",
        )
    edges = np.arange(10.0, kvp + 1e-9, step_kev)
    centres = 0.5 * (edges[:-1] + edges[1:]) if edges.size > 1 else edges
    fluence = (kvp - centres) / centres * centres  # Kramers Φ(E) × E (energy integrating)
    fluence *= np.exp(-linear_attenuation_per_mm("aluminium", centres) * aluminium_mm)
    if not fluence.sum() > 0:
        raise PositrixError(
            f"a {kvp} kV spectrum through {aluminium_mm} mm Al has no photons left",
            field="--aluminium-mm",
            fix="lower the filtration",
        )
    return XraySpectrum(centres, fluence / fluence.sum(), float(kvp), float(aluminium_mm))
