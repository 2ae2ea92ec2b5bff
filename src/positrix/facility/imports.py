"""Batch entry from the spreadsheets staff already keep: ``import KIND FILE.csv``.

One import is one transaction: a bad row (unknown project, end before start, an overlapping
booking, an unknown column, a text in a number) is refused with the file, line, column and
fix, and nothing of the file is kept.  Imports record the past: the training and protocol
gates of new bookings do not apply, but the overlap rule does.  The audit log gets one entry
per import with the file's SHA-256, so the import can be traced to its file.
"""

from __future__ import annotations

import csv
import hashlib
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from positrix.errors import FileFormatError, PositrixError
from positrix.facility.access import require_role
from positrix.facility.audit import record
from positrix.facility.models import (
    ACTIVE_BOOKING,
    ANIMAL_EVENTS,
    BOOKING_STATUSES,
    RATE_TIERS,
    ROLES,
    Animal,
    Booking,
    Charge,
    Institution,
    Instrument,
    Membership,
    Project,
    Service,
    TracerBatch,
    Training,
    Usage,
    User,
)
from positrix.physics.nuclides import get_nuclide
from positrix.physics.units import parse_activity

__all__ = ["KINDS", "ImportResult", "import_csv"]


@dataclass(frozen=True)
class Column:
    """A CSV column: its name, whether it must be present, and its parser."""

    name: str
    required: bool
    parse: Callable[[str], Any]
    hint: str


def _text(value: str) -> str:
    return value.strip()


def _number(value: str) -> float:
    number = float(value)
    if number < 0 or number != number:
        raise ValueError
    return number


