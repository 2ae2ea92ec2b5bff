"""Numba kernel for Logan-type maps: per voxel, the running integral of its TAC and a
weighted straight-line fit of ``∫C_T/C_T`` against ``a/C_T`` over the late frames."""

from __future__ import annotations

import numpy as np
from numba import njit, prange

__all__ = ["logan_slopes"]


@njit(parallel=True, cache=True)
def logan_slopes(y, dt, numerator, late, weights):
    """Slope and intercept of ``∫y/y`` vs ``numerator/y`` for each voxel.

    ``y`` (frames, voxels) frame values; ``dt`` the trapezoid steps between (0, mids);
    ``numerator`` (frames,) the reference or input term; ``late`` and ``weights`` per frame.
    """
    n_frames, n_voxels = y.shape
    out = np.full((2, n_voxels), np.nan)
    for v in prange(n_voxels):
        integral = 0.0
        previous = 0.0
        sw = swx = swy = swxx = swxy = 0.0
        for f in range(n_frames):
            value = y[f, v]
            integral += 0.5 * (value + previous) * dt[f]
            previous = value
            if late[f] and value != 0.0:
                x = numerator[f] / value
                z = integral / value
                w = weights[f]
                sw += w
                swx += w * x
                swy += w * z
                swxx += w * x * x
                swxy += w * x * z
        det = sw * swxx - swx * swx
        if det != 0.0:
            out[0, v] = (sw * swxy - swx * swy) / det
            out[1, v] = (swxx * swy - swx * swxy) / det
    return out
