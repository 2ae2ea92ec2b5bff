"""Express every date-time of an image in one time zone (the instants do not change)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from typing import Any

from positrix.image.frames import FrameTable
from positrix.image.image import Image

__all__ = ["reference_zone", "with_clock_zone", "with_timezone"]


def reference_zone(image: Image) -> tzinfo:
    """The zone of the acquisition start, else of the injection, else UTC."""
    for moment in (
        image.frames.acquisition_start if image.frames else None,
        image.injection.injection_time if image.injection else None,
    ):
        if moment is not None and moment.tzinfo is not None:
            return moment.tzinfo
    return UTC


def _map_times(image: Image, change: Callable[[datetime], datetime], metadata: Any = None) -> Image:
    """The image with ``change`` applied to every date-time it records."""

    def each(moment: datetime | None) -> datetime | None:
        return change(moment) if moment is not None else None

    frames = image.frames
    if frames is not None and frames.acquisition_start is not None:
        frames = FrameTable(frames.start_s, frames.duration_s, each(frames.acquisition_start))
    injection = image.injection
    if injection is not None:
        injection = dataclasses.replace(
            injection,
            injection_time=each(injection.injection_time),
            activity_before_time=each(injection.activity_before_time),
            residual_time=each(injection.residual_time),
        )
    return image.replace(
        frames=frames,
        injection=injection,
        decay_reference=each(image.decay_reference),
        metadata=image.metadata if metadata is None else metadata,
    )


def with_timezone(image: Image, zone: tzinfo) -> Image:
    """The same image with all its date-times shown in ``zone``.

    File formats that store clock times without a zone (DICOM TM, Inveon ``ctime``) must
    write every time in one zone, or the differences between them come out wrong.
    """
    return _map_times(image, lambda moment: moment.astimezone(zone))


def with_clock_zone(image: Image, zone: tzinfo) -> Image:
    """The image with its clock times read in ``zone`` (the instants change, the clocks not).

    For files that store clock times without a zone, which the readers take as UTC: this
    says which zone the scanner's clock was in.  The note that the zone was assumed goes.
    """
    metadata = {k: v for k, v in image.metadata.items() if k != "times"}
    return _map_times(image, lambda moment: moment.replace(tzinfo=zone), metadata)
