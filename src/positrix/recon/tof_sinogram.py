"""Time-of-flight sinograms: every sinogram bin split into the scanner's TOF bins.

Data layout ``(n_planes, n_views, n_radial, tof_bins)``; TOF bin ``k`` of a sinogram bin
counts positions from its LOR's midpoint towards the LOR's second crystal (the crystal
pair's second entry in :attr:`~positrix.geometry.sinogram.SinogramLayout.bin_crystals`).
:class:`TOFSinogramProjector` is :class:`~positrix.recon.tof_projector.TOFLORProjector` on
the LOR of every sinogram bin (the one :class:`~positrix.recon.sinogram_projector.
SinogramProjector` uses), so that summed over TOF bins it is the sinogram projector.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from positrix.errors import PositrixError
from positrix.geometry.sinogram import SinogramLayout
from positrix.recon.operators import LinearOperator
from positrix.recon.tof_projector import TOFLORProjector

__all__ = ["TOFSinogramProjector", "sinogram_lors"]


def sinogram_lors(
    layout: SinogramLayout, *, views: ArrayLike | None = None
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Endpoints (mm) of the LOR of every bin of ``layout`` (or of the given views), in the
    order ``(plane, view, radial)``, each ``(n, 3)``."""
    xy = layout.bin_xy_mm  # (views, radial, 4)
    if views is not None:
        xy = xy[np.asarray(views, dtype=np.int64)]
    z = layout.plane_z_mm  # (planes, 2)
    n_planes, (n_views, n_radial) = z.shape[0], xy.shape[:2]
    start = np.empty((n_planes, n_views, n_radial, 3))
    end = np.empty_like(start)
    start[..., :2] = xy[None, ..., :2]
    end[..., :2] = xy[None, ..., 2:]
    start[..., 2] = z[:, 0, None, None]
    end[..., 2] = z[:, 1, None, None]
    return start.reshape(-1, 3), end.reshape(-1, 3)


class TOFSinogramProjector(LinearOperator):
    """Image → TOF sinogram of ``layout`` (module docstring); ``views`` restricts it to a
    subset of views (output ``(planes, len(views), radial, tof_bins)``)."""

    def __init__(
        self,
        layout: SinogramLayout,
        shape: tuple[int, int, int],
        voxel_size_mm: ArrayLike,
        *,
        views: ArrayLike | None = None,
    ) -> None:
        scanner = layout.scanner
        if int(scanner.tof_bins) < 2:
            raise PositrixError(
                f"scanner '{scanner.name}' has no TOF bins",
                field="tof_bins",
                fix="give the scanner tof_resolution_ps, tof_bins and tof_bin_ps",
            )
        start, end = sinogram_lors(layout, views=views)
        n_views = layout.n_views if views is None else len(np.atleast_1d(views))
        self._lors = TOFLORProjector(
            shape,
            voxel_size_mm,
            start,
            end,
            n_bins=int(scanner.tof_bins),
            bin_ps=float(scanner.tof_bin_ps),
            ctr_ps=float(scanner.tof_resolution_ps),
        )
        self.in_shape = tuple(int(n) for n in shape)
        self.out_shape = (layout.n_planes, n_views, layout.n_radial, int(scanner.tof_bins))

    def _apply(self, x: NDArray[np.float32]) -> NDArray[np.float32]:
        return self._lors.apply(x).reshape(self.out_shape)

    def _adjoint(self, y: NDArray[np.float32]) -> NDArray[np.float32]:
        return self._lors.adjoint(np.asarray(y).reshape(self._lors.out_shape))
