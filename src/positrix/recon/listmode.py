"""List-mode OSEM: every event is its own LOR; the sensitivity image covers every LOR.

Model per event ``e`` (crystal pair ``a, b``): ``ȳ_e = ε_a ε_b · att_e · P_e(B x) + r_e + s_e``
with the crystal efficiencies ``ε``, the attenuation factor of the event's LOR, the
projection ``P_e`` of the (optionally blurred) image and the expected randoms and scatter
per LOR.  The sensitivity image is the back-projection of ``ε_a ε_b · att`` over every
crystal pair of the scanner (a span-1 sinogram with all ring differences, traced with
:class:`positrix.recon.sinogram_projector.SinogramProjector`, whose numbers equal those of
:class:`positrix.recon.projectors.LORProjector` on the same LOR).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from positrix.errors import PositrixError
from positrix.geometry.scanner import ScannerGeometry
from positrix.geometry.sinogram import SinogramLayout
from positrix.recon.algorithms import osem
from positrix.recon.corrections.crystal_pairs import crystal_pair_sinogram
from positrix.recon.operators import ElementwiseMultiply, LinearOperator, resolution_model
from positrix.recon.projectors import LORProjector
from positrix.recon.sinogram_projector import SinogramProjector
from positrix.recon.tof_projector import TOFLORProjector

__all__ = ["listmode_osem", "listmode_sensitivity"]

Callback = Callable[[int, int, NDArray[np.float32]], None]


def _all_lors(scanner: ScannerGeometry, n_radial: int | None) -> SinogramLayout:
    return SinogramLayout(scanner, n_radial=n_radial or 0, span=1)


def listmode_sensitivity(
    scanner: ScannerGeometry,
    shape: tuple[int, int, int],
    voxel_size_mm: ArrayLike,
    *,
    efficiencies: ArrayLike | None = None,
    mu_per_mm: ArrayLike | None = None,
    radial: ArrayLike | None = None,
    n_radial: int | None = None,
    subsets: int = 1,
) -> NDArray[np.float32]:
    """``Σ_LOR ε_a ε_b att · Pᵀ`` over every crystal pair in the radial field of view.

    Parameters
    ----------
    scanner
        The scanner.
    shape, voxel_size_mm
        Image grid (centred on the scanner).
    efficiencies
        Crystal efficiencies ``(n_rings, crystals_per_ring)`` (default 1).
    mu_per_mm
        µ-map on the image grid (1/mm), or ``None`` for no attenuation.
    radial
        Radial geometric factors of the normalisation ``(n_radial,)`` (default 1).
    n_radial
        Radial field of view in bins (default the layout's).
    subsets
        With more than one, the sensitivity of each view subset (views ``s, s + subsets,
        …``, as :func:`listmode_osem` forms them), shape ``(subsets, nx, ny, nz)``.
    """
    layout = _all_lors(scanner, n_radial)
    eff = scanner.detector_mask()  # no crystals in the axial gaps, whatever is given
    if efficiencies is not None:
        eff = eff * np.asarray(efficiencies, dtype=np.float64)
    weights = crystal_pair_sinogram(layout, eff)
    if radial is not None:
        weights *= np.asarray(radial, np.float32)[None, None, :]
    projector = SinogramProjector(layout, shape, voxel_size_mm)
    if mu_per_mm is not None:
        weights *= np.exp(-projector.apply(np.asarray(mu_per_mm, np.float32)))
    if subsets == 1:
        return projector.adjoint(weights)
    parts = []
    for subset in range(subsets):
        views = np.arange(subset, layout.n_views, subsets)
        part = SinogramProjector(layout, shape, voxel_size_mm, views=views)
        parts.append(part.adjoint(np.ascontiguousarray(weights[:, views])))
    return np.stack(parts)


def listmode_osem(
    scanner: ScannerGeometry,
    ring_1: ArrayLike,
    crystal_1: ArrayLike,
    ring_2: ArrayLike,
    crystal_2: ArrayLike,
    *,
    shape: tuple[int, int, int],
    voxel_size_mm: ArrayLike,
    sensitivity: ArrayLike,
    efficiencies: ArrayLike | None = None,
    mu_per_mm: ArrayLike | None = None,
    additive: ArrayLike | None = None,
    radial: ArrayLike | None = None,
    blur_fwhm_mm: float | None = None,
    positron_range_mm: float | None = None,
    n_radial: int | None = None,
    iterations: int = 2,
    subsets: int = 8,
    callback: Callback | None = None,
    tof_bin: ArrayLike | None = None,
) -> NDArray[np.float32]:
    """List-mode OSEM of prompt events (crystal pairs); see the module docstring.

    With ``tof_bin`` (one per event, the scanner's TOF bins) each event's LOR carries the
    TOF kernel of :class:`positrix.recon.tof_projector.TOFLORProjector`: TOF-OSEM.  The
    sensitivity image is the non-TOF one (an LOR's bins share 1).

    ``sensitivity`` comes from :func:`listmode_sensitivity` (per subset: ``subsets=``) with
    the same efficiencies and
    µ-map (and ``radial`` factors); ``additive`` is the expected randoms + scatter of each
    event's LOR (counts).
    Subsets are the events of views ``s, s + subsets, …`` (as in sinogram OSEM), so list-mode
    and sinogram OSEM of the same events give the same image.  Events outside the radial field
    of view (``n_radial`` bins) are left out, as they are from the sensitivity image.
    Returns the image in the units of the sinogram reconstruction (counts per mm).
    """
    r1, c1 = np.asarray(ring_1, np.int64), np.asarray(crystal_1, np.int64)
    r2, c2 = np.asarray(ring_2, np.int64), np.asarray(crystal_2, np.int64)
    # events outside the radial field of view have no place in the sensitivity image
    view, radial_bin, inside, _ = _all_lors(scanner, n_radial).transaxial_bin(c1, c2)
    extra = np.zeros(r1.size, np.float32) if additive is None else np.asarray(additive, np.float32)
    tof = None if tof_bin is None else _tof_bins(scanner, tof_bin, r1.size)[inside]
    r1, c1, r2, c2, view, radial_bin = (a[inside] for a in (r1, c1, r2, c2, view, radial_bin))
    extra = extra[inside]
    n = r1.size
    if n == 0:
        raise PositrixError(
            "no prompt events to reconstruct", field="events", fix="check the frame time window"
        )
    if subsets < 1 or subsets > n:
        raise PositrixError(f"{subsets} subsets for {n} events", field="--subsets")
    if iterations < 1:
        raise PositrixError("iterations must be ≥ 1", field="--iterations")
    start, end = scanner.lor_endpoints(r1, c1, r2, c2)
    eff = scanner.detector_mask()  # no crystals in the axial gaps, whatever is given
    if efficiencies is not None:
        eff = eff * np.asarray(efficiencies, dtype=np.float64)
    factors = (eff[r1, c1] * eff[r2, c2]).astype(np.float32)
    if radial is not None:
        factors *= np.asarray(radial, np.float32)[radial_bin]
    if mu_per_mm is not None:
        mu = np.asarray(mu_per_mm, np.float32)
        factors *= np.exp(-LORProjector(shape, voxel_size_mm, start, end).apply(mu))
    blur = resolution_model(
        shape, voxel_size_mm, psf_fwhm_mm=blur_fwhm_mm, positron_range_mm=positron_range_mm
    )
    operators: list[LinearOperator] = []
    data, extras = [], []
    for subset in range(subsets):
        pick = np.nonzero(view % subsets == subset)[0]
        lines: LinearOperator = (
            LORProjector(shape, voxel_size_mm, start[pick], end[pick])
            if tof is None
            else TOFLORProjector(
                shape,
                voxel_size_mm,
                start[pick],
                end[pick],
                n_bins=int(scanner.tof_bins),
                bin_ps=float(scanner.tof_bin_ps),
                ctr_ps=float(scanner.tof_resolution_ps),
                bins=tof[pick],
            )
        )
        op: LinearOperator = ElementwiseMultiply(factors[pick]) @ lines
        operators.append(op @ blur if blur is not None else op)
        data.append(np.ones(pick.size, np.float32))
        extras.append(extra[pick])
    sens = np.asarray(sensitivity, np.float32)
    if blur is not None:
        sens = (
            np.stack([blur.adjoint(part) for part in sens])
            if sens.ndim == 4
            else (blur.adjoint(sens))
        )
    return osem(
        operators, data, sensitivity=sens, additive=extras, iterations=iterations, callback=callback
    )


def _tof_bins(scanner: ScannerGeometry, tof_bin: ArrayLike, n: int) -> NDArray[np.int64]:
    """The events' TOF bins, checked against the scanner's."""
    bins = np.asarray(tof_bin, dtype=np.int64)
    if int(scanner.tof_bins) < 2:
        raise PositrixError(
            f"events carry TOF bins but scanner '{scanner.name}' has none",
            field="tof_bins",
            fix="use the scanner file the events were acquired with (tof_bins, tof_bin_ps)",
        )
    if bins.shape != (n,) or (n and (bins.min() < 0 or bins.max() >= scanner.tof_bins)):
        raise PositrixError(
            f"TOF bins must be one per event in 0 … {scanner.tof_bins - 1}", field="tof_bin"
        )
    return bins
