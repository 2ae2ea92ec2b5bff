"""Billable time: the longer of booked and used, at least the instrument's minimum, rounded up
to its step (the precedent of PPMS/iLab/Calpendo: "reservation or usage, whichever is longer,
minimum 30 min")."""

from __future__ import annotations

import math

from positrix.errors import PositrixError

__all__ = ["billable_minutes"]


def billable_minutes(
    booked_min: float, used_min: float | None, *, minimum_min: int = 30, step_min: int = 15
) -> int:
    """Minutes to bill for one booking.

    Parameters
    ----------
    booked_min
        Length of the reservation (min).
    used_min
        Actual use (min), or ``None`` when no usage was recorded (the booking is billed).
    minimum_min
        The instrument's minimum billable time (min).
    step_min
        Billing step (min): the time is rounded up to a multiple of it.

    Examples
    --------
    >>> billable_minutes(20, None)          # below the 30 min minimum
    30
    >>> billable_minutes(60, 71)            # used longer than booked: 71 → 75
    75
    >>> billable_minutes(90, 40, step_min=30)
    90
    """
    if booked_min < 0 or (used_min is not None and used_min < 0) or step_min <= 0:
        raise PositrixError(
            "times must be ≥ 0 and the step > 0", field="billing", fix="check the booking"
        )
    longest = max(booked_min, used_min or 0.0, float(minimum_min))
    return int(math.ceil(longest / step_min - 1e-9) * step_min)
