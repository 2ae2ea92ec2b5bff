"""The label image: integer labels on a grid, a name per label (0 is background)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from positrix.errors import PositrixError
from positrix.image.grid import Grid
from positrix.quant.voi import VOI

__all__ = ["LabelImage"]


@dataclass(frozen=True, eq=False)
class LabelImage:
    """Integer labels on a grid; 0 is background.

    Attributes
    ----------
    labels
        Label per voxel, shape ``grid.shape``.
    grid
        The grid.
    names
        Label number → region name.
    """

    labels: NDArray[np.integer[Any]]
    grid: Grid
    names: Mapping[int, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        labels = np.asarray(self.labels)
        if labels.shape != self.grid.shape:
            raise PositrixError(
                f"label array {labels.shape} does not match its grid {self.grid.shape}",
                field="labels",
            )
        object.__setattr__(self, "labels", labels.astype(np.int32))
        present = [int(v) for v in np.unique(labels) if v != 0]
        names = {v: self.names.get(v, f"label_{v}") for v in present}
        object.__setattr__(self, "names", names)

    def vois(self, only: Sequence[str] | None = None) -> list[VOI]:
        """One whole-voxel VOI per label (in label order), optionally only some names."""
        flat = self.labels.ravel()
        order = np.argsort(flat, kind="stable")
        ordered = flat[order]
        out = []
        for value, name in sorted(self.names.items()):
            if only is not None and name not in only:
                continue
            lo, hi = np.searchsorted(ordered, [value, value + 1])
            out.append(VOI(name, self.grid, order[lo:hi], np.ones(hi - lo)))
        if only is not None and len(out) != len(set(only)):
            missing = sorted(set(only) - {v.name for v in out})
            raise PositrixError(
                f"no label named {', '.join(missing)}",
                field="label",
                fix="use one of " + ", ".join(self.names.values()),
            )
        return out

    @classmethod
    def from_vois(cls, vois: Sequence[VOI]) -> LabelImage:
        """Labels 1, 2, … from VOIs (voxels with weight ≥ 0.5; later VOIs win overlaps)."""
        if not vois:
            raise PositrixError("no VOIs to turn into labels", field="voi")
        grid = vois[0].grid
        labels = np.zeros(int(np.prod(grid.shape)), dtype=np.int32)
        for number, voi in enumerate(vois, start=1):
            labels[voi.index[voi.weight >= 0.5]] = number
        names = {n: v.name for n, v in enumerate(vois, start=1)}
        return cls(labels.reshape(grid.shape), grid, names)
