"""Injected activity: syringe before, residual after, and the net activity injected."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from positrix.errors import MissingFieldError
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
    return before - residual


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
