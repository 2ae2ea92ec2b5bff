"""Injected activity: syringe before, residual after, and the net activity injected."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from positrix.errors import MissingFieldError, PositrixError
from positrix.physics.decay import activity_at
from positrix.physics.nuclides import Nuclide, get_nuclide

__all__ = ["Injection", "net_injected_activity"]


def net_injected_activity(
    nuclide: Nuclide | str,
    *,
    injection_time: datetime,
    activity_before_bq: float,
    activity_before_time: datetime | None = None,
    residual_bq: float = 0.0,
    residual_time: datetime | None = None,
) -> float:
    """Net activity injected (Bq) at the injection time.

    ``net = A_before · decay(t_inj - t_before) - A_residual · decay(t_inj - t_residual)``;
    each activity is decayed (or, for a residual measured after the injection, grown back)
    to the injection time.  A measurement without a time is taken at the injection time.

    Examples
    --------
    >>> from datetime import datetime, UTC
    >>> t0 = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
    >>> t1 = datetime(2026, 1, 1, 10, 49, 46, 200000, tzinfo=UTC)  # one F-18 half-life later
    >>> net = net_injected_activity("F-18", injection_time=t0, activity_before_bq=10e6,
    ...                             residual_bq=0.5e6, residual_time=t1)
    >>> round(net)
    9000000
    """
    nuc = get_nuclide(nuclide)
    _check_order(injection_time, activity_before_time, residual_time, nuc.half_life_s)
    before = float(
        activity_at(
            activity_before_bq,
            nuc,
            measured_at=activity_before_time or injection_time,
            at=injection_time,
        )
    )
    residual = float(
        activity_at(
            residual_bq, nuc, measured_at=residual_time or injection_time, at=injection_time
        )
    )
    net = before - residual
    if not (math.isfinite(net) and net > 0):
        raise PositrixError(
            f"the net injected activity would be {net / 1e6:.4g} MBq: the residual "
            f"({residual / 1e6:.4g} MBq at injection) is not smaller than the dose "
            f"({before / 1e6:.4g} MBq)",
            field="residual",
            fix="check the syringe activities, their units and their times",
        )
    return net


#: How far a syringe measurement may lie from the injection: 10 half-lives (≈ 0.1 %).
_MAX_HALF_LIVES = 10.0


def _check_order(
    injection: datetime, before: datetime | None, residual: datetime | None, half_life_s: float
) -> None:
    """The syringe is measured before the injection and the residual after it, both within
    ten half-lives (a wrong date decays the dose to nothing or to infinity)."""
    slack = 60.0  # s: clocks of dose calibrator and scanner differ by up to a minute
    if before is not None and (before - injection).total_seconds() > slack:
        raise PositrixError(
            f"the syringe activity is measured at {before.isoformat()}, after the injection "
            f"at {injection.isoformat()}",
            field="activity_before_time",
            fix="give the time the full syringe was measured (before the injection)",
        )
    if residual is not None and (injection - residual).total_seconds() > slack:
        raise PositrixError(
            f"the residual is measured at {residual.isoformat()}, before the injection at "
            f"{injection.isoformat()}",
            field="residual_time",
            fix="give the time the empty syringe was measured (after the injection)",
        )
    for name, moment in (("activity_before_time", before), ("residual_time", residual)):
        if moment is not None and abs((moment - injection).total_seconds()) > (
            _MAX_HALF_LIVES * half_life_s
        ):
            raise PositrixError(
                f"{moment.isoformat()} is more than {_MAX_HALF_LIVES:g} half-lives from the "
                f"injection at {injection.isoformat()}",
                field=name,
                fix="check the date of the measurement",
            )


@dataclass(frozen=True)
class Injection:
    """What was injected, how much and when.

    Attributes
    ----------
    nuclide
        The radionuclide, or ``None`` when unknown.
    tracer
        Tracer name, e.g. ``"FDG"``.
    injection_time
        Time of administration (time-zone aware).
    activity_before_bq, activity_before_time
        Syringe activity measured before injection and when.
    residual_bq, residual_time
        Activity left in syringe and catheter after injection and when (0 if not measured).
    """

    nuclide: Nuclide | None = None
    tracer: str | None = None
    injection_time: datetime | None = None
    activity_before_bq: float | None = None
    activity_before_time: datetime | None = None
    residual_bq: float = 0.0
    residual_time: datetime | None = None

    @property
    def net_activity_bq(self) -> float:
        """Net injected activity at ``injection_time`` in Bq.

        Raises
        ------
        MissingFieldError
            When the nuclide, the injection time or the activity is missing.
        """
        for name in ("nuclide", "injection_time", "activity_before_bq"):
            if getattr(self, name) is None:
                raise MissingFieldError(
                    "the net injected activity needs it and it is not recorded",
                    field=name,
                    fix="record the injection (nuclide, time and syringe activity) in the file "
                    "header or sidecar",
                )
        assert self.nuclide is not None and self.injection_time is not None
        assert self.activity_before_bq is not None
        return net_injected_activity(
            self.nuclide,
            injection_time=self.injection_time,
            activity_before_bq=self.activity_before_bq,
            activity_before_time=self.activity_before_time,
            residual_bq=self.residual_bq,
            residual_time=self.residual_time,
        )

    def activity_at(self, moment: datetime) -> float:
        """Net injected activity decayed to ``moment`` (Bq)."""
        net = self.net_activity_bq  # raises MissingFieldError if anything is missing
        assert self.nuclide is not None and self.injection_time is not None
        return float(activity_at(net, self.nuclide, measured_at=self.injection_time, at=moment))
