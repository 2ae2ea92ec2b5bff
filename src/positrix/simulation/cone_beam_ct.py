"""Cone-beam micro-CT acquisition of a CT-number volume: monochromatic or polychromatic
line integrals, with Poisson quantum noise and a dark offset, scatter-free.

Each voxel's CT number is split into materials with NIST attenuation
(:mod:`positrix.physics.xray`) at the reference energy ``E_ref`` that defines the HU scale:
HU ≤ 0 is water thinned with air (density ``1 + HU/1000`` g/cm³), HU > 0 is water with a
volume fraction ``f = HU / HU_bone(E_ref)`` of ICRU-44 cortical bone (``f ≤ 1``).  The
projector (:class:`~positrix.recon.cone_beam.ConeBeamProjector`) integrates each density
along the rays; a polychromatic beam then measures
``I / I₀ = Σ_E w(E) · exp(−µ_w(E)/ρ · ρL_w − µ_b(E)/ρ · ρL_b)`` (``w`` the detected
spectrum), a monochromatic one ``exp(−µ(E_ref) L)``.  With ``photons_per_pixel`` set, the
detector counts ``Poisson(N · I/I₀)`` and adds the dark offset; the flat field is the mean
of 16 open-beam frames.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from positrix.errors import PositrixError
from positrix.geometry.cone_beam import ConeBeamGeometry
from positrix.physics.xray import DENSITY_G_PER_CM3, XraySpectrum, mass_attenuation
from positrix.recon.cone_beam import ConeBeamProjector

__all__ = ["ConeBeamData", "bone_hu", "material_densities", "simulate_cone_beam"]

_FLAT_FRAMES = 16


@dataclass(frozen=True)
class ConeBeamData:
    """A simulated acquisition.

    Attributes
    ----------
    projections
        ``(n_angles, rows, cols)``: line integrals when ``flat`` is ``None``, else
        detector counts.
    flat, dark
        Open-beam and offset images ``(rows, cols)`` (counts), or ``None``.
    reference_kev
        The energy at which the input HU were defined.
    """

    projections: NDArray[np.float32]
    flat: NDArray[np.float32] | None
    dark: NDArray[np.float32] | None
    reference_kev: float


def bone_hu(reference_kev: float) -> float:
    """CT number of ICRU-44 cortical bone at ``reference_kev``.

    Examples
    --------
    >>> round(bone_hu(40.0))
    3762
    """
    ratio = DENSITY_G_PER_CM3["bone_cortical"] * mass_attenuation("bone_cortical", reference_kev)
    return float(1000.0 * (ratio / mass_attenuation("water", reference_kev) - 1.0))


def material_densities(
    hu: ArrayLike, reference_kev: float
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Water and cortical-bone partial densities (g/cm³) of each voxel (module docstring)."""
    values = np.asarray(hu, dtype=np.float64)
    fraction = np.clip(values / bone_hu(reference_kev), 0.0, 1.0)
    water = np.where(values <= 0.0, np.clip(1.0 + values / 1000.0, 0.0, None), 1.0 - fraction)
    bone = DENSITY_G_PER_CM3["bone_cortical"] * fraction
    return water.astype(np.float32), bone.astype(np.float32)


def simulate_cone_beam(
    hu: ArrayLike,
    voxel_size_mm: float,
    geometry: ConeBeamGeometry,
    *,
    spectrum: XraySpectrum | None = None,
    reference_kev: float | None = None,
    photons_per_pixel: float | None = None,
    dark_counts: float = 100.0,
    seed: int = 0,
) -> ConeBeamData:
    """Project a CT-number volume (module docstring).

    Parameters
    ----------
    hu
        CT numbers ``(nx, ny, nz)``, centred on the isocentre, isotropic voxels.
    voxel_size_mm
        The voxel size (mm).
    geometry
        The scan.
    spectrum
        A polychromatic beam; ``None`` for a monochromatic one at ``reference_kev``.
    reference_kev
        The energy of the HU scale: default the spectrum's effective energy, or 30 keV.
    photons_per_pixel
        Unattenuated photons per detector pixel and view (quantum noise); ``None`` for
        noise-free line integrals.
    dark_counts
        Detector offset added to the counts.
    seed
        Seed of the noise.
    """
    volume = np.asarray(hu, dtype=np.float64)
    if volume.ndim != 3:
        raise PositrixError("the CT volume must be 3-D", field="hu")
    energy = reference_kev or (spectrum.effective_energy_kev() if spectrum else 30.0)
    water, bone = material_densities(volume, energy)
    projector = ConeBeamProjector(geometry, shape=volume.shape, voxel_size_mm=voxel_size_mm)
    # ∫ρ dl in g/cm³ · mm → g/cm² (× 0.1)
    water_path = projector.apply(water) * np.float32(0.1)
    bone_path = projector.apply(bone) * np.float32(0.1)
    if spectrum is None:
        line = (
            mass_attenuation("water", energy) * water_path
            + mass_attenuation("bone_cortical", energy) * bone_path
        )
        transmission = np.exp(-line)
    else:
        mu_w = mass_attenuation("water", spectrum.energy_kev)
        mu_b = mass_attenuation("bone_cortical", spectrum.energy_kev)
        transmission = np.zeros(water_path.shape, np.float64)
        for weight, a, b in zip(spectrum.weights, mu_w, mu_b, strict=True):
            transmission += weight * np.exp(-(a * water_path + b * bone_path))
        line = -np.log(transmission)
    if photons_per_pixel is None:
        return ConeBeamData(line.astype(np.float32), None, None, float(energy))
    if not photons_per_pixel > 0 or dark_counts < 0:
        raise PositrixError(
            f"{photons_per_pixel} photons per pixel, dark {dark_counts}",
            field="photons_per_pixel",
            fix="photons > 0 and a dark offset ≥ 0",
        )
    rng = np.random.default_rng(seed)
    counts = rng.poisson(photons_per_pixel * transmission) + dark_counts
    panel = (geometry.detector_rows, geometry.detector_cols)
    flat = rng.poisson(photons_per_pixel, (_FLAT_FRAMES, *panel)).mean(axis=0) + dark_counts
    dark = np.full(panel, dark_counts, np.float32)
    return ConeBeamData(counts.astype(np.float32), flat.astype(np.float32), dark, float(energy))
