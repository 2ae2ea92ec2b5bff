"""Parametric maps: voxel-wise models as matrix operations over all voxels of a mask.

- linear methods (Patlak, Logan, MA1, Logan-ref, MRTM, MRTM2, ref-Patlak): per-voxel
  weighted least squares solved in closed form for every voxel at once;
- SRTM, SRTM2 and 1TCM by the basis-function method (Gunn et al. 1997): for each of
  ``n_basis`` rates θ (log-spaced, 0.005–1 /min by default) the model is linear; every
  voxel keeps the θ with the smallest weighted residual;
- SUVR: ratio of duration-weighted late means.

Voxels are processed in chunks (progress lines with ETA through ``log``).  Each map is an
:class:`~positrix.image.image.Image` on the dynamic image's grid, NaN outside the mask.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from positrix.errors import PositrixError
from positrix.image.image import Image
from positrix.kinetics._logan_kernel import logan_slopes
from positrix.kinetics.data import InputFunction
from positrix.kinetics.fitting import frame_weights, parameter_unit
from positrix.kinetics.linear import input_at_frames, late_frames, tac_integral
from positrix.kinetics.reference import check_reference, reference_on_grid
from positrix.kinetics.sampling import Sampling, exp_convolve
from positrix.progress import Logger, with_progress

__all__ = ["MAP_MODELS", "MapOptions", "parametric_maps"]

MAP_MODELS = (
    "patlak",
    "logan",
    "ma1",
    "logan-ref",
    "mrtm",
    "mrtm2",
    "ref-patlak",
    "srtm",
    "srtm2",
    "1tcm",
    "suvr",
)


@dataclass(frozen=True)
class MapOptions:
    """Options of a parametric map (see ``positrix kinetics map``)."""

    tstar_min: float | None = None
    k2_prime: float | None = None
    weights: str = "duration"
    n_basis: int = 100
    theta_min: float = 0.005
    theta_max: float = 1.0
    chunk: int = 200_000


def _solve(
    columns: list[NDArray[np.float64]], y: NDArray[np.float64], w: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Per-voxel weighted LS: columns (frames, voxels or 1) and y (frames, voxels) → (k, N).

    The normal equations are summed pairwise (shared columns broadcast, nothing copied) and
    solved for all voxels at once.
    """
    k, n = len(columns), y.shape[1]
    weighted = [w[:, None] * c for c in columns]
    gram = np.empty((n, k, k))
    for a in range(k):
        for b in range(a, k):
            gram[:, a, b] = gram[:, b, a] = np.broadcast_to(
                np.sum(weighted[a] * columns[b], axis=0), (n,)
            )
    rhs = np.stack([np.sum(weighted[a] * y, axis=0) for a in range(k)], axis=-1)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        if k == 2:  # Cramer's rule: singular voxels become NaN instead of raising
            det = gram[:, 0, 0] * gram[:, 1, 1] - gram[:, 0, 1] ** 2
            first = (gram[:, 1, 1] * rhs[:, 0] - gram[:, 0, 1] * rhs[:, 1]) / det
            second = (gram[:, 0, 0] * rhs[:, 1] - gram[:, 0, 1] * rhs[:, 0]) / det
            return np.stack([first, second])
        g = gram  # 3 × 3: adjugate / determinant, vectorised over voxels
        cof = np.empty_like(g)
        for a in range(3):
            for b in range(3):
                r0, r1 = [i for i in range(3) if i != a]
                c0, c1 = [j for j in range(3) if j != b]
                minor = g[:, r0, c0] * g[:, r1, c1] - g[:, r0, c1] * g[:, r1, c0]
                cof[:, a, b] = minor if (a + b) % 2 == 0 else -minor
        det = np.einsum("nb,nb->n", g[:, 0, :], cof[:, 0, :])
        return np.einsum("nba,nb->an", cof, rhs) / det


def _integral(s: Sampling, y: NDArray[np.float64]) -> NDArray[np.float64]:
    """:func:`tac_integral` for (frames, voxels) arrays, summed along the frame axis."""
    dt = np.diff(np.concatenate([[0.0], s.mid_min]))[:, None]
    out = np.empty_like(y)
    out[0] = 0.5 * y[0] * dt[0]
    np.multiply(0.5 * (y[1:] + y[:-1]), dt[1:], out=out[1:])
    return np.cumsum(out, axis=0, out=out)


