"""Uptake units: Bq/mL ↔ kBq/mL, %ID/g, %ID/mL, SUVbw, SUL (Janmahasatian, James), SUVbsa.

All normalised units divide the activity concentration ``C`` (Bq/mL) by the net injected
activity decayed to the time the value refers to (``quantification.md``):

- decay-corrected images refer to their ``decay_reference``: ``A(t_ref)``;
- images that are not decay corrected hold frame means: ``A`` is averaged over each frame.

``%ID/g = 100 · C / A`` (1 mL of tissue ≡ 1 g), ``%ID/mL`` likewise per mL,
``SUVbw = C · W[g] / A`` (g/mL), ``SUL = C · LBM[g] / A``, ``SUVbsa = C · BSA[cm²] / A``
(cm²/mL).  A value is only ever labelled with the unit it was computed in.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from positrix.errors import MissingFieldError, UnitError
from positrix.image.image import Image
from positrix.image.requirements import injected_activity_bq, subject_weight_g
from positrix.physics.units import concentration_factor, is_concentration_unit

__all__ = [
    "UPTAKE_UNITS",
    "body_surface_area_m2",
    "convert_units",
    "injected_activity_at_frames",
    "lean_body_mass_james_kg",
    "lean_body_mass_janmahasatian_kg",
]

#: Units ``convert_units`` produces besides the concentration units.
UPTAKE_UNITS = ("%ID/g", "%ID/mL", "SUVbw", "SUL", "SUL-James", "SUVbsa")


def lean_body_mass_janmahasatian_kg(weight_kg: float, height_cm: float, sex: str) -> float:
    """Janmahasatian et al. 2005: LBM = 9270·W / (6680 + 216·BMI) (male), (8780 + 244·BMI)."""
    bmi = weight_kg / (height_cm / 100.0) ** 2
    if sex == "M":
        return 9270.0 * weight_kg / (6680.0 + 216.0 * bmi)
    return 9270.0 * weight_kg / (8780.0 + 244.0 * bmi)


def lean_body_mass_james_kg(weight_kg: float, height_cm: float, sex: str) -> float:
    """James 1976: LBM = 1.10·W − 128·(W/H)² (male), 1.07·W − 148·(W/H)² (female)."""
    if sex == "M":
        return 1.10 * weight_kg - 128.0 * (weight_kg / height_cm) ** 2
    return 1.07 * weight_kg - 148.0 * (weight_kg / height_cm) ** 2


def body_surface_area_m2(weight_kg: float, height_cm: float) -> float:
    """Du Bois & Du Bois 1916: BSA = 0.007184 · W^0.425 · H^0.725 (m²)."""
    return 0.007184 * weight_kg**0.425 * height_cm**0.725


def injected_activity_at_frames(image: Image) -> NDArray[np.float64]:
    """Net injected activity (Bq) that each frame's values refer to, shape ``(n_frames,)``.

    Decay-corrected images: the activity at the decay reference (the same for every
    frame).  Uncorrected images: the activity averaged over each frame.
    """
    a0 = injected_activity_bq(image)  # raises MissingFieldError without an injection
    injection = image.injection
    nuclide = injection.nuclide if injection is not None else None
    t_inj = injection.injection_time if injection is not None else None
    if nuclide is None or t_inj is None:
        raise MissingFieldError(
            "SUV and %ID need the nuclide and the injection time, and they are not recorded",
            source=image.metadata.get("source_path"),
            field="RadiopharmaceuticalInformationSequence",
            fix="record the injection in the file (positrix edit --injected …), or report Bq/mL",
        )
    if image.decay_reference is not None:
        elapsed = (image.decay_reference - t_inj).total_seconds()
        return np.full(image.n_frames, a0 * np.exp(-nuclide.decay_constant_per_s * elapsed))
    if image.frames is None or image.frames.acquisition_start is None:
        raise MissingFieldError(
            "an image that is not decay corrected needs its frame times to relate its values "
            "to the injected activity",
            source=image.metadata.get("source_path"),
            field="frames",
        )
    injection_s = image.frames.seconds_from_start(t_inj)
    factors = image.frames.decay_correction_factors(nuclide, reference=injection_s)
    return a0 / factors


#: Command-line option that supplies each subject field.
_OPTION = {"height_cm": "height 9.5cm", "weight_g": "weight 25g", "sex": "sex F"}


def _subject_field(image: Image, name: str, unit_name: str) -> float | str:
    value = getattr(image.subject, name, None) if image.subject is not None else None
    if value in (None, ""):
        raise MissingFieldError(
            f"{unit_name} needs the subject's {name.replace('_', ' ')}",
            source=image.metadata.get("source_path"),
            field=f"subject.{name}",
            fix=f"give it on the command line (--{_OPTION.get(name, name)}) or with positrix "
            "edit, or choose another unit",
        )
    return value


def _sex(image: Image, unit: str) -> str:
    """'M' or 'F' (male/female in any case); anything else cannot choose an LBM formula."""
    text = str(_subject_field(image, "sex", unit)).strip().lower()
    sex = {"m": "M", "male": "M", "f": "F", "female": "F"}.get(text)
    if sex is None:
        raise MissingFieldError(
            f"{unit} has different formulas for males and females; the sex is '{text}'",
            source=image.metadata.get("source_path"),
            field="subject.sex",
            fix="record the sex as M or F, or use SUVbw",
        )
    return sex


def _normaliser(image: Image, unit: str) -> float:
    """Factor f such that value[unit] = C[Bq/mL] · f / A_inj."""
    if unit == "%ID/g" or unit == "%ID/mL":
        return 100.0
    weight_g = subject_weight_g(image)
    if unit == "SUVbw":
        return weight_g
    height = float(_subject_field(image, "height_cm", unit))
    sex = _sex(image, unit) if unit != "SUVbsa" else "O"
    kg = weight_g / 1000.0
    lean: dict[str, Callable[[], float]] = {
        "SUL": lambda: lean_body_mass_janmahasatian_kg(kg, height, sex) * 1000.0,
        "SUL-James": lambda: lean_body_mass_james_kg(kg, height, sex) * 1000.0,
        "SUVbsa": lambda: body_surface_area_m2(kg, height) * 1e4,
    }
    return lean[unit]()


def convert_units(image: Image, unit: str) -> Image:
    """The image in another unit (a new image; the input is unchanged).

    Parameters
    ----------
    image
        A PET image in an activity-concentration unit (``Bq/mL``, ``kBq/mL``, …).
    unit
        A concentration unit or one of ``%ID/g, %ID/mL, SUVbw, SUL`` (Janmahasatian),
        ``SUL-James, SUVbsa``.

    Raises
    ------
    UnitError
        When the image is not in a concentration unit, or ``unit`` is unknown.
    MissingFieldError
        When weight, height, sex, dose or times needed for ``unit`` are missing.
    """
    if not is_concentration_unit(image.unit):
        raise UnitError(
            f"the image is in '{image.unit}', not an activity concentration",
            source=image.metadata.get("source_path"),
            field="unit",
            fix="convert from an image in Bq/mL (or kBq/mL, nCi/cc…)",
        )
    if unit == image.unit:
        return image
    bq_per_ml = np.asarray(image.data, dtype=np.float64) * concentration_factor(image.unit)
    if is_concentration_unit(unit):
        data = bq_per_ml / concentration_factor(unit, field="--unit")
        return image.replace(data=data.astype(np.float32), unit=unit)
    if unit not in UPTAKE_UNITS:
        raise UnitError(
            f"unknown unit '{unit}'",
            field="unit",
            fix="use Bq/mL, kBq/mL, " + ", ".join(UPTAKE_UNITS),
        )
    corrected = image.metadata.get("CorrectedImage")
    if corrected is not None and "ATTN" not in [str(c).upper() for c in corrected]:
        raise UnitError(
            f"the image is not attenuation corrected (CorrectedImage {list(corrected)}), so "
            f"{unit} would not be quantitative",
            source=image.metadata.get("source_path"),
            field="CorrectedImage",
            fix="reconstruct with attenuation correction, or report Bq/mL",
        )
    per_frame = _normaliser(image, unit) / injected_activity_at_frames(image)
    scale = per_frame if image.is_dynamic else per_frame[0]
    return image.replace(data=(bq_per_ml * scale).astype(np.float32), unit=unit)
