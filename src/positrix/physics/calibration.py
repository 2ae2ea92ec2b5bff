"""Cross-calibration of the scanner and the dose calibrator, and dose-calibrator checks.

Scanner cross-calibration (AMIDE's cylinder factor, the Inveon ``calibration_factor``): a
uniform phantom is filled with an activity A measured in the dose calibrator at t_A, in a
volume V; the scanner's image of it has the mean concentration C (Bq/mL, decay-corrected to
t_C).  The true concentration at t_C is A·exp(−λ(t_C − t_A))/V and the factor that makes
the image true is

    f = A · exp(−λ (t_C − t_A)) / (V · C),

to multiply image values by.  A dose-calibrator check compares its reading R of a
reference source (activity S at t_S, e.g. a NIST-traceable standard) at t_R:
f = S · exp(−λ (t_R − t_S)) / R, the factor its readings need (manufacturer settings agree
with NIST standards "to within a few percent", Bergeron & Cessna 2018).
"""

from __future__ import annotations

import math
from datetime import datetime

from positrix.errors import PositrixError
from positrix.physics.pharmacy import decay_to

__all__ = ["dose_calibrator_factor", "scanner_cross_calibration"]


def _positive(value: float, field: str) -> None:
    if not (math.isfinite(value) and value > 0):
        raise PositrixError(f"{field} must be > 0, not {value}", field=field, fix="check it")


def scanner_cross_calibration(
    activity_bq: float,
    activity_time: datetime,
    *,
    volume_ml: float,
    image_mean_bq_ml: float,
    image_time: datetime,
    nuclide: str,
    dataset: str = "ENSDF",
) -> float:
    """Factor to multiply the scanner's Bq/mL by (dimensionless, 1 = already true).

    Examples
    --------
    >>> from datetime import UTC
    >>> t = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    >>> scanner_cross_calibration(20e6, t, volume_ml=20.0, image_mean_bq_ml=0.95e6,
    ...                           image_time=t, nuclide="F-18")  # doctest: +ELLIPSIS
    1.0526...
    """
    for value, field in ((activity_bq, "--activity"), (volume_ml, "--volume"),
                         (image_mean_bq_ml, "--image-mean")):  # fmt: skip
        _positive(value, field)
    true = decay_to(activity_bq, activity_time, image_time, nuclide, dataset=dataset) / volume_ml
    return true / image_mean_bq_ml


def dose_calibrator_factor(
    reading_bq: float,
    reading_time: datetime,
    *,
    reference_bq: float,
    reference_time: datetime,
    nuclide: str,
    dataset: str = "ENSDF",
) -> float:
    """Factor the dose calibrator's readings need (reference decayed to the reading / reading)."""
    _positive(reading_bq, "--reading")
    _positive(reference_bq, "--reference")
    reference_now = decay_to(reference_bq, reference_time, reading_time, nuclide, dataset=dataset)
    return reference_now / reading_bq
