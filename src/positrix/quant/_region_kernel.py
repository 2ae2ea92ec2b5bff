"""Numba kernel behind :func:`positrix.quant.stats.region_stats` (one pass per region).

Each region's voxels (all frames) are gathered once into a frame-major block; every
statistic of every frame is then computed from that block.  Regions run in parallel.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

__all__ = ["MODE_CODES", "region_moments"]

MODE_CODES = {"all": 0, "above": 1, "fraction_of_max": 2, "top_fraction": 3}


@njit(cache=True)
def _threshold(row, weight, mode, level):
    """Lowest value included in a frame under the calculation mode."""
    if mode == 0:
        return -np.inf
    if mode == 1:
        return level
    top = -np.inf
    for k in range(row.size):
        if weight[k] > 0 and row[k] > top:
            top = row[k]
    if mode == 2:
        return level * top
    ordered = np.sort(row)  # mode 3: the highest `level` fraction of the voxels
    keep = max(1, int(np.ceil(level * row.size)))
    return ordered[row.size - keep]


@njit(cache=True)
def _select(values, k):
    """k-th smallest of ``values`` (reordered in place), by quickselect (median of 3)."""
    lo, hi = 0, values.size - 1
    while hi > lo:
        mid = (lo + hi) // 2
        a, b, c = values[lo], values[mid], values[hi]
        pivot = max(min(a, b), min(max(a, b), c))
        i, j = lo, hi
        while i <= j:
            while values[i] < pivot:
                i += 1
            while values[j] > pivot:
                j -= 1
            if i <= j:
                values[i], values[j] = values[j], values[i]
                i += 1
                j -= 1
        if k <= j:
            hi = j
        elif k >= i:
            lo = i
        else:
            return values[k]
    return values[k]


@njit(cache=True)
def _median(values):
    """Median of ``values`` (reordered in place)."""
    n = values.size
    upper = _select(values, n // 2)
    if n % 2 == 1:
        return upper
    lower = values[0]
    for k in range(1, n // 2):  # after selection, values[: n // 2] are all ≤ upper
        lower = max(lower, values[k])
    return 0.5 * (lower + upper)


@njit(parallel=True, cache=True)
def region_moments(flat, index, weight, starts, counts, mode, level):
    """Statistics per region and frame.

    Returns an array ``(7, n_regions, n_frames)``: mean, sd, median, min, max, Σw, n.
    """
    n_regions = starts.size
    n_frames = flat.shape[1]
    out = np.full((7, n_regions, n_frames), np.nan)
    for r in prange(n_regions):
        start, count = starts[r], counts[r]
        w = weight[start : start + count]
        block = np.empty((n_frames, count))
        for k in range(count):
            row = index[start + k]
            for t in range(n_frames):
                block[t, k] = flat[row, t]
        any_core = False
        for k in range(count):
            if w[k] >= 0.5:
                any_core = True
        for t in range(n_frames):
            values = block[t]
            cut = _threshold(values, w, mode, level)
            sw = 0.0
            swx = 0.0
            sw2 = 0.0
            n = 0
            for k in range(count):
                if values[k] >= cut:
                    sw += w[k]
                    swx += w[k] * values[k]
                    sw2 += w[k] * w[k]
                    n += 1
            if n == 0:
                continue
            mean = swx / sw
            dev = 0.0
            core = np.empty(count)
            m = 0
            lo = np.inf
            hi = -np.inf
            for k in range(count):
                if values[k] >= cut:
                    d = values[k] - mean
                    dev += w[k] * d * d
                    if w[k] >= 0.5 or not any_core:
                        core[m] = values[k]
                        m += 1
                        lo = min(lo, values[k])
                        hi = max(hi, values[k])
            out[0, r, t] = mean
            denominator = sw - sw2 / sw
            out[1, r, t] = np.sqrt(dev / denominator) if denominator > 0 else np.nan
            out[2, r, t] = _median(core[:m]) if m > 0 else np.nan
            out[3, r, t] = lo if m > 0 else np.nan
            out[4, r, t] = hi if m > 0 else np.nan
            out[5, r, t] = sw
            out[6, r, t] = n
    return out
