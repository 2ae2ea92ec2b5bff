"""NEMA NU 4-2008 section 4: scatter fraction, count losses and randoms (NECR).

A line source in a polyethylene cylinder (mouse Ø 25 × 70 mm, line 10 mm off axis; rat
Ø 50 × 150 mm, 17.5 mm) is imaged while it decays from far above the NECR peak.  For each
acquisition ``j`` and each 2-D (single-slice rebinned) sinogram plane ``i`` within the
phantom, 8 mm from its ends:

1. bins farther than 8 mm from the phantom's edge are set to zero;
2. every projection (view) is shifted so that its maximum — the line source — lies at the
   centre, and the projections are summed into one profile;
3. the counts ``C_L`` and ``C_R`` at ±7 mm from the centre are read (linear interpolation);
   everything under the straight line between them, plus everything outside the 14 mm
   band, is randoms + scatter ``C_r+s``; the rest is trues ``C_t``; ``C_TOT`` is the whole
   profile.

Randoms ``C_r`` come from the delayed-window sinograms (masked the same way) when given,
else they are taken as zero (the low-activity acquisitions).  Then ``C_s = C_r+s − C_r``,
rates are counts over the acquisition time, and

- scatter fraction ``SF = Σ C_s / Σ (C_t + C_s)`` over the acquisitions whose randoms are
  below 1 % of the trues (or all of them, randoms subtracted);
- ``NECR_j = R_t² / R_TOT`` (NU 4: randoms estimated without noise, ``k = 1``);
- the peak NECR and the mean activity of the acquisition where it occurs.

Mean activity of an acquisition starting at ``A₀`` and lasting ``Δ``:
``A₀·(1 − e^(−λΔ))/(λΔ)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from positrix.errors import PositrixError
from positrix.physics.count_rates import necr
from positrix.physics.decay import frame_decay_correction

__all__ = ["PHANTOMS_NU4", "CountRateResult", "analyse_count_rates", "profile_counts"]

#: Phantom → (diameter mm, length mm, line-source radial offset mm), NEMA NU 4-2008.
PHANTOMS_NU4 = {"mouse": (25.0, 70.0, 10.0), "rat": (50.0, 150.0, 17.5)}
_BAND_MM = 7.0
_MARGIN_MM = 8.0


def profile_counts(
    sinogram: ArrayLike, radial_mm: ArrayLike, *, phantom_diameter_mm: float
) -> tuple[float, float]:
    """``(C_t, C_r+s)`` of one 2-D sinogram plane ``(n_views, n_radial)`` (steps 1–3).

    ``radial_mm`` gives each radial bin's signed distance from the scanner axis (mm,
    equally spaced).
    """
    data = np.asarray(sinogram, dtype=np.float64)
    r = np.asarray(radial_mm, dtype=np.float64)
    if data.ndim != 2 or data.shape[1] != r.size:
        raise PositrixError(
            f"a sinogram plane must be (views, {r.size} radial bins), got {data.shape}",
            field="sinogram",
        )
    step = float(np.mean(np.diff(r)))
    keep = np.abs(r) <= phantom_diameter_mm / 2.0 + _MARGIN_MM
    data = np.where(keep[None, :], data, 0.0)
    n = r.size
    centre = n // 2
    summed = np.zeros(n)
    for view in data:
        peak = int(np.argmax(view))
        summed += np.roll(view, centre - peak)
    positions = (np.arange(n) - centre) * step
    left = float(np.interp(-_BAND_MM, positions, summed))
    right = float(np.interp(_BAND_MM, positions, summed))
    band = np.abs(positions) <= _BAND_MM
    # the background under the peak: the trapezoid between C_L and C_R over the band bins
    line = left + (right - left) * (positions[band] + _BAND_MM) / (2.0 * _BAND_MM)
    under = float(np.sum(np.minimum(line, summed[band])))
    trues = float(np.sum(summed[band])) - under
    total = float(np.sum(summed))
    return trues, total - trues


@dataclass(frozen=True)
class CountRateResult:
    """Rates (counts/s) per acquisition, the scatter fraction and the NECR peak."""

    activity_mbq: NDArray[np.float64]
    total_cps: NDArray[np.float64]
    trues_cps: NDArray[np.float64]
    scatter_cps: NDArray[np.float64]
    randoms_cps: NDArray[np.float64]
    necr_cps: NDArray[np.float64]
    scatter_fraction: float
    phantom: str

    @property
    def peak(self) -> int:
        """Index of the acquisition with the highest NECR."""
        return int(np.argmax(self.necr_cps))

    @property
    def peak_necr_kcps(self) -> float:
        """Peak NECR (kcps)."""
        return float(self.necr_cps[self.peak] / 1000.0)

    @property
    def peak_necr_activity_mbq(self) -> float:
        """Mean activity (MBq) of the acquisition with the peak NECR."""
        return float(self.activity_mbq[self.peak])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the curves (kcps, MBq) and the summary figures."""
        return {
            "phantom": self.phantom,
            "scatter_fraction": self.scatter_fraction,
            "peak_necr_kcps": self.peak_necr_kcps,
            "peak_necr_activity_MBq": self.peak_necr_activity_mbq,
            "activity_MBq": self.activity_mbq.tolist(),
            "total_kcps": (self.total_cps / 1000.0).tolist(),
            "trues_kcps": (self.trues_cps / 1000.0).tolist(),
            "scatter_kcps": (self.scatter_cps / 1000.0).tolist(),
            "randoms_kcps": (self.randoms_cps / 1000.0).tolist(),
            "necr_kcps": (self.necr_cps / 1000.0).tolist(),
        }


