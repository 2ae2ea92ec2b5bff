"""The imaged subject (an animal or a phantom)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

__all__ = ["Subject"]


@dataclass(frozen=True)
class Subject:
    """Who (or what) was imaged.

    Attributes
    ----------
    id
        Subject identifier (animal id, ear tag, phantom name).
    species
        E.g. ``"Mus musculus"``.
    strain
        Strain or breed, e.g. ``"C57BL/6J"``.
    sex
        ``"M"``, ``"F"`` or ``"O"`` (other/unknown), or ``None``.
    weight_g
        Body weight in g at the scan, or ``None``.
    date_of_birth
        Date of birth, or ``None``.
    height_cm
        Height (body length) in cm, or ``None`` (needed only for SUL and SUVbsa).
    """

    id: str | None = None
    species: str | None = None
    strain: str | None = None
    sex: str | None = None
    weight_g: float | None = None
    date_of_birth: date | None = None
    height_cm: float | None = None
