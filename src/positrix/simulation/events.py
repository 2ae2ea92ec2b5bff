"""List-mode events from span-1 sinogram counts: one crystal pair per count, uniform times."""

from __future__ import annotations

from datetime import datetime

import numpy as np
from numpy.typing import ArrayLike

from positrix.errors import PositrixError
from positrix.geometry.sinogram import SinogramLayout
from positrix.io.events import ListModeEvents

__all__ = ["events_from_sinograms"]


def events_from_sinograms(
    layout: SinogramLayout,
    prompts: ArrayLike,
    *,
    delayeds: ArrayLike | None = None,
    duration_s: float,
    acquisition_start: datetime,
    nuclide: str,
    seed: int = 0,
) -> ListModeEvents:
    """Events whose histogram is ``prompts`` (and ``delayeds``), in random time order.

    ``layout`` must be span 1 (each plane one ring pair).  Times are uniform over the scan
    (no decay within it): use for static checks of the list-mode path.
    """
    if layout.span != 1:
        raise PositrixError("events need a span-1 layout (one ring pair per plane)", field="span")
    rng = np.random.default_rng(seed)
    ring_a, ring_b = np.nonzero(layout.plane_of_rings >= 0)
    rings = np.empty((layout.n_planes, 2), np.int64)
    rings[layout.plane_of_rings[ring_a, ring_b]] = np.column_stack([ring_a, ring_b])
    columns: list[list[np.ndarray]] = [[], [], [], [], []]
    for flag, counts in ((True, prompts), (False, delayeds)):
        if counts is None:
            continue
        values = np.asarray(layout.check(counts), dtype=np.int64)
        plane, view, radial = np.nonzero(values)
        repeat = values[plane, view, radial]
        pairs = layout.bin_crystals[view, radial]
        for column, source in zip(
            columns, (rings[plane, 0], pairs[:, 0], rings[plane, 1], pairs[:, 1]), strict=False
        ):
            column.append(np.repeat(source, repeat))
        columns[4].append(np.full(int(repeat.sum()), flag))
    r1, c1, r2, c2, prompt = (np.concatenate(c) for c in columns)
    order = rng.permutation(r1.size)
    times = np.sort(rng.uniform(0.0, duration_s, r1.size))
    return ListModeEvents(
        r1[order],
        c1[order],
        r2[order],
        c2[order],
        times,
        prompt[order],
        layout.scanner.name,
        acquisition_start,
        float(duration_s),
        nuclide,
    )
