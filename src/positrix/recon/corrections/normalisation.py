"""Normalisation: crystal efficiencies and radial geometric factors, and their estimation.

Model of a bin's detection efficiency:
``n(plane, view, radial) = g[radial] · Σ_{ring pairs of the bin} ε[ring_a, a] · ε[ring_b, b]``
(component-based normalisation, reduced to crystal efficiencies and a radial profile).  The
efficiencies and the profile have mean 1; the absolute scale belongs to the calibration.
They are estimated from a long scan of a uniform cylinder (or a rotating rod source) whose
expected counts per LOR are known: the fan-sum algorithm (:func:`fit_crystal_factors`) for
the efficiencies, then the ratio of measured to modelled counts per radial bin.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from positrix.errors import PositrixError
from positrix.geometry.sinogram import SinogramLayout
from positrix.recon.corrections.crystal_pairs import crystal_pair_sinogram, fit_crystal_factors

__all__ = ["Normalisation", "estimate_normalisation"]


@dataclass(frozen=True)
class Normalisation:
    """Crystal efficiencies ``(n_rings, crystals_per_ring)`` and radial factors ``(n_radial,)``."""

    efficiencies: NDArray[np.float64]
    radial: NDArray[np.float64]

    @classmethod
    def uniform(cls, layout: SinogramLayout) -> Normalisation:
        """All efficiencies and geometric factors 1 (0 for the virtual crystals of axial
        gaps, :meth:`~positrix.geometry.scanner.ScannerGeometry.detector_mask`)."""
        return cls(layout.scanner.detector_mask(), np.ones(layout.n_radial))

    def factors(
        self, layout: SinogramLayout, *, live_fraction: ArrayLike | None = None
    ) -> NDArray[np.float32]:
        """Detection efficiency of every bin (includes the ring pairs per bin).

        ``live_fraction`` (per crystal, from :func:`positrix.recon.corrections.deadtime.
        live_fraction`) multiplies the efficiencies of a frame.
        """
        if self.radial.shape != (layout.n_radial,):
            raise PositrixError(
                f"the normalisation has {self.radial.size} radial factors, the sinogram "
                f"{layout.n_radial} radial bins",
                field="normalisation",
                fix="use a normalisation made for this sinogram layout",
            )
        efficiency = self.efficiencies
        if live_fraction is not None:
            efficiency = efficiency * np.asarray(live_fraction, dtype=np.float64)
        pairs = crystal_pair_sinogram(layout, efficiency)
        return (pairs * self.radial[None, None, :]).astype(np.float32)


def estimate_normalisation(
    layout: SinogramLayout,
    measured: ArrayLike,
    expected: ArrayLike,
    *,
    iterations: int = 30,
) -> Normalisation:
    """Normalisation from a scan whose expected trues per LOR are known.

    Parameters
    ----------
    layout
        Sinogram layout.
    measured
        Measured true coincidences of the normalisation scan (randoms and scatter removed),
        counts, ``layout.shape``.
    expected
        Expected counts per LOR for unit efficiency (e.g. the attenuated forward projection
        of the known phantom × duration), ``layout.shape``.
    iterations
        Fan-sum updates.

    Returns
    -------
    Normalisation
        Efficiencies and radial factors, each with mean 1.
    """
    data = layout.check(measured, what="measured")
    model = layout.check(expected, what="expected")
    if np.any(model < 0) or not np.all(np.isfinite(model)) or not float(model.max()) > 0:
        raise PositrixError(
            "expected counts must be finite, ≥ 0 and not all zero", field="expected"
        )
    efficiencies = fit_crystal_factors(layout, data, model=model, iterations=iterations)
    efficiencies /= efficiencies[efficiencies > 0].mean()
    modelled = model * crystal_pair_sinogram(layout, efficiencies)
    totals = modelled.sum(axis=(0, 1), dtype=np.float64)
    valid = totals >= 0.05 * totals.max(initial=0.0)
    if not np.any(valid & (totals > 0)):
        raise PositrixError(
            "the normalisation scan has no counts in the field of view", field="measured"
        )
    index = np.arange(layout.n_radial)
    ratio = data.sum(axis=(0, 1), dtype=np.float64)[valid] / totals[valid]
    # radial bins the phantom does not cover take the nearest covered bin's factor
    radial = np.interp(index, index[valid], ratio)
    radial /= radial[valid].mean()
    return Normalisation(efficiencies, radial)
