"""Cone-beam CT reconstruction as a service: projections → (dark/flat, beam hardening,
rings) → FDK, SART or CGLS → an ``Image`` in 1/mm, or in HU with a calibration.

The CLI (``positrix ct recon``) and the demo call :func:`reconstruct_ct`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from positrix.errors import PositrixError
from positrix.geometry.cone_beam import ConeBeamGeometry
from positrix.image.image import Image
from positrix.physics.xray import XraySpectrum
from positrix.progress import Logger, Progress
from positrix.recon.ct_calibration import HUCalibration

__all__ = ["ALGORITHMS", "reconstruct_ct"]

#: Reconstruction algorithms of ``positrix ct recon``.
ALGORITHMS = ("fdk", "sart", "cgls")

#: Line integrals of a micro-CT stay well below this; raw detector counts do not.
_MAX_LINE_INTEGRAL = 20.0


def _line_integrals(
    projections: ArrayLike, flat: ArrayLike | None, dark: ArrayLike | float | None
) -> np.ndarray:
    from positrix.recon.ct_preprocess import flat_field

    data = np.asarray(projections, dtype=np.float32)
    if flat is not None:
        return flat_field(data, flat, 0.0 if dark is None else dark)
    if dark is not None:
        raise PositrixError(
            "a dark field without a flat field", field="--dark", fix="give --flat as well"
        )
    if float(np.max(data)) > _MAX_LINE_INTEGRAL:
        raise PositrixError(
            f"the projections reach {float(np.max(data)):.4g}: these look like raw detector "
            "intensities, not line integrals",
            field="PROJECTIONS",
            fix="give the open-beam image with --flat (and the offset with --dark)",
        )
    return data


def reconstruct_ct(
    projections: ArrayLike,
    geometry: ConeBeamGeometry,
    *,
    flat: ArrayLike | None = None,
    dark: ArrayLike | float | None = None,
    algorithm: str = "fdk",
    window: str = "hann",
    spectrum: XraySpectrum | None = None,
    rings: bool = False,
    iterations: int | None = None,
    calibration: HUCalibration | None = None,
    metadata: dict[str, Any] | None = None,
    log: Logger | None = None,
) -> Image:
    """Reconstruct a cone-beam scan.

    Parameters
    ----------
    projections
        ``(n_angles, rows, cols)``: line integrals, or raw intensities with ``flat``.
    geometry
        The scan; its ``voxels``/``voxel_size_mm`` set the output grid.
    flat, dark
        Open-beam and offset images (or stacks) for raw intensities.
    algorithm
        ``fdk``, ``sart`` or ``cgls``.
    window
        FDK's ramp window (``ramp``, ``shepp-logan``, ``hann``).
    spectrum
        The tube spectrum, for the water beam-hardening pre-correction; ``None`` for none.
    rings
        Apply ring-artefact reduction.
    iterations
        SART/CGLS iterations (default 10 / 20).
    calibration
        HU calibration; without one the image is µ in 1/mm.
    metadata
        Extra image metadata (e.g. ``{"KVP": "50"}``).
    log
        Progress lines.
    """
    from positrix.recon.ct_iterative import cgls, sart
    from positrix.recon.ct_preprocess import reduce_rings, water_precorrection
    from positrix.recon.fdk import fdk
    from positrix.recon.reconstruct import grid_affine

    if algorithm not in ALGORITHMS:
        raise PositrixError(
            f"unknown algorithm '{algorithm}'", field="--algorithm", fix=", ".join(ALGORITHMS)
        )
    geometry.check_projections(np.shape(projections))
    lines = _line_integrals(projections, flat, dark)
    if spectrum is not None:
        lines = water_precorrection(lines, spectrum)
    if rings:
        lines = reduce_rings(lines)
    grid, voxel = geometry.grid()
    if algorithm == "fdk":
        mu = fdk(lines, geometry, window=window, shape=grid, voxel_size_mm=voxel)
    else:
        count = iterations or (10 if algorithm == "sart" else 20)
        steps: list[Progress] = []

        def progress(done: int, total: int) -> None:
            if not steps:
                steps.append(Progress(total, label=algorithm, log=log))
            steps[0]()

        solver = sart if algorithm == "sart" else cgls
        mu = solver(
            lines, geometry, shape=grid, voxel_size_mm=voxel, iterations=count, progress=progress
        )
    values, unit = (calibration.to_hu(mu), "HU") if calibration else (mu, "1/mm")
    extra = {"KVP": f"{spectrum.kvp:g}"} if spectrum is not None else {}
    return Image(
        values,
        grid_affine(grid, (voxel, voxel, voxel)),
        unit=unit,
        modality="CT",
        reconstruction=f"{algorithm.upper()} cone-beam ({geometry.name})",
        description="micro-CT",
        metadata={**extra, **(metadata or {})},
    )
