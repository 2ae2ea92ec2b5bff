"""Side-by-side NU 4 figures of scanner designs, each stage cached by what it depends on.

Stages and the scanner keys each depends on (a rerun with one key changed redoes only the
stages that read it):

- ``sensitivity`` — geometry and ``detection_efficiency``: the simulated axial profile
  (:func:`~positrix.quant.nema.performance.axial_sensitivity`) and the analytic one, a
  point on the axis seeing pairs of directions that both reach the ring,
  ``η²·p·(L − |z|)/√((L − |z|)² + R²)`` (``p`` the crystals' share of the detector
  surface: packing within blocks, gaps between blocks transaxially; ``R`` the radius at
  the mean DOI, ``L`` the half length) — with axial gaps the last factor is the share of
  directions whose two photons both land on rings that hold crystals, by quadrature;
- ``resolution`` — geometry and ``doi_layers``: FWHM of points at 0, 5, 10, 15 and 25 mm
  from the axis, where the field of view reaches: radial and tangential with the photons
  followed into the crystals (parallax, DOI layers;
  :func:`~positrix.quant.nema.performance.ring_resolution`), axial from a noise-free Na-22
  point through the 3-D sinograms
  (:func:`~positrix.quant.nema.performance.point_resolution`); FBP for both;
- ``count_rates`` — geometry, detection efficiency, energy window and resolution,
  coincidence window, dead time and pile-up: the mouse and rat NU 4 sweeps;
- ``image_quality`` — geometry, detection efficiency, energy window and resolution and
  coincidence window: the NU 4 image-quality phantom simulated, reconstructed
  by OSEM with every correction and analysed
  (:func:`~positrix.quant.nema.design_iq.simulated_image_quality`; a design whose field of
  view does not hold the phantom gets the reason instead of figures).

Results are JSON files ``<stage>-<hash>.json`` in the cache folder; the hash covers the
stage, its keys' values, ``fast``, the noise seed and the cache format version.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from positrix.geometry.scanner import ScannerGeometry
from positrix.geometry.sinogram import SinogramLayout
from positrix.quant.nema.design_iq import simulated_image_quality
from positrix.quant.nema.performance import (
    axial_sensitivity,
    nu4_count_rates,
    point_resolution,
    ring_resolution,
)

__all__ = ["STAGES", "analytic_sensitivity", "compare_designs"]

_VERSION = 1
_GEOMETRY = (
    "rings_per_block",
    "gap_rings",
    "blocks_per_ring",
    "crystals_per_block",
    "n_rings",
    "transaxial_pitch_mm",
    "axial_pitch_mm",
    "crystal_size_mm",
    "ring_diameter_mm",
    "mean_doi_mm",
)
#: Stage → the scanner keys it depends on.
STAGES: dict[str, tuple[str, ...]] = {
    "sensitivity": (*_GEOMETRY, "detection_efficiency"),
    "resolution": (*_GEOMETRY, "doi_layers"),
    "count_rates": (
        *_GEOMETRY,
        "detection_efficiency",
        "energy_window_kev",
        "energy_resolution",
        "coincidence_window_ns",
        "dead_time_ns",
        "dead_time_model",
        "pileup_ns",
    ),
    "image_quality": (
        *_GEOMETRY,
        "detection_efficiency",
        "energy_window_kev",
        "energy_resolution",
        "coincidence_window_ns",
    ),
}
_OFFSETS_MM = (0.0, 5.0, 10.0, 15.0, 25.0)

Progress = Callable[[str, str], None]


def analytic_sensitivity(scanner: ScannerGeometry, z_mm: Any) -> np.ndarray:
    """Absolute sensitivity (%) of a point on the axis at ``z_mm`` (module docstring)."""
    z = np.abs(np.asarray(z_mm, dtype=np.float64))
    radius = scanner.ring_diameter_mm / 2.0 + scanner.mean_doi_mm
    half = scanner.axial_fov_mm / 2.0
    reach = np.clip(half - z, 0.0, None)
    blocks = scanner.blocks_per_ring
    # crystals' share of the 16-gon's surface: packing within blocks, gaps between them
    packing = (
        scanner.crystal_size_mm[0]
        * scanner.crystal_size_mm[1]
        / (scanner.transaxial_pitch_mm * scanner.axial_pitch_mm)
    )
    covered = scanner.crystals_per_ring * scanner.transaxial_pitch_mm
    covered /= 2.0 * blocks * (scanner.ring_diameter_mm / 2.0) * np.tan(np.pi / blocks)
    fraction = reach / np.hypot(reach, radius)
    if int(scanner.gap_rings) > 0:
        fraction = _both_on_crystal_rings(scanner, z, radius)
    eta = scanner.detection_efficiency
    return 100.0 * eta**2 * packing * min(covered, 1.0) * fraction


def _both_on_crystal_rings(
    scanner: ScannerGeometry, z_mm: np.ndarray, radius_mm: float, *, samples: int = 20_000
) -> np.ndarray:
    """Share of isotropic directions from points on the axis at ``z_mm`` whose two
    back-to-back photons both reach the cylinder of ``radius_mm`` within a ring that holds
    crystals (midpoint rule over ``cos θ``; without gaps it is ``(L − |z|)/√((L − |z|)² +
    R²)``)."""
    cosine = (np.arange(samples) + 0.5) / samples
    offset = radius_mm * cosine / np.sqrt(1.0 - cosine**2)  # axial reach at the ring (mm)
    half = scanner.axial_fov_mm / 2.0
    rings = scanner.detector_rings()

    def on_crystals(at: np.ndarray) -> np.ndarray:
        index = np.floor((at + half) / float(scanner.axial_pitch_mm)).astype(np.int64)
        inside = (index >= 0) & (index < scanner.n_rings)
        return inside & rings[np.clip(index, 0, scanner.n_rings - 1)]

    z = np.asarray(z_mm, dtype=np.float64)[:, None]
    return np.mean(on_crystals(z + offset) & on_crystals(z - offset), axis=1)


def _key(scanner: ScannerGeometry, stage: str, fast: bool, seed: int) -> str:
    fields = asdict(scanner)
    keys = STAGES[stage]
    payload = json.dumps(
        {
            "stage": stage,
            "fast": fast,
            "seed": seed,
            "version": _VERSION,
            **{k: fields[k] for k in keys},
        },
        sort_keys=True,
        default=list,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def _sensitivity(scanner: ScannerGeometry, fast: bool, seed: int) -> dict[str, Any]:
    z, percent = axial_sensitivity(scanner, span=9 if fast else 3)
    return {
        "z_mm": z.tolist(),
        "simulated_percent": percent.tolist(),
        "analytic_percent": analytic_sensitivity(scanner, z).tolist(),
        "peak_percent": float(percent.max()),
    }


def _resolution(scanner: ScannerGeometry, fast: bool, seed: int) -> dict[str, Any]:
    reach = float(np.abs(SinogramLayout(scanner).radial_mm()).max()) - 5.0  # radial FOV
    rows = []
    for offset in (o for o in _OFFSETS_MM if o <= reach):
        at = max(offset, 0.5)  # NU 4: 0.5 mm rather than exactly on the axis
        ring = ring_resolution(
            scanner, offset_mm=at, n_decays=200_000 if fast else 600_000, seed=seed
        )
        source = point_resolution(
            scanner,
            offset_mm=at,
            span=9 if fast else 3,
            max_ring_difference=scanner.n_rings // 4 if fast else None,
        )
        rows.append(
            {
                "offset_mm": offset,
                "radial_mm": ring.radial_mm,
                "tangential_mm": ring.tangential_mm,
                "axial_mm": source.fwhm_axial_mm,
            }
        )
    return {"points": rows}


def _count_rates(scanner: ScannerGeometry, fast: bool, seed: int) -> dict[str, Any]:
    return {
        phantom: nu4_count_rates(scanner, phantom, fast=fast, seed=seed).to_dict()
        for phantom in ("mouse", "rat")
    }


def _image_quality(scanner: ScannerGeometry, fast: bool, seed: int) -> dict[str, Any]:
    return simulated_image_quality(scanner, fast=fast, seed=seed)


_RUN = {
    "sensitivity": _sensitivity,
    "resolution": _resolution,
    "count_rates": _count_rates,
    "image_quality": _image_quality,
}


def compare_designs(
    scanners: Sequence[ScannerGeometry],
    *,
    cache_dir: str | Path,
    fast: bool = False,
    seed: int = 0,
    progress: Progress | None = None,
) -> tuple[dict[str, dict[str, Any]], list[tuple[str, str]]]:
    """Every stage of every design, from the cache where it holds them.

    Returns
    -------
    results
        Design name → stage → its figures (JSON-ready).
    computed
        ``(design, stage)`` pairs that were computed this time (the rest came from the
        cache).
    """
    cache = Path(cache_dir)
    cache.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict[str, Any]] = {}
    computed = []
    for scanner in scanners:
        results[scanner.name] = {}
        for stage, run in _RUN.items():
            path = cache / f"{stage}-{_key(scanner, stage, fast, seed)}.json"
            if path.exists():
                results[scanner.name][stage] = json.loads(path.read_text(encoding="utf-8"))
                continue
            if progress is not None:
                progress(scanner.name, stage)
            value = run(scanner, fast, seed)
            partial = path.with_suffix(".part")
            partial.write_text(json.dumps(value), encoding="utf-8")
            partial.replace(path)  # a killed run leaves no half-written cache entry
            results[scanner.name][stage] = value
            computed.append((scanner.name, stage))
    return results, computed
