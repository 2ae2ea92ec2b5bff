"""DICOM dates and times (DA, TM, DT) ↔ time-zone-aware datetimes."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

__all__ = ["format_da", "format_dt", "format_tm", "parse_da_tm", "parse_dt", "utc_offset"]

_OFFSET = re.compile(r"^([+-])(\d{2})(\d{2})$")


def utc_offset(text: str | None) -> timezone:
    """Time zone from ``TimezoneOffsetFromUTC`` (``"+0100"``); UTC when absent."""
    match = _OFFSET.match((text or "").strip())
    if not match:
        return UTC
    minutes = int(match[2]) * 60 + int(match[3])
    return timezone(timedelta(minutes=minutes if match[1] == "+" else -minutes))


def format_da(moment: datetime) -> str:
    """``YYYYMMDD``."""
    return moment.strftime("%Y%m%d")


def format_tm(moment: datetime) -> str:
    """``HHMMSS.ffffff``."""
    return moment.strftime("%H%M%S.%f")


def format_dt(moment: datetime) -> str:
    """``YYYYMMDDHHMMSS.ffffff&ZZXX`` with the offset of an aware datetime."""
    text = moment.strftime("%Y%m%d%H%M%S.%f")
    return text + moment.strftime("%z") if moment.tzinfo is not None else text


def _time_parts(tm: str) -> tuple[int, int, int, int]:
    tm = tm.strip().replace(":", "")
    whole, _, frac = tm.partition(".")
    hh = int(whole[0:2])
    mm = int(whole[2:4]) if len(whole) >= 4 else 0
    ss = int(whole[4:6]) if len(whole) >= 6 else 0
    micro = int((frac + "000000")[:6]) if frac else 0
    return hh, mm, ss, micro


def parse_da_tm(da: str | None, tm: str | None, *, tz: timezone = UTC) -> datetime | None:
    """Combine a DA and a TM value into an aware datetime (``None`` if either is empty)."""
    if not da or not tm or not str(da).strip() or not str(tm).strip():
        return None
    day = datetime.strptime(str(da).strip()[:8], "%Y%m%d")
    hh, mm, ss, micro = _time_parts(str(tm))
    return day.replace(hour=hh, minute=mm, second=ss, microsecond=micro, tzinfo=tz)


def parse_dt(dt: str | None, *, tz: timezone = UTC) -> datetime | None:
    """Parse a DT value (``YYYYMMDDHHMMSS.ffffff&ZZXX``); ``None`` if empty."""
    if not dt or not str(dt).strip():
        return None
    text = str(dt).strip()
    offset = re.search(r"[+-]\d{4}$", text)
    if offset:
        tz = utc_offset(offset.group(0))
        text = text[: offset.start()]
    day = datetime.strptime(text[:8], "%Y%m%d")
    if len(text) <= 8:
        return day.replace(tzinfo=tz)
    hh, mm, ss, micro = _time_parts(text[8:])
    return day.replace(hour=hh, minute=mm, second=ss, microsecond=micro, tzinfo=tz)