def _mean_activity(start_mbq: NDArray, duration_s: NDArray, nuclide: str) -> NDArray:
    """Mean activity over each acquisition: the start activity over the frame's decay
    correction to its own start."""
    return start_mbq / frame_decay_correction(nuclide, 0.0, duration_s)


def analyse_count_rates(
    prompts: Sequence[ArrayLike],
    *,
    radial_mm: ArrayLike,
    plane_z_mm: ArrayLike,
    duration_s: ArrayLike,
    start_activity_mbq: ArrayLike,
    delayeds: Sequence[ArrayLike] | None = None,
    phantom: str = "mouse",
    nuclide: str = "F-18",
    centre_z_mm: float = 0.0,
) -> CountRateResult:
    """The NU 4 section 4 analysis (module docstring) of a sweep.

    Parameters
    ----------
    prompts, delayeds
        One 2-D-rebinned sinogram per acquisition, ``(planes, views, radial)`` (counts).
    radial_mm, plane_z_mm
        Radial bin positions and plane positions (mm).
    duration_s, start_activity_mbq
        Each acquisition's length and the activity at its start.
    phantom
        ``mouse`` or ``rat`` (:data:`PHANTOMS_NU4`).
    centre_z_mm
        Axial position of the phantom's centre.
    """
    if phantom not in PHANTOMS_NU4:
        raise PositrixError(
            f"unknown NU 4 phantom '{phantom}'", field="--phantom", fix="mouse or rat"
        )
    diameter, length, _ = PHANTOMS_NU4[phantom]
    durations = np.asarray(duration_s, dtype=np.float64)
    starts = np.asarray(start_activity_mbq, dtype=np.float64)
    n = len(prompts)
    if durations.shape != (n,) or starts.shape != (n,) or n == 0:
        raise PositrixError(
            f"{n} acquisitions need {n} durations and {n} start activities",
            field="duration_s/start_activity_mbq",
        )
    if delayeds is not None and len(delayeds) != n:
        raise PositrixError("one delayed sinogram per acquisition", field="delayeds")
    z = np.asarray(plane_z_mm, dtype=np.float64)
    planes = np.flatnonzero(np.abs(z - centre_z_mm) <= length / 2.0 - _MARGIN_MM)
    if planes.size == 0:
        raise PositrixError("no sinogram plane lies within the phantom", field="plane_z_mm")
    trues = np.zeros(n)
    rest = np.zeros(n)
    randoms = np.zeros(n)
    for j, sinogram in enumerate(prompts):
        data = np.asarray(sinogram, dtype=np.float64)
        for i in planes:
            t, rs = profile_counts(data[i], radial_mm, phantom_diameter_mm=diameter)
            trues[j] += t
            rest[j] += rs
        if delayeds is not None:
            randoms[j] = _masked_total(delayeds[j], planes, radial_mm, diameter)
    scatter = np.clip(rest - randoms, 0.0, None)
    low = randoms <= 0.01 * trues
    chosen = low if delayeds is None and low.any() else np.ones(n, dtype=bool)
    fraction = float(scatter[chosen].sum() / (scatter[chosen].sum() + trues[chosen].sum()))
    rates = [values / durations for values in (trues, scatter, randoms)]
    total = rates[0] + rates[1] + rates[2]
    return CountRateResult(
        _mean_activity(starts, durations, nuclide),
        total,
        rates[0],
        rates[1],
        rates[2],
        necr(rates[0], rates[1], rates[2], k=1.0),
        fraction,
        phantom,
    )


def _masked_total(sinogram: ArrayLike, planes: NDArray, radial_mm: ArrayLike, diameter: float):
    data = np.asarray(sinogram, dtype=np.float64)[planes]
    keep = np.abs(np.asarray(radial_mm, dtype=np.float64)) <= diameter / 2.0 + _MARGIN_MM
    return float(data[:, :, keep].sum())


def plot_count_rates(result: CountRateResult, path: Any) -> Any:
    """Save the NU 4 figure: total, trues, scatter, randoms and NECR (kcps) against the
    mean activity (MBq), the peak marked (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    a = result.activity_mbq
    for values, label in (
        (result.total_cps, "total"),
        (result.trues_cps, "trues"),
        (result.scatter_cps, "scatter"),
        (result.randoms_cps, "randoms"),
        (result.necr_cps, "NECR"),
    ):
        ax.plot(a, values / 1000.0, marker="o", ms=3, label=label)
    ax.plot(
        result.peak_necr_activity_mbq,
        result.peak_necr_kcps,
        "k*",
        ms=12,
        label=f"peak NECR {result.peak_necr_kcps:.0f} kcps at "
        f"{result.peak_necr_activity_mbq:.1f} MBq",
    )
    ax.set_xlabel("activity (MBq)")
    ax.set_ylabel("count rate (kcps)")
    ax.set_title(
        f"NEMA NU 4 count rates, {result.phantom} phantom (SF {result.scatter_fraction:.1%})"
    )
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
