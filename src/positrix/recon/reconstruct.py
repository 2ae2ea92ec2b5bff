"""Sinogram reconstruction with every correction: the system model and the algorithms.

Expected counts of a bin: ``ȳ = n · a · P(B x) + r + s`` with ``n`` the bin efficiencies
(normalisation × live fraction, including the ring pairs per bin), ``a`` the attenuation
factors, ``P`` the sinogram projector, ``B`` an optional image-space blur (PSF and positron
range), ``r`` randoms and ``s`` scatter (counts).  Algorithms: MLEM, OSEM (view subsets),
MAP-RDP (one-step-late EM with the relative-difference prior) and 2D FBP after SSRB of the
pre-corrected data.  The image ``x`` is in counts per mm of line integral for the whole frame;
:func:`positrix.recon.calibration.to_concentration` turns it into Bq/mL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from positrix.errors import PositrixError
from positrix.geometry.scanner import ScannerGeometry
from positrix.geometry.sinogram import SinogramLayout, ssrb
from positrix.recon.algorithms import osem
from positrix.recon.fbp import fbp2d
from positrix.recon.operators import ElementwiseMultiply, LinearOperator, resolution_model
from positrix.recon.priors import rdp_gradient
from positrix.recon.sinogram_projector import SinogramProjector

__all__ = ["ALGORITHMS", "SystemModel", "default_grid", "grid_affine", "reconstruct"]

ALGORITHMS = ("osem", "mlem", "map-rdp", "fbp")
Callback = Callable[[int, int, NDArray[np.float32]], None]


def default_grid(
    scanner: ScannerGeometry, *, transaxial_fov_mm: float | None = None
) -> tuple[tuple[int, int, int], tuple[float, float, float]]:
    """Image shape and voxel size: half the axial pitch, ``2·n_rings − 1`` planes, and the
    same voxel size transaxially over ~0.63 × the ring diameter (128 × 128 × 159 at
    0.795 mm for the Inveon)."""
    voxel = scanner.axial_pitch_mm / 2.0
    fov = 0.633 * scanner.ring_diameter_mm if transaxial_fov_mm is None else transaxial_fov_mm
    n = round(fov / voxel / 2.0) * 2
    return (n, n, 2 * scanner.n_rings - 1), (voxel, voxel, voxel)


def grid_affine(shape: tuple[int, int, int], voxel_size_mm: tuple[float, float, float]):
    """4×4 voxel → scanner-frame (mm) affine of a grid centred on the scanner axis."""
    affine = np.diag([*voxel_size_mm, 1.0])
    affine[:3, 3] = [-(n - 1) / 2 * v for n, v in zip(shape, voxel_size_mm, strict=True)]
    return affine


@dataclass(frozen=True)
class SystemModel:
    """Sinogram layout, image grid and the multiplicative and blurring parts of the model.

    Attributes
    ----------
    layout
        Sinogram layout.
    shape, voxel_size_mm
        Image grid ``(nx, ny, nz)`` centred on the scanner, voxel edges in mm.
    efficiency
        Bin efficiencies (default: pairs of crystal rings per bin — the virtual rings of
        axial gaps hold none), ``layout.shape``.
    attenuation
        Attenuation factors (default 1), ``layout.shape``.
    blur_fwhm_mm
        Image-space Gaussian resolution model (PSF), or ``None``.
    positron_range_mm
        Mean positron range of the nuclide (mm) for a positron-range kernel in the model
        (:func:`positrix.recon.operators.positron_range_kernel`), or ``None``.
    """

    layout: SinogramLayout
    shape: tuple[int, int, int]
    voxel_size_mm: tuple[float, float, float]
    efficiency: NDArray[np.float32] | None = None
    attenuation: NDArray[np.float32] | None = None
    blur_fwhm_mm: float | None = None
    positron_range_mm: float | None = None

    def multiplicative(self) -> NDArray[np.float32]:
        """``n · a`` for every bin."""
        layout = self.layout
        eff = (
            np.broadcast_to(layout.detector_pairs_per_plane[:, None, None], layout.shape)
            if self.efficiency is None
            else layout.check(self.efficiency, what="normalisation")
        )
        if self.attenuation is None:
            return np.asarray(eff, dtype=np.float32)
        return (eff * layout.check(self.attenuation, what="attenuation factors")).astype(np.float32)

    def image_blur(self) -> LinearOperator | None:
        """``B``: positron range then PSF (either may be absent)."""
        return resolution_model(
            self.shape,
            self.voxel_size_mm,
            psf_fwhm_mm=self.blur_fwhm_mm,
            positron_range_mm=self.positron_range_mm,
        )

    def operators(self, subsets: int) -> list[LinearOperator]:
        """System operator of each view subset (views ``s, s + subsets, …``)."""
        if not 1 <= subsets <= self.layout.n_views:
            raise PositrixError(
                f"{subsets} subsets for {self.layout.n_views} views",
                field="--subsets",
                fix=f"use 1 … {self.layout.n_views} (a divisor of the views is best)",
            )
        factors = self.multiplicative()
        blur = self.image_blur()
        out: list[LinearOperator] = []
        for subset in range(subsets):
            views = np.arange(subset, self.layout.n_views, subsets)
            projector = SinogramProjector(self.layout, self.shape, self.voxel_size_mm, views=views)
            op: LinearOperator = ElementwiseMultiply(factors[:, views]) @ projector
            out.append(op @ blur if blur is not None else op)
        return out


def _subset_data(array: NDArray[np.float32] | None, subsets: int, n_views: int) -> list | None:
    if array is None:
        return None
    return [array[:, np.arange(s, n_views, subsets)] for s in range(subsets)]


def reconstruct(
    model: SystemModel,
    prompts: ArrayLike,
    *,
    randoms: ArrayLike | None = None,
    scatter: ArrayLike | None = None,
    algorithm: str = "osem",
    iterations: int = 3,
    subsets: int = 8,
    beta: float = 0.0,
    gamma: float = 2.0,
    start: ArrayLike | None = None,
    callback: Callback | None = None,
) -> NDArray[np.float32]:
    """Reconstruct one frame.

    Parameters
    ----------
    model
        System model (layout, grid, normalisation, attenuation, resolution model).
    prompts
        Measured prompt counts, ``layout.shape``.
    randoms, scatter
        Expected randoms and scatter (counts), or ``None``.
    algorithm
        ``"osem"``, ``"mlem"`` (one subset), ``"map-rdp"`` or ``"fbp"``.
    iterations, subsets
        Full passes and view subsets (iterative algorithms).
    beta, gamma
        Strength and edge parameter of the relative-difference prior (``map-rdp``).
    start
        Initial image (iterative algorithms), default uniform.
    callback
        ``callback(iteration, subset, image)`` after every sub-iteration.

    Returns
    -------
    ndarray
        Image ``(nx, ny, nz)`` in counts per mm of line integral (see
        :func:`positrix.recon.calibration.to_concentration`).
    """
    layout = model.layout
    y = layout.check(prompts, what="prompts")
    if not np.all(np.isfinite(y)) or np.any(y < 0):
        raise PositrixError("prompts must be finite counts ≥ 0", field="prompts")
    if float(y.sum(dtype=np.float64)) <= 0:
        raise PositrixError(
            "the prompts hold no counts",
            field="prompts",
            fix="check the input file and the frame time window",
        )
    additive = np.zeros(layout.shape, np.float32)
    for name, term in (("randoms", randoms), ("scatter", scatter)):
        if term is not None:
            values = layout.check(term, what=name)
            if np.any(values < 0) or not np.all(np.isfinite(values)):
                raise PositrixError(f"{name} must be finite and ≥ 0", field=name)
            additive = additive + values
    if algorithm == "fbp":
        return _fbp(model, y, additive)
    if algorithm not in ALGORITHMS:
        raise PositrixError(
            f"unknown algorithm '{algorithm}'",
            field="--algorithm",
            fix="use one of " + ", ".join(ALGORITHMS),
        )
    if algorithm == "mlem":
        subsets = 1
    if iterations < 1:
        raise PositrixError("iterations must be ≥ 1", field="--iterations")
    operators = model.operators(subsets)
    counts = _subset_data(y, subsets, layout.n_views)
    extra = _subset_data(additive, subsets, layout.n_views)
    assert counts is not None and extra is not None
    if algorithm == "map-rdp":
        return _osl_rdp(operators, counts, extra, model, iterations, beta, gamma, start, callback)
    return osem(
        operators, counts, additive=extra, iterations=iterations, start=start, callback=callback
    )


def _osl_rdp(operators, counts, extra, model, iterations, beta, gamma, start, callback):
    """One-step-late EM (Green 1990) with the relative-difference prior, per subset."""
    if beta < 0:
        raise PositrixError("beta must be ≥ 0", field="--beta")
    n = len(operators)
    sens = [op.adjoint(np.ones(op.out_shape, np.float32)) for op in operators]
    x = np.ones(model.shape, np.float32) if start is None else np.asarray(start, np.float32)
    x = x.copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        for iteration in range(iterations):
            for subset, (op, y, s) in enumerate(zip(operators, counts, extra, strict=True)):
                expected = op.apply(x) + s
                ratio = np.where(expected > 0, y / expected, 0.0).astype(np.float32)
                grad = rdp_gradient(x, voxel_size_mm=model.voxel_size_mm, gamma=gamma)
                denominator = sens[subset] + (beta / n) * grad
                # keep the OSL denominator positive (large β with steep edges)
                denominator = np.maximum(denominator, 0.01 * sens[subset])
                x = np.where(sens[subset] > 0, x * op.adjoint(ratio) / denominator, 0.0)
                x = x.astype(np.float32)
                if callback is not None:
                    callback(iteration, subset, x)
    return x


def _fbp(model: SystemModel, y: NDArray[np.float32], additive: NDArray[np.float32]):
    layout = model.layout
    n_direct = 2 * layout.scanner.n_rings - 1
    if model.shape[2] != n_direct or not np.isclose(
        model.voxel_size_mm[2], layout.scanner.axial_pitch_mm / 2
    ):
        raise PositrixError(
            f"FBP after SSRB gives {n_direct} planes of {layout.scanner.axial_pitch_mm / 2} mm; "
            f"the image grid has {model.shape[2]} of {model.voxel_size_mm[2]} mm",
            field="image grid",
            fix="use the default grid for FBP",
        )
    factors = model.multiplicative()
    pairs = layout.detector_pairs_per_plane[:, None, None].astype(np.float32)
    # oblique LORs cross a slab 1/cos θ longer than a direct one: scale to 2D line integrals
    xy = layout.bin_xy_mm
    inplane = np.sum((xy[..., 2:] - xy[..., :2]) ** 2, axis=-1)[None]
    dz = (layout.plane_z_mm[:, 1] - layout.plane_z_mm[:, 0])[:, None, None]
    cos_theta = np.sqrt(inplane / (inplane + dz**2)).astype(np.float32)
    valid = factors > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        per_lor = np.where(valid, (y - additive) / factors, 0.0) * cos_theta
    # average over the ring pairs of the bins that were measured (dead crystals left out)
    weight = pairs * valid
    summed = ssrb(layout, per_lor * weight, average=False)
    total = ssrb(layout, weight, average=False)
    rebinned = np.divide(summed, total, out=np.zeros_like(summed), where=total > 0)
    return fbp2d(
        rebinned,
        layout.radial_mm(),
        layout.view_angles_rad(),
        shape=(model.shape[0], model.shape[1]),
        voxel_size_mm=(model.voxel_size_mm[0], model.voxel_size_mm[1]),
    )