def _whole(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError
    return number


def _day(value: str) -> date | None:
    return date.fromisoformat(value.strip()) if value.strip() else None


def _moment(value: str) -> datetime:
    moment = datetime.fromisoformat(value.strip())
    if moment.tzinfo is None:
        raise ValueError
    return moment


def _activity(value: str) -> float:
    activity = parse_activity(value)
    if not activity > 0:
        raise ValueError
    return activity


def _nuclide(value: str) -> str:
    return get_nuclide(value.strip()).name


def _yes_no(value: str) -> bool:
    answer = value.strip().lower()
    if answer not in ("yes", "no", "true", "false", "1", "0"):
        raise ValueError
    return answer in ("yes", "true", "1")


def _choice(options: tuple[str, ...]) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if value.strip() not in options:
            raise ValueError
        return value.strip()

    return parse


def _c(name: str, parse: Callable[[str], Any] = _text, hint: str = "text", *,
       required: bool = True) -> Column:  # fmt: skip
    return Column(name, required, parse, hint)


TIME = "an ISO date-time with its offset, e.g. 2026-03-14T09:30:00+01:00"
ACTIVITY = "an activity with its unit, e.g. 8.2 MBq"
DAY = "a date YYYY-MM-DD"
TIER = "one of " + ", ".join(RATE_TIERS)
PRICE = "a number ≥ 0 (per hour)"
#: The columns of each kind (the issue's names; a header row is required).
KINDS: dict[str, tuple[Column, ...]] = {
    "users": (
        _c("username"),
        _c("full_name", required=False),
        _c("email", required=False),
        _c("role", _choice(ROLES), "one of " + ", ".join(ROLES)),
        _c("group", required=False),
        _c("institution", required=False),
    ),
    "institutions": (_c("name"), _c("rate_tier", _choice(RATE_TIERS), TIER)),
    "projects": (
        _c("code"),
        _c("title", required=False),
        _c("pi"),
        _c("rate_tier", _choice(RATE_TIERS), TIER, required=False),
        _c("grant", required=False),
        _c("protocol", required=False),
        _c("protocol_expiry", _day, DAY, required=False),
        _c("radiation_permit", required=False),
    ),
    "members": (_c("project"), _c("username")),
    "instruments": (
        _c("name"),
        _c("modality", required=False),
        _c("rate_internal", _number, "a number ≥ 0 (per hour)"),
        _c("rate_external", _number, "a number ≥ 0 (per hour)"),
        _c("rate_industry", _number, "a number ≥ 0 (per hour)"),
        _c("min_billable_min", _whole, "whole minutes ≥ 0", required=False),
        _c("step_min", _whole, "whole minutes > 0", required=False),
    ),
    "trainings": (
        _c("username"),
        _c("instrument"),
        _c("level", _choice(("assisted", "independent")), "assisted or independent"),
        _c("expires", _day, "a date YYYY-MM-DD", required=False),
    ),
    "bookings": (
        _c("id", _whole, "a whole number"),
        _c("instrument"),
        _c("project"),
        _c("user"),
        _c("start", _moment, TIME),
        _c("end", _moment, TIME),
        _c("status", _choice(BOOKING_STATUSES), "one of " + ", ".join(BOOKING_STATUSES)),
    ),
    "usage": (
        _c("booking_id", _whole, "a whole number"),
        _c("start", _moment, TIME),
        _c("end", _moment, TIME),
        _c("operator", required=False),
    ),
    "services": (
        _c("code"),
        _c("name", required=False),
        _c("unit"),
        _c("rate_internal", _number, "a number ≥ 0 (per unit)"),
        _c("rate_external", _number, "a number ≥ 0 (per unit)"),
        _c("rate_industry", _number, "a number ≥ 0 (per unit)"),
    ),
    "charges": (
        _c("project"),
        _c("service"),
        _c("quantity", _number, "a number > 0"),
        _c("at", _moment, TIME),
        _c("note", required=False),
    ),
    "batches": (
        _c("lot"),
        _c("tracer"),
        _c("nuclide", _nuclide, "a nuclide, e.g. F-18"),
        _c("eos_time", _moment, TIME),
        _c("eos_activity", _activity, ACTIVITY),
        _c("molar_activity_gbq_per_umol", _number, "a number ≥ 0 (GBq/µmol)", required=False),
    ),
    "animals": (
        _c("facility_id"),
        _c("project"),
        _c("species", required=False),
        _c("strain", required=False),
        _c("sex", _choice(("M", "F", "O")), "M, F or O", required=False),
        _c("date_of_birth", _day, DAY, required=False),
        _c("genetic_modification", required=False),
        _c("source", required=False),
        _c("cohort", required=False),
        _c("endpoint", _day, DAY, required=False),
    ),
    "sessions": (
        _c("animal"),
        _c("instrument"),
        _c("start", _moment, TIME),
        _c("booking_id", _whole, "a whole number", required=False),
        _c("operator", required=False),
        _c("weight_g", _number, "a number ≥ 0 (g)", required=False),
        _c("anaesthesia", required=False),
        _c("fasting_h", _number, "a number ≥ 0 (h)", required=False),
        _c("glucose_mmol_l", _number, "a number ≥ 0 (mmol/L)", required=False),
        _c("warming", _yes_no, "yes or no", required=False),
        _c("batch", required=False),
        _c("injection_time", _moment, TIME, required=False),
        _c("injected_before", _activity, ACTIVITY, required=False),
        _c("injected_before_time", _moment, TIME, required=False),
        _c("residual", parse_activity, ACTIVITY, required=False),
        _c("residual_time", _moment, TIME, required=False),
        _c("injection_route", required=False),
        _c("injection_volume_ul", _number, "a number ≥ 0 (µL)", required=False),
        _c("hotel_position", required=False),
        _c("notes", required=False),
    ),
    "events": (
        _c("animal"),
        _c("at", _moment, TIME),
        _c("kind", _choice(ANIMAL_EVENTS), "one of " + ", ".join(ANIMAL_EVENTS)),
        _c("weight_g", _number, "a number ≥ 0 (g)", required=False),
        _c("length_mm", _number, "a number ≥ 0 (mm)", required=False),
        _c("width_mm", _number, "a number ≥ 0 (mm)", required=False),
        _c("agent", required=False),
        _c("dose", _number, "a number ≥ 0", required=False),
        _c("dose_unit", required=False),
        _c("route", required=False),
        _c("schedule", required=False),
        _c("note", required=False),
    ),
}


@dataclass(frozen=True)
class ImportResult:
    """What an import did."""

    kind: str
    rows: int
    sha256: str


def _rows(path: Path, kind: str) -> list[tuple[int, dict[str, Any]]]:
    """Parsed rows ``(line, values)``; the header and every value checked."""
    if kind not in KINDS:
        raise FileFormatError(f"unknown kind '{kind}'", field="KIND", fix=", ".join(KINDS))
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as err:
        raise FileFormatError(f"cannot read ({err.strerror})", source=path) from None
    reader = csv.DictReader(text.splitlines())
    header = [h.strip() for h in reader.fieldnames or []]
    columns = {c.name: c for c in KINDS[kind]}
    unknown = [h for h in header if h not in columns]
    missing = [c.name for c in KINDS[kind] if c.required and c.name not in header]
    if unknown or missing:
        what = f"unknown column '{unknown[0]}'" if unknown else f"no column '{missing[0]}'"
        raise FileFormatError(
            what,
            source=path,
            field="header",
            fix=f"the columns of {kind} are " + ", ".join(columns),
        )
    out = []
    for line, raw in enumerate(reader, start=2):
        values: dict[str, Any] = {}
        for name in header:
            column, cell = columns[name], (raw.get(name) or "").strip()
            if not cell:
                if column.required:
                    raise FileFormatError(
                        f"line {line}: {name} is empty",
                        source=path,
                        field=name,
                        fix=f"give {column.hint}",
                    )
                continue
            try:
                values[name] = column.parse(cell)
            except (ValueError, PositrixError):
                raise FileFormatError(
                    f"line {line}: '{cell}' is not {column.hint}",
                    source=path,
                    field=name,
                    fix=f"write {column.hint}",
                ) from None
        out.append((line, values))
    return out


def _lookup(session: Session, model: Any, key: Any) -> dict[str, int]:
    """Unique key → id of every row of ``model``."""
    return {str(k): i for k, i in session.execute(select(key, model.id))}


def _need(table: dict[str, int], value: str, path: Path, line: int, field: str) -> int:
    if value not in table:
        raise FileFormatError(
            f"line {line}: unknown {field} '{value}'",
            source=path,
            field=field,
            fix=f"import or create the {field} first, or correct the name",
        )
    return table[value]


def _users(session: Session, rows: list, path: Path) -> None:
    homes = _lookup(session, Institution, Institution.name)
    session.execute(
        insert(User),
        [
            {
                "username": v["username"],
                "full_name": v.get("full_name", ""),
                "email": v.get("email", ""),
                "role": v["role"],
                "group": v.get("group", ""),
                "institution_id": _need(homes, v["institution"], path, n, "institution")
                if v.get("institution")
                else None,
            }
            for n, v in rows
        ],
    )


def _institutions(session: Session, rows: list, path: Path) -> None:
    session.execute(insert(Institution), [dict(v) for _, v in rows])


def _projects(session: Session, rows: list, path: Path) -> None:
    users = _lookup(session, User, User.username)
    tiers = {
        user_id: tier
        for user_id, tier in session.execute(
            select(User.id, Institution.rate_tier).join(
                Institution, Institution.id == User.institution_id
            )
        )
    }
    records, members = [], []
    for line, v in rows:
        pi_id = _need(users, v["pi"], path, line, "pi")
        records.append(
            {
                "code": v["code"],
                "title": v.get("title", ""),
                "pi_id": pi_id,
                "rate_tier": v.get("rate_tier") or tiers.get(pi_id, "internal"),
                "grant": v.get("grant", ""),
                "protocol": v.get("protocol", ""),
                "protocol_expiry": v.get("protocol_expiry"),
                "radiation_permit": v.get("radiation_permit", ""),
                "status": "active",
            }
        )
    session.execute(insert(Project), records)
    projects = _lookup(session, Project, Project.code)
    members = [{"project_id": projects[r["code"]], "user_id": r["pi_id"]} for r in records]
    session.execute(insert(Membership), members)


def _members(session: Session, rows: list, path: Path) -> None:
    users = _lookup(session, User, User.username)
    projects = _lookup(session, Project, Project.code)
    existing = {
        tuple(r) for r in session.execute(select(Membership.project_id, Membership.user_id))
    }
    records = []
    for line, v in rows:
        pair = (
            _need(projects, v["project"], path, line, "project"),
            _need(users, v["username"], path, line, "username"),
        )
        if pair not in existing:
            existing.add(pair)
            records.append({"project_id": pair[0], "user_id": pair[1]})
    if records:
        session.execute(insert(Membership), records)


def _instruments(session: Session, rows: list, path: Path) -> None:
    session.execute(
        insert(Instrument),
        [
            {
                "name": v["name"],
                "modality": v.get("modality", ""),
                "rate_internal": v["rate_internal"],
                "rate_external": v["rate_external"],
                "rate_industry": v["rate_industry"],
                "min_billable_min": v.get("min_billable_min", 30),
                "step_min": v.get("step_min", 15) or 15,
            }
            for _, v in rows
        ],
    )


def _trainings(session: Session, rows: list, path: Path) -> None:
    users = _lookup(session, User, User.username)
    instruments = _lookup(session, Instrument, Instrument.name)
    session.execute(
        insert(Training),
        [
            {
                "user_id": _need(users, v["username"], path, line, "username"),
                "instrument_id": _need(instruments, v["instrument"], path, line, "instrument"),
                "level": v["level"],
                "expires": v.get("expires"),
            }
            for line, v in rows
        ],
    )


def _check_order(rows: list, path: Path) -> None:
    for line, v in rows:
        if not v["start"] < v["end"]:
            raise FileFormatError(
                f"line {line}: the end is not after the start",
                source=path,
                field="end",
                fix="correct the times",
            )


def _check_overlaps(session: Session, records: list[dict[str, Any]], lines: list[int],
                    path: Path) -> None:  # fmt: skip
    """Active bookings of one instrument must not overlap, in the file or with the database."""
    active = [(r, n) for r, n in zip(records, lines, strict=True) if r["status"] in ACTIVE_BOOKING]
    stored = session.execute(
        select(Booking.id, Booking.instrument_id, Booking.start, Booking.end).where(
            Booking.status.in_(ACTIVE_BOOKING)
        )
    ).all()
    everything = [
        ((r["instrument_id"], r["start"], r["end"]), f"line {n} (booking {r['id']})")
        for r, n in active
    ]
    everything += [((i, s, e), f"stored booking {b}") for b, i, s, e in stored]
    everything.sort(key=lambda item: (item[0][0], item[0][1]))
    for (a, name_a), (b, name_b) in itertools.pairwise(everything):
        if a[0] == b[0] and b[1] < a[2]:
            first, second = sorted((name_a, name_b), key=lambda n: not n.startswith("line"))
            raise FileFormatError(
                f"{first} overlaps {second} on the same instrument",
                source=path,
                field="start/end",
                fix="correct the times or give one of them status cancelled",
            )


def _bookings(session: Session, rows: list, path: Path) -> None:
    _check_order(rows, path)
    users = _lookup(session, User, User.username)
    projects = _lookup(session, Project, Project.code)
    instruments = _lookup(session, Instrument, Instrument.name)
    records = [
        {
            "id": v["id"],
            "instrument_id": _need(instruments, v["instrument"], path, n, "instrument"),
            "project_id": _need(projects, v["project"], path, n, "project"),
            "user_id": _need(users, v["user"], path, n, "user"),
            "start": v["start"],
            "end": v["end"],
            "status": v["status"],
            "assisted": False,
        }
        for n, v in rows
    ]
    _check_overlaps(session, records, [n for n, _ in rows], path)
    session.execute(insert(Booking), records)
    if session.get_bind().dialect.name == "postgresql":  # explicit ids: move the sequence on
        session.execute(
            text(
                "SELECT setval(pg_get_serial_sequence('bookings', 'id'), "
                "(SELECT max(id) FROM bookings))"
            )
        )


def _usage(session: Session, rows: list, path: Path) -> None:
    _check_order(rows, path)
    users = _lookup(session, User, User.username)
    known = {str(i): i for i in session.scalars(select(Booking.id))}
    session.execute(
        insert(Usage),
        [
            {
                "booking_id": _need(known, str(v["booking_id"]), path, n, "booking_id"),
                "start": v["start"],
                "end": v["end"],
                "operator_id": _need(users, v["operator"], path, n, "operator")
                if v.get("operator")
                else None,
            }
            for n, v in rows
        ],
    )


def _services(session: Session, rows: list, path: Path) -> None:
    session.execute(
        insert(Service), [{"name": v.get("name") or v["code"]} | dict(v) for _, v in rows]
    )


def _charges(session: Session, rows: list, path: Path) -> None:
    projects = _lookup(session, Project, Project.code)
    services = _lookup(session, Service, Service.code)
    records = []
    for n, v in rows:
        if not v["quantity"] > 0:
            raise FileFormatError(
                f"line {n}: the quantity is 0", source=path, field="quantity", fix="give > 0"
            )
        records.append(
            {
                "project_id": _need(projects, v["project"], path, n, "project"),
                "service_id": _need(services, v["service"], path, n, "service"),
                "quantity": v["quantity"],
                "at": v["at"],
                "note": v.get("note", ""),
            }
        )
    session.execute(insert(Charge), records)


def _batches(session: Session, rows: list, path: Path) -> None:
    session.execute(
        insert(TracerBatch),
        [
            {
                "lot": v["lot"],
                "tracer": v["tracer"],
                "nuclide": v["nuclide"],
                "eos_time": v["eos_time"],
                "eos_activity_bq": v["eos_activity"],
                "molar_activity_gbq_per_umol": v.get("molar_activity_gbq_per_umol"),
            }
            for _, v in rows
        ],
    )


def _animals(session: Session, rows: list, path: Path) -> None:
    projects = _lookup(session, Project, Project.code)
    defaults = {"species": "Mus musculus", "strain": "", "sex": "O", "genetic_modification": "",
                "source": "", "cohort": ""}  # fmt: skip
    records = []
    for n, v in rows:
        project_id = _need(projects, v["project"], path, n, "project")
        fields = {k: x for k, x in v.items() if k != "project"}
        records.append(defaults | fields | {"project_id": project_id})
    session.execute(insert(Animal), records)


def _row_by_row(session: Session, rows: list, path: Path, write: Callable[[dict], Any]) -> None:
    """Write each row through the service layer (its physical rules apply), naming the line
    of the first refused row."""
    for n, v in rows:
        try:
            with session.begin_nested():
                write(v)
        except PositrixError as err:
            raise FileFormatError(
                f"line {n}: {err.problem}", source=path, field=err.field, fix=err.fix
            ) from None


def _sessions(session: Session, rows: list, path: Path, actor: User) -> None:
    from positrix.facility.animals import record_session

    users = _lookup(session, User, User.username)

    def write(v: dict) -> None:
        operator = v.pop("operator", None)
        renamed = {"injected_before": "injected_before_bq", "residual": "residual_bq"}
        fields = {renamed.get(k, k): x for k, x in v.items()}
        if operator:
            fields["operator_id"] = users.get(operator)
            if fields["operator_id"] is None:
                raise PositrixError(
                    f"unknown operator '{operator}'", field="operator", fix="import the user first"
                )
        record_session(session, actor, fields.pop("animal"), **fields)

    _row_by_row(session, rows, path, write)


def _events(session: Session, rows: list, path: Path, actor: User) -> None:
    from positrix.facility.events import add_event

    def write(v: dict) -> None:
        add_event(session, actor, v.pop("animal"), v.pop("kind"), **v)

    _row_by_row(session, rows, path, write)


_WRITERS: dict[str, Callable[[Session, list, Path], None]] = {
    "institutions": _institutions,
    "services": _services,
    "charges": _charges,
    "batches": _batches,
    "animals": _animals,
    "users": _users,
    "projects": _projects,
    "members": _members,
    "instruments": _instruments,
    "trainings": _trainings,
    "bookings": _bookings,
    "usage": _usage,
}


#: Kinds written row by row through the service layer, as the acting user.
_ACTED: dict[str, Callable[[Session, list, Path, User], None]] = {
    "sessions": _sessions,
    "events": _events,
}


def import_csv(session: Session, actor: User, kind: str, path: str | Path) -> ImportResult:
    """Import ``path`` as ``kind`` into the caller's transaction (staff or admin).

    Every row is checked before anything is written; the caller commits (or, on an error,
    rolls back), so an import is all or nothing.

    Raises
    ------
    FileFormatError
        Naming the file, the line, the column and the fix.
    """
    require_role(actor, "staff")
    path = Path(path)
    rows = _rows(path, kind)
    try:
        if kind in _ACTED:
            _ACTED[kind](session, rows, path, actor)
        else:
            _WRITERS[kind](session, rows, path)
        session.flush()
    except FileFormatError:
        raise
    except Exception as err:  # a database rule (unique name, overlap) caught what we did not
        from sqlalchemy.exc import IntegrityError

        if not isinstance(err, IntegrityError):
            raise
        reason = str(err.orig).splitlines()[0] if err.orig is not None else str(err)
        raise FileFormatError(
            f"the database refused a row ({reason})",
            source=path,
            fix="look for a duplicate name or id, or an overlapping booking",
        ) from None
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    record(
        session,
        actor.username,
        "import",
        kind,
        None,
        after={"file": path.name, "rows": len(rows), "sha256": digest},
    )
    return ImportResult(kind, len(rows), digest)
