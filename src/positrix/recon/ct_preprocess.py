"""From raw cone-beam projections to line integrals: dark/flat field, water beam-hardening
pre-correction, ring-artefact reduction.

* **Dark/flat field**: ``p = −ln((I − D) / (F − D))`` per pixel (``D`` the detector offset
  without X-rays, ``F`` the open beam); pixels at or below the dark level are clipped to
  a tenth of a count so that a dead pixel gives a large, finite value.
* **Water pre-correction** (Herman, Phys Med Biol 24 (1979) 81; Kachelrieß et al.,
  Med Phys 33 (2006) 1269): a polychromatic beam through ``L`` mm of water measures
  ``p(L) = −ln Σ w(E) e^{−µ(E) L}``, concave in ``L``.  Each value is mapped back to the
  water length it means and multiplied by µ̄ (the spectrum's mean water µ), so water of
  any thickness reconstructs to one µ (no cupping); bone keeps a residual.
* **Ring reduction** (after Boin & Haibel, Opt Express 14 (2006) 12071): a pixel whose
  gain is off adds the same offset to every view; the view-averaged projection minus its
  median along the columns is that offset, subtracted from each view.  Structures that
  move across the panel with the angle average out; a constant stripe is a ring.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage

from positrix.errors import PositrixError
from positrix.physics.xray import XraySpectrum, linear_attenuation_per_mm

__all__ = ["flat_field", "reduce_rings", "water_precorrection"]


def _as_image(value: ArrayLike, shape: tuple[int, ...], name: str) -> NDArray[np.float64]:
    array = np.asarray(value, dtype=np.float64)
    if array.ndim == 3 and array.shape[1:] == shape:  # a stack of frames: their mean
        array = array.mean(axis=0)
    if array.shape != shape and array.ndim != 0:
        raise PositrixError(
            f"{name} of shape {array.shape}, the projections are {shape} (rows × columns)",
            field=f"--{name}",
            fix=f"give one {name} image (or a stack of them) of the panel's size",
        )
    return array


def flat_field(
    raw: ArrayLike, flat: ArrayLike, dark: ArrayLike | float = 0.0
) -> NDArray[np.float32]:
    """Line integrals ``(n_angles, rows, cols)`` from raw intensities.

    Parameters
    ----------
    raw
        Detector readings, ``(n_angles, rows, cols)``.
    flat
        Open-beam image ``(rows, cols)`` (or a stack of them, averaged).
    dark
        Offset image ``(rows, cols)``, a stack, or one number; default 0.

    Examples
    --------
    >>> raw = np.full((2, 1, 2), 1000.0 * np.exp(-0.5) + 100.0)
    >>> flat_field(raw, np.full((1, 2), 1100.0), 100.0).round(6).ravel().tolist()
    [0.5, 0.5, 0.5, 0.5]
    """
    data = np.asarray(raw, dtype=np.float64)
    if data.ndim != 3:
        raise PositrixError(
            f"raw projections of {data.ndim} dimensions",
            field="PROJECTIONS",
            fix="give angles × rows × columns",
        )
    panel = data.shape[1:]
    open_beam = _as_image(flat, panel, "flat")
    offset = _as_image(dark, panel, "dark")
    beam = open_beam - offset
    if np.any(beam <= 0):
        bad = int(np.count_nonzero(beam <= 0))
        raise PositrixError(
            f"the flat field is not above the dark field in {bad} pixel(s)",
            field="--flat",
            fix="check that --flat is the open beam and --dark the offset (not swapped)",
        )
    signal = np.maximum(data - offset, 0.1)
    return (-np.log(signal / beam)).astype(np.float32)


def water_precorrection(
    line_integrals: ArrayLike, spectrum: XraySpectrum, *, max_water_mm: float = 200.0
) -> NDArray[np.float32]:
    """Linearise polychromatic line integrals to water (module docstring).

    Returns ``µ̄ · L(p)``: the monochromatic line integral of the water length ``L`` that
    gives ``p`` with this spectrum; ``µ̄`` = ``spectrum.mean_mu_per_mm()`` (1/mm).

    Examples
    --------
    >>> from positrix.physics.xray import kramers_spectrum
    >>> s = kramers_spectrum(50.0, aluminium_mm=0.5)
    >>> mu = linear_attenuation_per_mm("water", s.energy_kev)
    >>> p = [-np.log(np.sum(s.weights * np.exp(-mu * L))) for L in (10.0, 30.0)]
    >>> (water_precorrection(p, s) / s.mean_mu_per_mm()).round(3).tolist()
    [10.0, 30.0]
    """
    values = np.asarray(line_integrals, dtype=np.float64)
    lengths = np.concatenate([[0.0], np.geomspace(1e-3, max_water_mm, 4000)])
    mu = linear_attenuation_per_mm("water", spectrum.energy_kev)
    measured = -np.log(np.exp(-np.outer(lengths, mu)) @ spectrum.weights)
    water = np.interp(values, measured, lengths, left=0.0)
    beyond = values > measured[-1]  # past the table: extend with the last slope
    if np.any(beyond):
        slope = (lengths[-1] - lengths[-2]) / (measured[-1] - measured[-2])
        water[beyond] = lengths[-1] + (values[beyond] - measured[-1]) * slope
    negative = values < 0  # noise below the open beam: keep it linear
    water[negative] = values[negative] / spectrum.mean_mu_per_mm()
    return (water * spectrum.mean_mu_per_mm()).astype(np.float32)


def reduce_rings(
    line_integrals: ArrayLike, *, width: int = 9, strength: float = 1.0
) -> NDArray[np.float32]:
    """Subtract each detector pixel's constant offset (module docstring).

    Parameters
    ----------
    line_integrals
        ``(n_angles, rows, cols)``.
    width
        Median window along the columns (pixels, odd ≥ 3): offsets narrower than this are
        removed; wider structure is kept.
    strength
        Fraction of the estimated offset to subtract (0–1).
    """
    data = np.asarray(line_integrals, dtype=np.float32)
    if data.ndim != 3:
        raise PositrixError("give angles × rows × columns", field="PROJECTIONS")
    if width < 3 or width % 2 == 0 or not 0.0 <= strength <= 1.0:
        raise PositrixError(
            f"ring filter width {width}, strength {strength}",
            field="--ring-width",
            fix="an odd width ≥ 3 and a strength in [0, 1]",
        )
    mean = data.mean(axis=0)
    offsets = mean - ndimage.median_filter(mean, size=(1, width), mode="nearest")
    return (data - np.float32(strength) * offsets[None]).astype(np.float32)
