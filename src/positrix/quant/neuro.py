"""Neuro analysis on atlas regions: regional TACs, partial-volume correction, BPND, SUVR and
left/right asymmetry.

- Regional TACs are VOI means per frame (:func:`regional_tacs`); with ``pvc_fwhm_mm`` they
  are corrected frame by frame with the geometric transfer matrix (Rousset 1998,
  :mod:`positrix.quant.pvc`) over the atlas regions plus an extracerebral shell (3 mm
  around the brain), which holds the spill-in from the head.
- BPND by SRTM, MRTM2 or Logan-ref (:mod:`positrix.kinetics`): MRTM2's ``k2′`` is, unless
  given, the median SRTM ``k2′ = k2/R1`` of the regions with the highest binding (the
  striata when present), Ichise et al. 2003; Logan-ref's ``t*`` defaults to 40 % of the scan.
- Asymmetry index ``AI = 2·(L − R)/(L + R) × 100 %`` (positive: left higher), the lesioned
  side being the lower one (the 6-OHDA model).
- SUVR = region mean / reference mean over the chosen frames; the SUVR map is the image
  divided by the reference mean.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from positrix.errors import PositrixError
from positrix.image.dynamic import sum_frames
from positrix.image.image import Image
from positrix.kinetics.api import FitOptions, fit_regions
from positrix.kinetics.data import RegionalData
from positrix.kinetics.fitting import FitResult
from positrix.kinetics.sampling import Sampling
from positrix.quant.pvc import transfer_matrix
from positrix.quant.tac import extract_tacs
from positrix.quant.voi import VOI

__all__ = [
    "BP_MODELS",
    "BindingResult",
    "asymmetry_index",
    "binding_potentials",
    "regional_tacs",
    "suvr",
]

BP_MODELS = ("srtm", "mrtm2", "logan-ref")


def regional_tacs(
    image: Image,
    vois: Sequence[VOI],
    *,
    pvc_fwhm_mm: float | tuple[float, float, float] | None = None,
) -> RegionalData:
    """Mean of each VOI per frame as kinetics input (minutes), GTM-corrected with
    ``pvc_fwhm_mm`` (module docstring; one value, or one per image axis)."""
    if image.frames is None:
        raise PositrixError(
            "regional TACs need frame times", field="frames", fix="give a dynamic image"
        )
    regions = list(vois)
    if pvc_fwhm_mm:
        regions.append(_shell(vois))
    tacs = extract_tacs(image, regions, peak_ml=None)
    values = tacs.values
    if pvc_fwhm_mm:
        matrix = transfer_matrix(regions, pvc_fwhm_mm)
        if np.linalg.cond(matrix) > 1e6:
            raise PositrixError(
                "partial-volume correction is unstable: regions too small for the "
                f"{pvc_fwhm_mm} mm resolution",
                field="--pvc-fwhm-mm",
                fix="use a smaller FWHM or no correction",
            )
        values = np.asarray(np.linalg.solve(matrix, values.T).T[:, :-1], dtype=np.float64)
    return RegionalData(
        Sampling.from_frames(image.frames),
        tuple(v.name for v in vois),
        np.asarray(values, dtype=np.float64),
        unit=image.unit,
    )


def _shell(vois: Sequence[VOI], width_mm: float = 3.0) -> VOI:
    """Voxels within ``width_mm`` of the brain that no region holds."""
    grid = vois[0].grid
    brain = np.zeros(grid.shape, dtype=bool)
    for voi in vois:
        brain.reshape(-1)[voi.index[voi.weight >= 0.5]] = True
    steps = max(1, round(width_mm / min(grid.voxel_size_mm)))
    shell = ndimage.binary_dilation(brain, iterations=steps) & ~brain
    return VOI.from_mask("extracerebral", grid, shell)


@dataclass(frozen=True)
class BindingResult:
    """BPND per region and what it was computed with."""

    model: str
    reference: str
    fits: tuple[FitResult, ...]
    k2_prime: float | None
    tstar_min: float | None

    def bp(self, region: str) -> float:
        """BPND of ``region`` (NaN for a failed fit)."""
        for fit in self.fits:
            if fit.region == region:
                return float(fit.parameters.get("BPND", np.nan))
        raise PositrixError(f"no fit for region '{region}'", field="region")

    def regions(self) -> list[dict[str, Any]]:
        """The JSON rows: name, bp_nd, model, status, flags and the other parameters."""
        rows = []
        for fit in self.fits:
            clean = {k: (float(v) if np.isfinite(v) else None) for k, v in fit.parameters.items()}
            rows.append(
                {
                    "name": fit.region,
                    "bp_nd": clean.get("BPND"),
                    "model": self.model,
                    "status": fit.status,
                    "flags": list(fit.flags),
                    "parameters": clean,
                }
            )
        return rows


def binding_potentials(
    tacs: RegionalData,
    *,
    model: str,
    ref: str,
    k2_prime: float | None = None,
    tstar_min: float | None = None,
) -> BindingResult:
    """BPND of every region but ``ref`` (module docstring)."""
    if model not in BP_MODELS:
        raise PositrixError(
            f"unknown BPND model '{model}'", field="--model", fix="use " + ", ".join(BP_MODELS)
        )
    tacs.curve(ref)  # a clear error if the reference is not a region
    if model == "mrtm2" and k2_prime is None:
        k2_prime = _k2_prime_from_srtm(tacs, ref)
    if model == "logan-ref" and tstar_min is None:
        tstar_min = 0.4 * float(tacs.sampling.end_min[-1])
    options = FitOptions(tstar_min=tstar_min, k2_prime=k2_prime)
    fits = fit_regions(model, tacs, ref=ref, options=options)
    return BindingResult(model, ref, tuple(fits), k2_prime, tstar_min)


def _k2_prime_from_srtm(tacs: RegionalData, ref: str) -> float:
    fits = fit_regions("srtm", tacs, ref=ref)
    good = [f for f in fits if f.converged and np.isfinite(f.parameters.get("BPND", np.nan))]
    striata = [f for f in good if f.region.startswith("striatum")]
    chosen = striata or sorted(good, key=lambda f: -f.parameters["BPND"])[:2]
    values = [f.parameters["k2"] / f.parameters["R1"] for f in chosen if f.parameters["R1"] > 0]
    if not values:
        raise PositrixError(
            "k2′ could not be estimated by SRTM", field="--k2-prime", fix="give --k2-prime"
        )
    return float(np.median(values))


def asymmetry_index(left: float, right: float) -> float:
    """``2·(L − R)/(L + R) × 100`` (%); positive when the left side is higher.

    Examples
    --------
    >>> round(asymmetry_index(1.0, 2.0), 2)
    -66.67
    """
    total = left + right
    if not np.isfinite(total) or total == 0:
        return float("nan")
    return 200.0 * (left - right) / total


def suvr(
    image: Image, vois: Sequence[VOI], *, ref: str, frames: Sequence[int] | None = None
) -> tuple[dict[str, float], Image]:
    """Regional SUVR and the SUVR map over ``frames`` (default all) of ``image``.

    Returns
    -------
    (region → SUVR, SUVR map on the image's grid, unit ``"SUVR"``)
    """
    static = sum_frames(image, frames, allow_gaps=True) if image.is_dynamic else image
    names = [v.name for v in vois]
    if ref not in names:
        raise PositrixError(
            f"no reference region '{ref}'", field="--ref", fix="use one of " + ", ".join(names)
        )
    data = np.asarray(static.data, dtype=np.float64)
    flat = data.reshape(-1)
    means = {v.name: float(np.dot(v.weight, flat[v.index]) / v.weight.sum()) for v in vois}
    reference = means[ref]
    if not reference > 0:
        raise PositrixError(
            f"the reference region '{ref}' has no signal (mean {reference:g})",
            field="--ref",
            fix="choose a region with uptake",
        )
    ratios = {n: m / reference for n, m in means.items()}
    suvr_map = static.replace(data=(data / reference).astype(np.float32), unit="SUVR")
    return ratios, suvr_map


def lesioned_side(left: float, right: float) -> str:
    """``"left"`` or ``"right"``: the side with the lower binding."""
    return "left" if left < right else "right"


def brain_mask(vois: Sequence[VOI]) -> NDArray[np.bool_]:
    """Voxels of any region (weight ≥ 0.5) on the VOIs' grid."""
    grid = vois[0].grid
    mask = np.zeros(int(np.prod(grid.shape)), dtype=bool)
    for voi in vois:
        mask[voi.index[voi.weight >= 0.5]] = True
    return mask.reshape(grid.shape)
