"""Cone-beam forward and back projection: one ray from the source to each detector pixel
centre, integrated by the Joseph projector (:mod:`positrix.recon.projectors`, numba,
parallel), angle block by angle block so that the rays of a whole scan are never held at
once.  The back projection is the exact adjoint (same weights).

Projections are line integrals in image units × mm, shape ``(n_angles, rows, cols)``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from positrix.geometry.cone_beam import ConeBeamGeometry
from positrix.recon.operators import LinearOperator
from positrix.recon.projectors import joseph_back, joseph_forward

__all__ = ["ConeBeamProjector", "cone_beam_rays"]

#: Angles per block (rays of one block: block × rows × cols).
_BLOCK = 8


def cone_beam_rays(
    geometry: ConeBeamGeometry, angles: slice = slice(None)
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Source and detector-pixel positions (mm, scanner frame) of the chosen angles' rays.

    Returns
    -------
    starts, ends
        Each ``(n_angles · rows · cols, 3)``, angle-major then row then column.
    """
    theta = geometry.angles_rad[angles]
    sid, sdd = geometry.source_to_isocenter_mm, geometry.source_to_detector_mm
    pitch = geometry.pixel_pitch_mm
    u = (np.arange(geometry.detector_cols) - (geometry.detector_cols - 1) / 2.0) * pitch
    v = (np.arange(geometry.detector_rows) - (geometry.detector_rows - 1) / 2.0) * pitch
    vv, uu = np.meshgrid(v, u, indexing="ij")
    tilt = np.deg2rad(geometry.tilt_deg)
    du = uu * np.cos(tilt) - vv * np.sin(tilt) + geometry.detector_offset_mm[0]
    dv = uu * np.sin(tilt) + vv * np.cos(tilt) + geometry.detector_offset_mm[1]
    cos, sin = np.cos(theta)[:, None, None], np.sin(theta)[:, None, None]
    source = np.stack([sid * np.cos(theta), sid * np.sin(theta), np.zeros_like(theta)], axis=1)
    ends = np.stack(
        [
            -(sdd - sid) * cos - du * sin,
            -(sdd - sid) * sin + du * cos,
            np.broadcast_to(dv, (theta.size, *dv.shape)),
        ],
        axis=-1,
    ).reshape(-1, 3)
    starts = np.repeat(source, dv.size, axis=0)
    return np.ascontiguousarray(starts), np.ascontiguousarray(ends)


class ConeBeamProjector(LinearOperator):
    """Image ``(nx, ny, nz)`` → projections ``(n_angles, rows, cols)`` of a cone-beam scan.

    Parameters
    ----------
    geometry
        The scan.
    shape, voxel_size_mm
        The image grid (centred on the isocentre); default: ``geometry.grid()``.
    """

    def __init__(
        self,
        geometry: ConeBeamGeometry,
        *,
        shape: tuple[int, int, int] | None = None,
        voxel_size_mm: float | None = None,
    ) -> None:
        default_shape, default_size = geometry.grid()
        self.geometry = geometry
        self.in_shape = tuple(int(n) for n in (shape or default_shape))
        size = voxel_size_mm or default_size
        self.voxel = np.full(3, float(size))
        self.out_shape = geometry.projection_shape

    def _blocks(self) -> list[slice]:
        n = self.out_shape[0]
        return [slice(i, min(i + _BLOCK, n)) for i in range(0, n, _BLOCK)]

    def _apply(self, x: NDArray[np.float32]) -> NDArray[np.float32]:
        image = np.require(x, np.float32, ["C", "W"])
        out = np.empty(self.out_shape, dtype=np.float32)
        for block in self._blocks():
            starts, ends = cone_beam_rays(self.geometry, block)
            out[block] = joseph_forward(image, starts, ends, self.voxel).reshape(
                -1, *self.out_shape[1:]
            )
        return out

    def _adjoint(self, y: NDArray[np.float32]) -> NDArray[np.float32]:
        shape = np.array(self.in_shape, dtype=np.int64)
        image = np.zeros(self.in_shape, dtype=np.float32)
        for block in self._blocks():
            starts, ends = cone_beam_rays(self.geometry, block)
            values = np.ascontiguousarray(y[block].reshape(-1))
            image += joseph_back(values, starts, ends, shape, self.voxel)
        return image
