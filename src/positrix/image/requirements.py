"""Values a computation needs from an image's metadata, with errors that say where to fix them."""

from __future__ import annotations

from positrix.errors import MissingFieldError
from positrix.image.image import Image

__all__ = ["injected_activity_bq", "subject_weight_g", "with_dose_unit"]

#: Below this net injected activity (1 kBq) a dose is taken as stored in the wrong unit.
_PLAUSIBLE_MIN_BQ = 1e3

_WEIGHT_FIELDS = "DICOM PatientWeight, BIDS BodyWeight, Inveon subject_weight"
_DOSE_FIELDS = (
    "DICOM RadionuclideTotalDose and RadiopharmaceuticalStartDateTime, BIDS "
    "InjectedRadioactivity and InjectionStart, Inveon dose/activity_before_injection and "
    "injection_time"
)


def _source(image: Image) -> str | None:
    source = image.metadata.get("source_path")
    return str(source) if source else None


def subject_weight_g(image: Image) -> float:
    """The subject's weight in g.

    Raises
    ------
    MissingFieldError
        When the image records no positive weight; names the file and the fields to fill.
    """
    weight = image.subject.weight_g if image.subject is not None else None
    if weight is None or weight <= 0:
        raise MissingFieldError(
            "the subject's weight is missing",
            source=_source(image),
            field="weight",
            fix=f"record it in the file ({_WEIGHT_FIELDS}) or set image.subject.weight_g",
        )
    return float(weight)


def injected_activity_bq(image: Image) -> float:
    """Net injected activity at the injection time, in Bq.

    Raises
    ------
    MissingFieldError
        When the nuclide, the injection time or the activity is missing, or the net
        activity is not positive; names the file and the fields to fill.
    """
    injection = image.injection
    try:
        if injection is None:
            raise MissingFieldError("no injection recorded", field="injection")
        activity = injection.net_activity_bq
    except MissingFieldError as err:
        raise MissingFieldError(
            f"the injected activity is unknown ({err.field or 'injection'} missing)",
            source=_source(image),
            field=err.field or "injection",
            fix=f"record it in the file ({_DOSE_FIELDS})",
        ) from None
    if 0 < activity < _PLAUSIBLE_MIN_BQ:
        raise MissingFieldError(
            f"the injected activity is {activity:g} Bq, too small for any PET study: "
            "the file probably stores it in MBq (or kBq)",
            source=_source(image),
            field="injection activity (DICOM RadionuclideTotalDose)",
            fix="say which unit the file uses (Python: with_dose_unit(image, 'MBq'); "
            "CLI: --dose-unit MBq)",
        )
    if activity <= 0:
        raise MissingFieldError(
            f"the net injected activity is {activity:g} Bq (residual ≥ dose?)",
            source=_source(image),
            field="injection",
            fix="check the syringe and residual activities and their times",
        )
    return activity


def with_dose_unit(image: Image, unit: str) -> Image:
    """The image with its recorded dose values re-read in ``unit`` (e.g. ``"MBq"``).

    For files that store the injected activity in MBq where the format says Bq (a known
    DICOM trap): ``7.4`` becomes 7.4 MBq.  The input image is unchanged.
    """
    import dataclasses

    from positrix.physics.units import activity_unit_factor

    injection = image.injection
    factor = activity_unit_factor(unit, field="--dose-unit")
    if injection is None or injection.activity_before_bq is None:
        return image
    rescaled = dataclasses.replace(
        injection,
        activity_before_bq=injection.activity_before_bq * factor,
        residual_bq=injection.residual_bq * factor,
    )
    return image.replace(injection=rescaled)