def _linear(
    model: str,
    y: NDArray[np.float64],
    s: Sampling,
    w: NDArray[np.float64],
    inp: InputFunction | None,
    ref: NDArray[np.float64] | None,
    o: MapOptions,
) -> dict[str, NDArray[np.float64]]:
    late = late_frames(s, o.tstar_min or 0.0)
    if model in ("logan", "logan-ref"):
        return _logan(model, y, s, w, late, inp, ref, o)
    wl, ones = w[late], np.ones((int(late.sum()), 1))
    yl = y[late]  # only the late frames enter the regressions
    needs_integral = model in ("logan", "ma1", "logan-ref", "mrtm", "mrtm2")
    int_y = _integral(s, y)[late] if needs_integral else None
    with np.errstate(divide="ignore", invalid="ignore"):
        if model in ("patlak", "logan", "ma1"):
            assert inp is not None
            cp, int_cp = input_at_frames(inp, s)
            cp, int_cp = cp[late, None], int_cp[late, None]
            if model == "patlak":
                c = _solve([int_cp / cp, ones], yl / cp, wl)
                return {"Ki": c[0], "V0": c[1]}
            assert int_y is not None
            if model == "logan":
                c = _solve([int_cp / yl, ones], int_y / yl, wl)
                return {"VT": c[0], "intercept": c[1]}
            c = _solve([int_cp, int_y], yl, wl)
            return {"VT": -c[0] / c[1]}
        assert ref is not None
        int_r, r = tac_integral(s, ref)[late, None], ref[late, None]
        if model == "ref-patlak":
            c = _solve([int_r / r, ones], yl / r, wl)
            return {"Ki": c[0], "intercept": c[1]}
        assert int_y is not None
        if model == "logan-ref":
            extra = r / o.k2_prime if o.k2_prime else 0.0
            c = _solve([(int_r + extra) / yl, ones], int_y / yl, wl)
            return {"DVR": c[0], "BPND": c[0] - 1.0}
        if model == "mrtm":
            c = _solve([int_r, int_y, r], yl, wl)
            dvr = -c[0] / c[1]
            return {"DVR": dvr, "BPND": dvr - 1.0, "k2_prime": c[0] / c[2]}
        assert o.k2_prime
        c = _solve([int_r + r / o.k2_prime, int_y], yl, wl)
        dvr = -c[0] / c[1]
        return {"DVR": dvr, "BPND": dvr - 1.0}


def _logan(
    model: str,
    y: NDArray[np.float64],
    s: Sampling,
    w: NDArray[np.float64],
    late: NDArray[np.bool_],
    inp: InputFunction | None,
    ref: NDArray[np.float64] | None,
    o: MapOptions,
) -> dict[str, NDArray[np.float64]]:
    """Logan and Logan-ref in one fused pass per voxel (numba)."""
    if model == "logan":
        assert inp is not None
        numerator = input_at_frames(inp, s)[1]
    else:
        assert ref is not None
        numerator = tac_integral(s, ref) + (ref / o.k2_prime if o.k2_prime else 0.0)
    dt = np.diff(np.concatenate([[0.0], s.mid_min]))
    slope, intercept = logan_slopes(np.ascontiguousarray(y), dt, numerator, late, w)
    if model == "logan":
        return {"VT": slope, "intercept": intercept}
    return {"DVR": slope, "BPND": slope - 1.0}


def _basis(
    model: str,
    y: NDArray[np.float64],
    s: Sampling,
    w: NDArray[np.float64],
    driver: NDArray[np.float64],
    first: NDArray[np.float64] | None,
    o: MapOptions,
) -> dict[str, NDArray[np.float64]]:
    """Basis-function fit: ``y = a·first + b·B_θ`` (SRTM) or ``y = b·B_θ`` (1TCM)."""
    thetas = np.geomspace(o.theta_min, o.theta_max, o.n_basis)
    bases = np.stack([s.frame_values(exp_convolve(driver, t, s.step_min)) for t in thetas])
    wy = y * w[:, None]
    yy = np.einsum("fn,fn->n", wy, y)
    b_y = bases @ wy  # (n_basis, N)
    best_rss = np.full(y.shape[1], np.inf)
    best = np.full((3, y.shape[1]), np.nan)  # stays NaN where no basis fits (NaN voxels)
    if first is None:  # 1TCM: y = K1 · B_θ, θ = k2
        bb = np.einsum("if,f,if->i", bases, w, bases)
        for i, theta in enumerate(thetas):
            k1 = b_y[i] / bb[i]
            rss = yy - k1 * b_y[i]
            better = (rss < best_rss) & (k1 > 0)
            best_rss = np.where(better, rss, best_rss)
            best[:, better] = np.stack(
                [k1[better], np.full(better.sum(), theta), np.zeros(better.sum())]
            )
        return {"K1": best[0], "k2": best[1], "VT": best[0] / best[1]}
    f_y = (first * w) @ y
    ff = float(np.sum(first * w * first))
    for i, theta in enumerate(thetas):
        fb = float(np.sum(first * w * bases[i]))
        bb = float(np.sum(bases[i] * w * bases[i]))
        det = ff * bb - fb * fb
        if model == "srtm2":  # R1 from k2 = R1 k2′: y = R1 (Cr + (k2′ − θ) B_θ)
            g = first + (o.k2_prime - theta) * bases[i]
            gg = float(np.sum(g * w * g))
            r1 = (g * w) @ y / gg
            rss = yy - r1 * ((g * w) @ y)
            coef = np.stack([r1, r1 * o.k2_prime])
        else:
            if det <= 0:
                continue
            a = (bb * f_y - fb * b_y[i]) / det
            b = (ff * b_y[i] - fb * f_y) / det
            rss = yy - a * f_y - b * b_y[i]
            coef = np.stack([a, b + a * theta])  # R1, k2
        better = rss < best_rss
        best_rss = np.where(better, rss, best_rss)
        best[0, better], best[1, better], best[2, better] = coef[0][better], coef[1][better], theta
    r1, k2, theta = best
    flat_tac = ~np.any(y != 0, axis=0)  # an all-zero voxel has no kinetics to measure
    r1, k2 = np.where(flat_tac, np.nan, r1), np.where(flat_tac, np.nan, k2)
    with np.errstate(divide="ignore", invalid="ignore"):
        return {"R1": r1, "k2": k2, "BPND": k2 / theta - 1.0}


