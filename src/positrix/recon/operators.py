"""Linear operators for reconstruction: apply, adjoint, composition and an adjointness check.

Every operator maps arrays of ``in_shape`` to ``out_shape``; algorithms are short functions
over operators.  :meth:`LinearOperator.adjointness_error` is the shipped test
``|<A x, y> − <x, Aᵀ y>| / (‖A x‖ ‖y‖)`` on random arrays.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage

from positrix.errors import PositrixError

__all__ = [
    "Composition",
    "Convolution",
    "ElementwiseMultiply",
    "GaussianBlur",
    "LinearOperator",
    "positron_range_kernel",
    "resolution_model",
]


class LinearOperator(ABC):
    """A linear map between arrays of fixed shapes."""

    in_shape: tuple[int, ...]
    out_shape: tuple[int, ...]

    @abstractmethod
    def _apply(self, x: NDArray[np.float32]) -> NDArray[np.float32]: ...

    @abstractmethod
    def _adjoint(self, y: NDArray[np.float32]) -> NDArray[np.float32]: ...

    def apply(self, x: ArrayLike) -> NDArray[np.float32]:
        """``A x``."""
        array = np.asarray(x, dtype=np.float32)
        if array.shape != self.in_shape:
            raise PositrixError(
                f"{type(self).__name__} takes shape {self.in_shape}, got {array.shape}",
                field="shape",
            )
        return self._apply(array)

    def adjoint(self, y: ArrayLike) -> NDArray[np.float32]:
        """``Aᵀ y``."""
        array = np.asarray(y, dtype=np.float32)
        if array.shape != self.out_shape:
            raise PositrixError(
                f"{type(self).__name__}ᵀ takes shape {self.out_shape}, got {array.shape}",
                field="shape",
            )
        return self._adjoint(array)

    def __matmul__(self, other: LinearOperator) -> LinearOperator:
        return Composition(self, other)

    def adjointness_error(self, *, seed: int = 0) -> float:
        """Relative mismatch of ``<A x, y>`` and ``<x, Aᵀ y>`` for random x, y (≈ 1e-6 in
        float32 for a correct adjoint)."""
        rng = np.random.default_rng(seed)
        x = rng.random(self.in_shape).astype(np.float32)
        y = rng.random(self.out_shape).astype(np.float32)
        ax, aty = self.apply(x), self.adjoint(y)
        left = float(np.dot(ax.ravel().astype(np.float64), y.ravel()))
        right = float(np.dot(x.ravel().astype(np.float64), aty.ravel()))
        scale = float(np.linalg.norm(ax) * np.linalg.norm(y)) or 1.0
        return abs(left - right) / scale


class Composition(LinearOperator):
    """``A ∘ B``: apply B first."""

    def __init__(self, outer: LinearOperator, inner: LinearOperator) -> None:
        if inner.out_shape != outer.in_shape:
            raise PositrixError(
                f"cannot compose: {inner.out_shape} into {outer.in_shape}", field="shape"
            )
        self.outer, self.inner = outer, inner
        self.in_shape, self.out_shape = inner.in_shape, outer.out_shape

    def _apply(self, x: NDArray[np.float32]) -> NDArray[np.float32]:
        return self.outer.apply(self.inner.apply(x))

    def _adjoint(self, y: NDArray[np.float32]) -> NDArray[np.float32]:
        return self.inner.adjoint(self.outer.adjoint(y))


class ElementwiseMultiply(LinearOperator):
    """Multiplication by fixed factors (attenuation, normalisation); self-adjoint."""

    def __init__(self, factors: ArrayLike) -> None:
        self.factors = np.asarray(factors, dtype=np.float32)
        self.in_shape = self.out_shape = self.factors.shape

    def _apply(self, x: NDArray[np.float32]) -> NDArray[np.float32]:
        return x * self.factors

    def _adjoint(self, y: NDArray[np.float32]) -> NDArray[np.float32]:
        return y * self.factors


class GaussianBlur(LinearOperator):
    """Isotropic or per-axis Gaussian image blur (resolution or positron-range model).

    Zero outside the image; symmetric kernel, so the adjoint is the same blur.
    """

    def __init__(
        self, shape: tuple[int, int, int], voxel_size_mm: ArrayLike, fwhm_mm: ArrayLike
    ) -> None:
        self.in_shape = self.out_shape = tuple(shape)
        sigma_mm = np.broadcast_to(np.asarray(fwhm_mm, float), (3,)) / np.sqrt(8 * np.log(2))
        self.sigma = sigma_mm / np.asarray(voxel_size_mm, dtype=float)

    def _apply(self, x: NDArray[np.float32]) -> NDArray[np.float32]:
        return ndimage.gaussian_filter(x, self.sigma, mode="constant", truncate=4.0)

    def _adjoint(self, y: NDArray[np.float32]) -> NDArray[np.float32]:
        return self._apply(y)


def positron_range_kernel(
    voxel_size_mm: ArrayLike, mean_range_mm: float, *, n_radii: int = 256, n_directions: int = 512
) -> NDArray[np.float32]:
    """Annihilation-point distribution of a point source, voxelised and summing to 1.

    The distance from decay to annihilation is exponential with mean ``λ`` (the tabulated
    mean positron range; 3D density ``∝ exp(−r/λ)/r²``), isotropic in direction.  The
    voxel probabilities are integrated with stratified radii (exponential quantiles) and a
    Fibonacci sphere of directions, then symmetrised; the kernel reaches ``5 λ``.
    """
    voxel = np.asarray(voxel_size_mm, dtype=np.float64).reshape(3)
    if not mean_range_mm > 0:
        raise PositrixError("the mean positron range must be > 0 mm", field="positron range")
    half = np.maximum(np.ceil(5.0 * mean_range_mm / voxel).astype(int), 1)
    quantiles = (np.arange(n_radii) + 0.5) / n_radii * (1.0 - np.exp(-5.0))
    radii = -mean_range_mm * np.log1p(-quantiles)
    k = np.arange(n_directions) + 0.5
    polar = np.arccos(1.0 - 2.0 * k / n_directions)
    azimuth = np.pi * (1.0 + 5.0**0.5) * k
    directions = np.stack(
        [np.sin(polar) * np.cos(azimuth), np.sin(polar) * np.sin(azimuth), np.cos(polar)], 1
    )
    points = radii[:, None, None] * directions[None, :, :]
    index = np.rint(points.reshape(-1, 3) / voxel).astype(int) + half
    shape = tuple(int(2 * h + 1) for h in half)
    kernel = np.zeros(shape)
    np.add.at(kernel, tuple(index.T), 1.0)
    for axis in range(3):
        kernel = 0.5 * (kernel + np.flip(kernel, axis=axis))
    return (kernel / kernel.sum()).astype(np.float32)


class Convolution(LinearOperator):
    """Convolution with a symmetric kernel (zero outside the image); self-adjoint.

    Used for nuclide positron range: ``Convolution(shape, positron_range_kernel(voxel,
    nuclide.mean_positron_range_mm))``.
    """

    def __init__(self, shape: tuple[int, int, int], kernel: ArrayLike) -> None:
        self.in_shape = self.out_shape = tuple(shape)
        self.kernel = np.asarray(kernel, dtype=np.float32)
        if self.kernel.ndim != 3 or not np.allclose(self.kernel, self.kernel[::-1, ::-1, ::-1]):
            raise PositrixError("the kernel must be 3-D and point-symmetric", field="kernel")

    def _apply(self, x: NDArray[np.float32]) -> NDArray[np.float32]:
        from scipy.signal import fftconvolve

        return fftconvolve(x, self.kernel, mode="same").astype(np.float32)

    def _adjoint(self, y: NDArray[np.float32]) -> NDArray[np.float32]:
        return self._apply(y)


def resolution_model(
    shape: tuple[int, int, int],
    voxel_size_mm: ArrayLike,
    *,
    psf_fwhm_mm: float | None = None,
    positron_range_mm: float | None = None,
) -> LinearOperator | None:
    """Image-space resolution model: positron range (nuclide) then Gaussian PSF; ``None``
    when neither is asked for."""
    parts: list[LinearOperator] = []
    if positron_range_mm:
        kernel = positron_range_kernel(voxel_size_mm, positron_range_mm)
        parts.append(Convolution(shape, kernel))
    if psf_fwhm_mm:
        parts.append(GaussianBlur(shape, voxel_size_mm, psf_fwhm_mm))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else parts[1] @ parts[0]
