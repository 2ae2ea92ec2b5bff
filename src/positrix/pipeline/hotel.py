"""Hotel scans: several animals in one field of view, split into one study per animal.

The animals are found on the CT (voxels above −500 HU, the largest connected components,
one per animal), ordered along the hotel's axis (the scanner's x by default, or y), and
matched in that order to the hotel positions recorded for the session (position 1 is the
first along the axis).  Each animal's PET and CT are cropped to its outline's bounding box
with a margin, and the PET gets that animal's own subject (weight) and injection, so its SUV
and %ID/g are its own.  Activity outside every outline is not lost: the original study is
untouched.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from positrix.errors import PositrixError
from positrix.image.image import Image

__all__ = ["HotelAnimal", "find_animals", "hotel_animals", "process_hotel", "split_hotel"]


@dataclass(frozen=True)
class HotelAnimal:
    """One animal of a hotel scan: its position, its subject and its injection."""

    position: int
    subject: Any
    injection: Any


def find_animals(ct: Image, count: int, *, axis: int = 0, threshold_hu: float = -500.0
                 ) -> list[tuple[slice, slice, slice]]:  # fmt: skip
    """Voxel boxes of the ``count`` largest bodies on the CT, ordered along ``axis``.

    Raises
    ------
    PositrixError
        When fewer bodies than animals are found (touching animals, a CT without them).
    """
    from scipy import ndimage

    volume = np.asarray(ct.data if ct.data.ndim == 3 else ct.data[..., 0])
    body = ndimage.binary_opening(volume > threshold_hu, iterations=1)
    labels, found = ndimage.label(body)
    if found < count:
        raise PositrixError(
            f"the CT shows {found} separate bodies, the session lists {count} animals",
            field="hotel",
            fix="check the hotel positions, or split by hand (crop)",
        )
    sizes = ndimage.sum(body, labels, index=np.arange(1, found + 1))
    largest = np.argsort(sizes)[::-1][:count] + 1
    boxes = ndimage.find_objects(labels)
    chosen = [boxes[k - 1] for k in largest]
    centre = [((b[axis].start + b[axis].stop) / 2.0) for b in chosen]
    return [chosen[k] for k in np.argsort(centre)]


def _grown(
    box: tuple[slice, ...], shape: tuple[int, ...], margin: int
) -> tuple[list[int], list[int]]:
    start = [max(s.start - margin, 0) for s in box]
    stop = [min(s.stop + margin, n) for s, n in zip(box, shape, strict=True)]
    return start, stop


def split_hotel(pet: Image, ct: Image, animals: list[HotelAnimal], out: str | Path, *,
                axis: int = 0, margin_mm: float = 3.0) -> list[Path]:  # fmt: skip
    """Write ``out/position-N/pet.nii.gz`` and ``ct.nii.gz`` per animal; returns the
    folders, in position order."""
    from positrix.image.crop import crop
    from positrix.image.resample import resample_to
    from positrix.io import save

    if not animals:
        raise PositrixError("no animals given", field="animals", fix="list the hotel positions")
    positions = sorted(a.position for a in animals)
    if len(set(positions)) != len(positions):
        raise PositrixError(
            "a hotel position is given twice", field="position", fix="one animal per position"
        )
    on_pet = resample_to(ct, pet, order=0, fill_value=-1000.0)
    boxes = find_animals(on_pet, len(animals), axis=axis)
    margin = int(np.ceil(margin_mm / min(pet.grid.voxel_size_mm)))
    folders = []
    for animal, box in zip(sorted(animals, key=lambda a: a.position), boxes, strict=True):
        start, stop = _grown(box, pet.spatial_shape, margin)
        folder = Path(out) / f"position-{animal.position}"
        folder.mkdir(parents=True, exist_ok=True)
        own = crop(pet, start=start, stop=stop).replace(
            subject=animal.subject, injection=animal.injection
        )
        save(own, folder / "pet.nii.gz")
        save(crop(on_pet, start=start, stop=stop), folder / "ct.nii.gz")
        folders.append(folder)
    return folders


def hotel_animals(rows: list[dict[str, Any]]) -> list[HotelAnimal]:
    """Hotel animals from the facility's session rows (``facility.dicom.hotel_sessions``):
    each with its own subject (weight, species, strain, sex) and injection."""
    from positrix.image.subject import Subject
    from positrix.physics.injection import Injection
    from positrix.physics.nuclides import get_nuclide

    animals = []
    for row in rows:
        injection = Injection(
            nuclide=get_nuclide(row["nuclide"]) if row.get("nuclide") else None,
            tracer=row.get("tracer"),
            injection_time=row.get("injection_time"),
            activity_before_bq=row.get("injected_before_bq"),
            activity_before_time=row.get("injected_before_time"),
            residual_bq=row.get("residual_bq") or 0.0,
            residual_time=row.get("residual_time"),
        )
        subject = Subject(
            id=row["animal"],
            species=row.get("species"),
            strain=row.get("strain") or None,
            sex=row.get("sex"),
            weight_g=row.get("weight_g"),
        )
        animals.append(HotelAnimal(int(row["position"]), subject, injection))
    return animals


def process_hotel(study: str | Path, protocol: Any, animals: list[HotelAnimal], *,
                  out: str | Path, log: Any = print) -> dict[int, list[Any]]:  # fmt: skip
    """Split a hotel study (its protocol's PET and CT) into ``out/hotel/position-N`` and run
    the protocol on each animal (outputs in ``out/position-N``); results per position.

    Raises
    ------
    PositrixError
        When the study cannot be read or split (the bodies on the CT do not match the
        animals); nothing is processed then.
    """
    import dataclasses

    from positrix.io import load
    from positrix.pipeline.process import process_study, resolve_input

    if not protocol.ct:
        raise PositrixError(
            "a hotel study is split on its CT, the protocol names none",
            field="input.ct",
            fix='add ct = "modality:CT" to [input]',
        )
    study = Path(study)
    pet = load(resolve_input(study, protocol.pet))
    ct = load(resolve_input(study, protocol.ct))
    folders = split_hotel(pet, ct, animals, Path(out) / "hotel")
    own = dataclasses.replace(protocol, pet="pet.nii.gz", ct="ct.nii.gz")
    results = {}
    for animal, folder in zip(sorted(animals, key=lambda a: a.position), folders, strict=True):
        log(f"hotel position {animal.position}: {animal.subject.id}")
        results[animal.position] = process_study(folder, own, out=Path(out) / folder.name, log=log)
    return results