def parametric_maps(
    image: Image,
    model: str,
    *,
    mask: NDArray[np.bool_],
    inp: InputFunction | None = None,
    reference: NDArray[np.float64] | None = None,
    options: MapOptions = MapOptions(),
    log: Logger | None = None,
) -> dict[str, Image]:
    """Voxel-wise ``model`` inside ``mask``; one image per parameter.

    Parameters
    ----------
    image
        Dynamic image (frames required), any consistent activity unit.
    model
        One of :data:`MAP_MODELS`.
    mask
        Voxels to fit, shape ``image.spatial_shape``.
    inp, reference
        Arterial input (plasma-input models) or reference TAC (frame values).
    """
    if model not in MAP_MODELS:
        raise PositrixError(
            f"no parametric map for '{model}'",
            field="--model",
            fix="use one of " + ", ".join(MAP_MODELS),
        )
    if image.frames is None or not image.is_dynamic:
        raise PositrixError(
            "a parametric map needs a dynamic image with frame times",
            field="image",
            fix="give a 4-D image with its frame table",
        )
    s = Sampling.from_frames(image.frames)
    plasma = model in ("patlak", "logan", "ma1", "1tcm")
    if plasma and inp is None:
        raise PositrixError(f"{model} needs an arterial input", field="--input")
    if not plasma:
        if reference is None:
            raise PositrixError(f"{model} needs a reference region", field="--ref-voi")
        check_reference(reference)
    if model in ("srtm2", "mrtm2") and not options.k2_prime:
        raise PositrixError(f"{model} needs k2′", field="--k2-prime")
    if model in ("patlak", "logan", "ma1", "logan-ref", "ref-patlak", "suvr") and (
        options.tstar_min is None
    ):
        raise PositrixError(f"{model} needs t*", field="--tstar-min")
    if plasma:
        assert inp is not None
        inp.check_covers(s)
    mask = np.asarray(mask)
    if mask.shape != image.spatial_shape:
        raise PositrixError(
            f"the mask is {mask.shape}, the image {image.spatial_shape}",
            field="--mask",
            fix="give a mask on the image's grid",
        )
    if reference is not None and np.asarray(reference).shape != (image.n_frames,):
        raise PositrixError(
            f"the reference TAC has {np.asarray(reference).size} values for "
            f"{image.n_frames} frames",
            field="--ref-voi",
        )
    voxels = np.flatnonzero(mask.ravel())
    if voxels.size == 0:
        raise PositrixError("the mask selects no voxel", field="--mask")
    flat = np.asarray(image.data).reshape(-1, image.n_frames)
    w = frame_weights(
        "duration" if options.weights == "counts" else options.weights, s, np.ones(s.start_min.size)
    )
    fit = _chunk_fitter(model, s, w, inp, reference, options)
    results: dict[str, NDArray[np.float64]] = {}
    chunks = range(0, voxels.size, options.chunk)
    for start in with_progress(chunks, total=len(chunks), label=f"{model} map", log=log):
        index = voxels[start : start + options.chunk]
        y = flat[index].T.astype(np.float64)  # (frames, voxels)
        for name, values in fit(y).items():
            results.setdefault(name, np.full(flat.shape[0], np.nan))[index] = values
    return {
        name: image.replace(
            data=values.reshape(image.spatial_shape).astype(np.float32),
            frames=None,
            unit=parameter_unit(name, model),
            decay_reference=None,
            description=f"{model} {name}",
        )
        for name, values in results.items()
    }


def _chunk_fitter(
    model: str,
    s: Sampling,
    w: NDArray[np.float64],
    inp: InputFunction | None,
    reference: NDArray[np.float64] | None,
    o: MapOptions,
) -> Callable[[NDArray[np.float64]], dict[str, NDArray[np.float64]]]:
    if model == "suvr":
        assert reference is not None
        late = late_frames(s, o.tstar_min or 0.0, minimum=1)
        d = s.duration_min[late]
        denominator = float(np.sum(d * reference[late]))
        if denominator <= 0:
            raise PositrixError("the reference is 0 in the SUVR window", field="--ref-voi")
        return lambda y: {"SUVR": (d @ y[late]) / denominator}
    if model in ("srtm", "srtm2"):
        assert reference is not None
        driver = reference_on_grid(s, reference)
        return lambda y: _basis(model, y, s, w, driver, reference, o)
    if model == "1tcm":
        assert inp is not None
        driver = inp.on_grid(s.grid)
        return lambda y: _basis(model, y, s, w, driver, None, o)
    return lambda y: _linear(model, y, s, w, inp, reference, o)
