"""Compton scattering of photons on free electrons: the Compton energy, the Klein–Nishina
cross-sections and a sampler of its angles.

Examples
--------
>>> round(float(scattered_energy(0.0)), 2)  # a 511 keV photon scattered by 90°
255.5
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "ANNIHILATION_KEV",
    "ELECTRON_RADIUS_MM",
    "klein_nishina_cosines",
    "kn_differential",
    "kn_total",
    "scattered_energy",
]

ANNIHILATION_KEV = 510.99895  # m_e c² (keV), energy of an annihilation photon
ELECTRON_RADIUS_MM = 2.8179403262e-12  # classical electron radius r_e (mm)


def scattered_energy(cos_theta: ArrayLike, energy_kev: ArrayLike = ANNIHILATION_KEV) -> NDArray:
    """Energy (keV) of a photon of ``energy_kev`` after Compton scattering by angle θ
    (arrays broadcast)."""
    energy_kev = np.asarray(energy_kev, dtype=np.float64)
    k = energy_kev / ANNIHILATION_KEV
    return energy_kev / (1.0 + k * (1.0 - np.asarray(cos_theta, dtype=np.float64)))


def kn_differential(cos_theta: ArrayLike, energy_kev: float = ANNIHILATION_KEV) -> NDArray:
    """Klein–Nishina differential cross-section per electron.

    Parameters
    ----------
    cos_theta
        Cosine of the scattering angle, any shape.
    energy_kev
        Energy of the incoming photon (keV).

    Returns
    -------
    NDArray
        ``dσ/dΩ`` in mm² per steradian per electron, shape of ``cos_theta``.
    """
    c = np.asarray(cos_theta, dtype=np.float64)
    ratio = scattered_energy(c, energy_kev) / energy_kev  # E′/E
    return 0.5 * ELECTRON_RADIUS_MM**2 * ratio**2 * (ratio + 1.0 / ratio - (1.0 - c * c))


def kn_total(energy_kev: ArrayLike = ANNIHILATION_KEV) -> NDArray:
    """Total Klein–Nishina cross-section per electron (mm²) of photons of ``energy_kev``."""
    k = np.asarray(energy_kev, dtype=np.float64) / ANNIHILATION_KEV
    log = np.log1p(2.0 * k)
    bracket = (1.0 + k) / k**2 * (2.0 * (1.0 + k) / (1.0 + 2.0 * k) - log / k)
    return (
        2.0
        * np.pi
        * ELECTRON_RADIUS_MM**2
        * (bracket + log / (2.0 * k) - (1.0 + 3.0 * k) / (1.0 + 2.0 * k) ** 2)
    )


def klein_nishina_cosines(energy_kev: ArrayLike, rng: np.random.Generator) -> NDArray[np.float64]:
    """Cosines of Compton scattering angles of photons of ``energy_kev`` (keV, any shape,
    flattened), drawn from the Klein–Nishina distribution by rejection: ``cos θ`` uniform,
    accepted with probability ``P²(P + 1/P − sin²θ)/2 ≤ 1`` (``P = E′/E``)."""
    energy = np.atleast_1d(np.asarray(energy_kev, dtype=np.float64)).ravel()
    cosines = np.empty(energy.size)
    todo = np.arange(energy.size)
    while todo.size:
        c = rng.uniform(-1.0, 1.0, todo.size)
        ratio = scattered_energy(c, energy[todo]) / energy[todo]
        accept = ratio**2 * (ratio + 1.0 / ratio - (1.0 - c * c)) / 2.0
        ok = rng.uniform(size=todo.size) < accept
        cosines[todo[ok]] = c[ok]
        todo = todo[~ok]
    return cosines
