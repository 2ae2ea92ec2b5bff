"""SUVR: target over reference, each averaged (duration-weighted) over the frames after t*."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from positrix.errors import PositrixError
from positrix.kinetics.fitting import FitResult, GraphicalPlot
from positrix.kinetics.linear import late_frames
from positrix.kinetics.reference import check_reference
from positrix.kinetics.sampling import Sampling

__all__ = ["fit_suvr"]


def fit_suvr(
    data: NDArray[np.float64],
    reference: NDArray[np.float64],
    sampling: Sampling,
    *,
    tstar_min: float,
    region: str = "",
) -> FitResult:
    """SUVR = Σ Δt C_T / Σ Δt C_R over frames starting at or after t*."""
    check_reference(reference)
    late = late_frames(sampling, tstar_min, minimum=1)
    duration = sampling.duration_min[late]
    denominator = float(np.sum(duration * reference[late]))
    if denominator <= 0:
        raise PositrixError("the reference is 0 in the SUVR window", field="--ref")
    value = float(np.sum(duration * data[late])) / denominator
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = data / reference
    plot = GraphicalPlot(
        sampling.mid_min,
        ratio,
        late,
        "time (min, frame mid-time)",
        "C_T / C_R (1)",
        tstar_min,
        (0.0, value),
    )
    return FitResult("suvr", region, {"SUVR": value}, {}, n_parameters=1, graphical=plot)
