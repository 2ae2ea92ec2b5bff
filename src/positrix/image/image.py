"""The core ``Image``: voxels with geometry, unit, timing and study metadata."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from positrix.errors import PositrixError
from positrix.image.frames import FrameTable
from positrix.image.grid import Grid, checked_affine
from positrix.image.subject import Subject
from positrix.physics.injection import Injection
from positrix.physics.units import as_aware

__all__ = ["Image"]

_MODALITIES = ("PT", "CT", "NM", "MR", "OT")


def _frozen_array(data: ArrayLike) -> NDArray[np.floating[Any]]:
    array = np.asarray(data)
    if not np.issubdtype(array.dtype, np.floating):
        array = array.astype(np.float32)
    view = array.view()
    view.flags.writeable = False
    return view


@dataclass(frozen=True, eq=False)
class Image:
    """A 3-D or dynamic 4-D image in world coordinates.

    Attributes
    ----------
    data
        Float voxel values, shape ``(i, j, k)`` or ``(i, j, k, t)``; stored read-only.
    affine
        4×4 voxel-index → world (LPS, mm) matrix.
    unit
        Unit of the values: ``"Bq/mL"``, ``"HU"``, ``"SUVbw"``, ``"%ID/g"``, ``"counts"``, ….
    frames
        Frame timing; required for 4-D data (one frame per ``t``), optional for 3-D data
        (then one frame).
    decay_reference
        The date-time the values are decay-corrected to, or ``None`` if they are not.
    modality
        DICOM modality code: ``"PT"``, ``"CT"``, ….
    subject, injection
        Who was imaged and what was injected.
    scanner, reconstruction, description
        Free text: scanner model, reconstruction method, series description.
    metadata
        Further key/values kept through I/O where a format has room (UIDs, names…).

    Examples
    --------
    >>> import numpy as np
    >>> img = Image(np.ones((4, 4, 2)), np.diag([0.5, 0.5, 0.8, 1.0]), unit="Bq/mL")
    >>> img.voxel_size_mm, img.is_dynamic
    ((0.5, 0.5, 0.8), False)
    """

    data: NDArray[np.floating[Any]]
    affine: NDArray[np.float64]
    unit: str
    frames: FrameTable | None = None
    decay_reference: datetime | None = None
    modality: str = "PT"
    subject: Subject | None = None
    injection: Injection | None = None
    scanner: str | None = None
    reconstruction: str | None = None
    description: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        data = _frozen_array(self.data)
        if data.ndim not in (3, 4) or 0 in data.shape:
            raise PositrixError(
                f"image data must be 3-D (i, j, k) or 4-D (i, j, k, t), got shape {data.shape}",
                field="data",
            )
        object.__setattr__(self, "data", data)
        object.__setattr__(self, "affine", checked_affine(self.affine))
        if not self.unit or not isinstance(self.unit, str):
            raise PositrixError("an image needs a unit", field="unit", fix="e.g. unit='Bq/mL'")
        n_t = data.shape[3] if data.ndim == 4 else 1
        if data.ndim == 4 and self.frames is None:
            raise PositrixError(
                f"a dynamic image with {n_t} frames needs a FrameTable", field="frames"
            )
        if self.frames is not None and self.frames.n_frames != n_t:
            raise PositrixError(
                f"the frame table has {self.frames.n_frames} frames but the data has {n_t}",
                field="frames",
            )
        if self.modality not in _MODALITIES:
            raise PositrixError(
                f"unknown modality '{self.modality}'",
                field="modality",
                fix="use one of " + ", ".join(_MODALITIES),
            )
        if self.decay_reference is not None:
            object.__setattr__(self, "decay_reference", as_aware(self.decay_reference))
        object.__setattr__(self, "metadata", MappingProxyType(dict(self.metadata)))

    # -- geometry ---------------------------------------------------------------------
    @property
    def grid(self) -> Grid:
        """The spatial grid (shape and affine)."""
        return Grid(self.spatial_shape, self.affine)

    @property
    def spatial_shape(self) -> tuple[int, int, int]:
        """``(ni, nj, nk)``."""
        i, j, k = self.data.shape[:3]
        return (i, j, k)

    @property
    def voxel_size_mm(self) -> tuple[float, float, float]:
        """Voxel edge lengths along ``i, j, k`` in mm."""
        return self.grid.voxel_size_mm

    @property
    def voxel_volume_ml(self) -> float:
        """Volume of one voxel in mL."""
        return self.grid.voxel_volume_ml

    # -- time -------------------------------------------------------------------------
    @property
    def is_dynamic(self) -> bool:
        """Whether the data has a time axis."""
        return self.data.ndim == 4

    @property
    def n_frames(self) -> int:
        """Number of time frames (1 for a 3-D image)."""
        return self.data.shape[3] if self.data.ndim == 4 else 1

    def frame_data(self, index: int) -> NDArray[np.floating[Any]]:
        """The 3-D array of one frame (read-only view)."""
        if self.data.ndim == 3:
            if index not in (0, -1):
                raise IndexError(f"a 3-D image has only frame 0, not {index}")
            return self.data
        return self.data[..., index]

    # -- copies -----------------------------------------------------------------------
    def replace(self, **changes: Any) -> Image:
        """A new image with some attributes changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def __repr__(self) -> str:
        frames = f", {self.n_frames} frames" if self.frames is not None else ""
        vox = "×".join(f"{v:.3g}" for v in self.voxel_size_mm)
        return (
            f"Image({self.modality}, shape={self.data.shape}, voxel={vox} mm, "
            f"unit={self.unit!r}{frames})"
        )
