"""From reconstructed counts to activity concentration (Bq/mL).

A reconstructed frame ``x`` (counts per mm of line integral, see
:mod:`positrix.recon.reconstruct`) relates to the mean activity concentration during the
frame by ``x = k · T · β · λ_frame`` with ``k`` the scanner calibration (coincidences per
second per Bq/mL·mm on an LOR of unit efficiency), ``T`` the frame duration and ``β`` the
positron branching fraction.  Decay correction to a reference time multiplies by the
frame-averaged decay factor.  ``k`` is measured with a uniform cylinder of known
concentration (:func:`calibration_factor`); :func:`nominal_calibration` is the geometric
estimate used by the simulator.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from positrix.errors import PositrixError
from positrix.geometry.scanner import ScannerGeometry
from positrix.physics.decay import frame_decay_correction
from positrix.physics.nuclides import get_nuclide

__all__ = ["calibration_factor", "nominal_calibration", "to_concentration"]


def nominal_calibration(
    scanner: ScannerGeometry, *, intrinsic_efficiency: float | None = None
) -> float:
    """Geometric calibration ``k = (A η)² / (2π D² · 1000 mm³/mL)``.

    A pair of crystal faces of area ``A`` at distance ``D`` (ring diameter + 2 mean depths of
    interaction) sees a line of activity with étendue ``A²/D²``; a decay emits its photon
    pair along a line within ``dΩ`` with probability ``2 dΩ/4π``; each photon is detected in
    the energy window with probability ``η`` (default the scanner's ``detection_efficiency``).
    """
    eta = scanner.detection_efficiency if intrinsic_efficiency is None else intrinsic_efficiency
    area = scanner.crystal_size_mm[0] * scanner.crystal_size_mm[1]
    distance = scanner.ring_diameter_mm + 2.0 * scanner.mean_doi_mm
    return float((area * eta) ** 2 / (2.0 * np.pi * distance**2 * 1000.0))


def to_concentration(
    image: ArrayLike,
    *,
    calibration: float,
    duration_s: float,
    nuclide: str,
    frame_start_s: float = 0.0,
    reference_s: float | None = 0.0,
) -> NDArray[np.float32]:
    """Bq/mL from a reconstructed frame.

    Parameters
    ----------
    image
        Reconstruction (counts per mm of line integral).
    calibration
        Scanner calibration ``k`` (counts/s per Bq/mL·mm).
    duration_s, frame_start_s
        Frame duration and start (s, on the clock of ``reference_s``).
    nuclide
        Nuclide (its positron fraction is corrected).
    reference_s
        Decay-correct to this time (s); ``None`` keeps the frame mean.
    """
    if not calibration > 0:
        raise PositrixError("the calibration factor must be > 0", field="--calibration")
    if not duration_s > 0:
        raise PositrixError("the frame duration must be > 0 s", field="duration_s")
    info = get_nuclide(nuclide)
    if not info.beta_plus_fraction > 0:
        raise PositrixError(f"{info.name} emits no positrons", field="nuclide")
    scale = 1.0 / (calibration * duration_s * info.beta_plus_fraction)
    if reference_s is not None:
        scale *= float(
            frame_decay_correction(info, frame_start_s, duration_s, reference_s=reference_s)
        )
    return (np.asarray(image, dtype=np.float64) * scale).astype(np.float32)


def calibration_factor(
    image: ArrayLike,
    mask: ArrayLike,
    *,
    concentration_bq_ml: float,
    duration_s: float,
    nuclide: str,
    frame_start_s: float = 0.0,
    reference_s: float = 0.0,
) -> float:
    """``k`` from the reconstruction of a uniform phantom of known concentration (Bq/mL at
    ``reference_s``) over the voxels of ``mask``."""
    values = np.asarray(image, dtype=np.float64)[np.asarray(mask, dtype=bool)]
    if values.size == 0 or not concentration_bq_ml > 0:
        raise PositrixError("need a non-empty mask and a concentration > 0", field="mask")
    unit = to_concentration(
        np.array([1.0]),
        calibration=1.0,
        duration_s=duration_s,
        nuclide=nuclide,
        frame_start_s=frame_start_s,
        reference_s=reference_s,
    )[0]
    return float(values.mean() * unit / concentration_bq_ml)
