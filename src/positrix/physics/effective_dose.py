"""Equivalent and effective dose with the ICRP Publication 103 (2007) weighting factors.

H_T = Σ_R w_R D_T,R (w_R = 20 for α particles, 1 for photons and electrons) and
E = Σ_T w_T H_T, where the remainder's dose is the arithmetic mean of the remainder
tissues given (ICRP 103 §B.3.5, Table 3).  Tissues missing from the input are listed with
their weights: E is then a lower bound, and says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from positrix.errors import PositrixError

__all__ = [
    "ALIASES",
    "RADIATION_WEIGHTS",
    "REMAINDER",
    "TISSUE_WEIGHTS",
    "EffectiveDose",
    "effective_dose",
    "equivalent_dose",
]

#: ICRP 103 Table 3 tissue weighting factors (sum 1).
TISSUE_WEIGHTS = {
    "red marrow": 0.12,
    "colon": 0.12,
    "lungs": 0.12,
    "stomach": 0.12,
    "breast": 0.12,
    "remainder": 0.12,
    "gonads": 0.08,
    "urinary bladder": 0.04,
    "oesophagus": 0.04,
    "liver": 0.04,
    "thyroid": 0.04,
    "bone surface": 0.01,
    "brain": 0.01,
    "salivary glands": 0.01,
    "skin": 0.01,
}
#: ICRP 103 remainder tissues (13 per sex; prostate male, uterus/cervix female).
REMAINDER = (
    "adrenals",
    "extrathoracic region",
    "gall bladder",
    "heart",
    "kidneys",
    "lymphatic nodes",
    "muscle",
    "oral mucosa",
    "pancreas",
    "prostate",
    "small intestine",
    "spleen",
    "thymus",
    "uterus",
)
#: Other spellings accepted for the tissue names.
ALIASES = {
    "bone marrow": "red marrow",
    "red bone marrow": "red marrow",
    "lung": "lungs",
    "bladder": "urinary bladder",
    "bladder wall": "urinary bladder",
    "urinary bladder wall": "urinary bladder",
    "esophagus": "oesophagus",
    "stomach wall": "stomach",
    "colon wall": "colon",
    "large intestine": "colon",
    "testes": "gonads",
    "ovaries": "gonads",
    "osteogenic cells": "bone surface",
    "endosteum": "bone surface",
    "kidney": "kidneys",
    "adrenal": "adrenals",
    "heart wall": "heart",
    "small intestine wall": "small intestine",
    "gallbladder": "gall bladder",
    "uterus/cervix": "uterus",
    "lymph nodes": "lymphatic nodes",
    "breasts": "breast",
}
#: ICRP 103 radiation weighting factors used here.
RADIATION_WEIGHTS = {"alpha": 20.0, "other": 1.0}


def equivalent_dose(absorbed_gy: dict[str, float]) -> float:
    """H = Σ w_R D_R in Sv from absorbed doses by radiation (``alpha``, ``other``)."""
    unknown = set(absorbed_gy) - set(RADIATION_WEIGHTS) - {"total"}
    if unknown:
        raise PositrixError(
            f"unknown radiation(s) {sorted(unknown)}", field="radiation", fix="alpha or other"
        )
    return sum(RADIATION_WEIGHTS[k] * v for k, v in absorbed_gy.items() if k != "total")


@dataclass(frozen=True)
class EffectiveDose:
    """Effective dose and how it was made.

    Attributes
    ----------
    effective_sv
        E in Sv (a lower bound when ``missing`` is not empty).
    contributions_sv
        Tissue (ICRP 103 name, ``remainder`` for the remainder) → w_T H_T in Sv.
    remainder_tissues
        Remainder tissues whose mean made the remainder dose.
    missing
        Weighted tissues without a dose, with their w_T.
    ignored
        Input names that are not ICRP 103 tissues (left out, listed).
    """

    effective_sv: float
    contributions_sv: dict[str, float]
    remainder_tissues: tuple[str, ...]
    missing: dict[str, float]
    ignored: tuple[str, ...]

    @property
    def complete(self) -> bool:
        """True when every weighted tissue had a dose."""
        return not self.missing


def _canonical(name: str) -> str:
    key = " ".join(name.strip().lower().replace("_", " ").split())
    return ALIASES.get(key, key)


def effective_dose(equivalent_sv: dict[str, float]) -> EffectiveDose:
    """E = Σ w_T H_T from equivalent doses per tissue (Sv); names as in ICRP 103 or aliases.

    Examples
    --------
    >>> e = effective_dose({name: 1.0 for name in TISSUE_WEIGHTS if name != "remainder"}
    ...                    | {"kidneys": 1.0, "spleen": 1.0})
    >>> round(e.effective_sv, 12), e.complete
    (1.0, True)
    """
    tissues: dict[str, float] = {}
    remainder: dict[str, float] = {}
    ignored: list[str] = []
    for name, value in equivalent_sv.items():
        key = _canonical(name)
        if key in TISSUE_WEIGHTS and key != "remainder":
            # gonads given as testes and ovaries: their mean
            tissues[key] = (tissues[key] + value) / 2.0 if key in tissues else value
        elif key in REMAINDER:
            remainder[key] = value
        else:
            ignored.append(name)
    contributions = {key: TISSUE_WEIGHTS[key] * value for key, value in tissues.items()}
    if remainder:
        contributions["remainder"] = TISSUE_WEIGHTS["remainder"] * (
            sum(remainder.values()) / len(remainder)
        )
    missing = {key: w for key, w in TISSUE_WEIGHTS.items() if key not in contributions}
    return EffectiveDose(
        effective_sv=sum(contributions.values()),
        contributions_sv=contributions,
        remainder_tissues=tuple(remainder),
        missing=missing,
        ignored=tuple(ignored),
    )
