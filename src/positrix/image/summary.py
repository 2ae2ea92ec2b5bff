"""A plain summary of an image: what ``positrix info`` prints."""

from __future__ import annotations

from typing import Any

from positrix.errors import PositrixError
from positrix.image.image import Image

__all__ = ["summarize"]


def summarize(image: Image) -> dict[str, Any]:
    """JSON-ready facts about an image.

    Keys: ``modality, shape, voxel_size_mm, unit, frames[{start_s, duration_s}], tracer,
    nuclide, injected_activity_bq`` (net, at injection), ``injection_time, weight_g,
    decay_reference, subject_id, species, description`` (the study or series description)
    (ISO 8601 strings for times; ``None`` where unknown).
    """
    injection = image.injection
    try:
        injected = injection.net_activity_bq if injection is not None else None
    except PositrixError:  # missing or inconsistent: the summary says unknown
        injected = None
    injected_at = injection.injection_time if injection is not None else None
    return {
        "modality": image.modality,
        "shape": list(image.data.shape),
        "voxel_size_mm": [round(v, 6) for v in image.voxel_size_mm],
        "unit": image.unit,
        "frames": image.frames.to_records() if image.frames is not None else [],
        "acquisition_start": image.frames.acquisition_start.isoformat()
        if image.frames is not None and image.frames.acquisition_start is not None
        else None,
        "tracer": injection.tracer if injection is not None else None,
        "nuclide": injection.nuclide.name if injection and injection.nuclide else None,
        "injected_activity_bq": injected,
        "injection_time": injected_at.isoformat() if injected_at is not None else None,
        "weight_g": image.subject.weight_g if image.subject is not None else None,
        "decay_reference": image.decay_reference.isoformat()
        if image.decay_reference is not None
        else None,
        "subject_id": image.subject.id if image.subject is not None else None,
        "species": image.subject.species if image.subject is not None else None,
        "description": image.description,
        "time_zone_note": image.metadata.get("times"),
    }
