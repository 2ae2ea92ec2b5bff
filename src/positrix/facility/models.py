"""SQLAlchemy 2 models of the facility: who, which project, which instrument, when, how long.

Times are stored in UTC and come back time-zone aware (:class:`UTCDateTime`); a naive
date-time is refused rather than guessed.  The rules the database can hold are declared here
(foreign keys, unique keys, checks); the booking-overlap rule is a trigger (SQLite) or an
exclusion constraint (PostgreSQL), created by the migrations.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from positrix.errors import PositrixError

__all__ = [
    "ACTIVE_BOOKING",
    "ANIMAL_EVENTS",
    "BOOKING_STATUSES",
    "INVOICE_STATUSES",
    "RATE_TIERS",
    "ROLES",
    "Analysis",
    "Animal",
    "AnimalEvent",
    "AuditEntry",
    "Base",
    "Booking",
    "Charge",
    "DicomInstance",
    "ImagingSession",
    "Institution",
    "Instrument",
    "Invoice",
    "InvoiceLine",
    "Membership",
    "Project",
    "Publication",
    "Series",
    "Service",
    "TracerBatch",
    "Training",
    "UTCDateTime",
    "Usage",
    "User",
    "Waste",
]

#: Roles, from the most to the least powerful.
ROLES = ("admin", "staff", "pi", "researcher", "viewer")
#: Price tiers of a project's institution.
RATE_TIERS = ("internal", "external", "industry")
#: Booking states; the first two hold the instrument.
BOOKING_STATUSES = ("requested", "approved", "cancelled", "no-show", "completed")
ACTIVE_BOOKING = ("requested", "approved")
#: Invoice states, in order: staff draft it, the PI approves it, staff send it.
INVOICE_STATUSES = ("draft", "approved", "sent")
#: What can happen to an animal (PIXI's animal experiments).
ANIMAL_EVENTS = ("weight", "caliper", "drug", "radiotherapy", "implant", "husbandry", "endpoint")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class UTCDateTime(TypeDecorator[datetime]):
    """A date-time stored as UTC (naive in the database) and returned aware (UTC).

    SQLite keeps the fixed-width text ``YYYY-MM-DD HH:MM:SS.ffffff``, so that comparisons in
    SQL (the overlap trigger) order correctly.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        """Aware → naive UTC; a naive date-time is refused (its zone is unknown)."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise PositrixError(
                f"{value.isoformat()} has no UTC offset",
                field="time",
                fix="give date-times with their offset, e.g. 2026-03-14T09:30:00+01:00",
            )
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        """Naive UTC → aware UTC."""
        return value.replace(tzinfo=UTC) if value is not None else None


class Base(DeclarativeBase):
    """Base of every facility model."""


class Institution(Base):
    """A school, hospital or company whose people use the facility, with its price tier."""

    __tablename__ = "institutions"
    __table_args__ = (CheckConstraint(_in("rate_tier", RATE_TIERS), name="ck_institutions_tier"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    rate_tier: Mapped[str] = mapped_column(String(16), default="internal")


class User(Base):
    """A person who logs in: researcher, PI, staff, admin or viewer."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint(_in("role", ROLES), name="ck_users_role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(16), default="researcher")
    group: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str | None] = mapped_column(String(200), default=None)
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"), default=None)


class Project(Base):
    """A research project: its PI, funding, animal-ethics protocol and price tier."""

    __tablename__ = "projects"
    __table_args__ = (
        CheckConstraint(_in("rate_tier", RATE_TIERS), name="ck_projects_rate_tier"),
        CheckConstraint(_in("status", ("active", "closed")), name="ck_projects_status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(300), default="")
    pi_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    rate_tier: Mapped[str] = mapped_column(String(16), default="internal")
    grant: Mapped[str] = mapped_column(String(100), default="")
    protocol: Mapped[str] = mapped_column(String(100), default="")
    protocol_expiry: Mapped[date | None] = mapped_column(Date, default=None)
    status: Mapped[str] = mapped_column(String(16), default="active")
    radiation_permit: Mapped[str] = mapped_column(String(100), default="")

    pi: Mapped[User] = relationship()


class Membership(Base):
    """A user's membership of a project (the PI is a member of their projects)."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("project_id", "user_id", name="uq_membership"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))


class Instrument(Base):
    """A bookable instrument with its hourly rates and billing granularity."""

    __tablename__ = "instruments"
    __table_args__ = (
        CheckConstraint("min_billable_min >= 0 AND step_min > 0", name="ck_instruments_billing"),
        CheckConstraint(
            "rate_internal >= 0 AND rate_external >= 0 AND rate_industry >= 0",
            name="ck_instruments_rates",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    modality: Mapped[str] = mapped_column(String(40), default="")
    rate_internal: Mapped[float] = mapped_column(Float, default=0.0)
    rate_external: Mapped[float] = mapped_column(Float, default=0.0)
    rate_industry: Mapped[float] = mapped_column(Float, default=0.0)
    min_billable_min: Mapped[int] = mapped_column(Integer, default=30)
    step_min: Mapped[int] = mapped_column(Integer, default=15)

    def rate(self, tier: str) -> float:
        """Price per hour for a project's rate tier."""
        return float(getattr(self, f"rate_{tier}"))


class Training(Base):
    """A user's qualification on an instrument (assisted or independent) until it expires."""

    __tablename__ = "trainings"
    __table_args__ = (
        UniqueConstraint("user_id", "instrument_id", name="uq_training"),
        CheckConstraint(_in("level", ("assisted", "independent")), name="ck_trainings_level"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    instrument_id: Mapped[int] = mapped_column(ForeignKey("instruments.id"))
    level: Mapped[str] = mapped_column(String(16), default="independent")
    expires: Mapped[date | None] = mapped_column(Date, default=None)


class Booking(Base):
    """A reserved slot of an instrument for a project; active ones never overlap."""

    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint('"start" < "end"', name="ck_bookings_order"),
        CheckConstraint(_in("status", BOOKING_STATUSES), name="ck_bookings_status"),
        Index("ix_bookings_instrument_end", "instrument_id", "end"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instrument_id: Mapped[int] = mapped_column(ForeignKey("instruments.id"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    start: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    end: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="approved")
    assisted: Mapped[bool] = mapped_column(default=False)

    instrument: Mapped[Instrument] = relationship()
    project: Mapped[Project] = relationship()
    user: Mapped[User] = relationship()


class Usage(Base):
    """What actually happened on a booking: start, end and operator."""

    __tablename__ = "usage"
    __table_args__ = (CheckConstraint('"start" < "end"', name="ck_usage_order"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), unique=True)
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime] = mapped_column(UTCDateTime)
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)


class AuditEntry(Base):
    """One write: who, when, what, before and after, chained to the previous entry by hash."""

    __tablename__ = "audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(40))
    table_name: Mapped[str] = mapped_column(String(40))
    row_id: Mapped[int | None] = mapped_column(Integer, default=None)
    before: Mapped[str] = mapped_column(Text, default="null")
    after: Mapped[str] = mapped_column(Text, default="null")
    previous_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class TracerBatch(Base):
    """A radiotracer batch: what, which nuclide, how much at the end of synthesis."""

    __tablename__ = "tracer_batches"
    __table_args__ = (CheckConstraint("eos_activity_bq > 0", name="ck_batches_activity"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lot: Mapped[str] = mapped_column(String(60), unique=True)
    tracer: Mapped[str] = mapped_column(String(60))
    nuclide: Mapped[str] = mapped_column(String(20))
    eos_time: Mapped[datetime] = mapped_column(UTCDateTime)
    eos_activity_bq: Mapped[float] = mapped_column(Float)
    molar_activity_gbq_per_umol: Mapped[float | None] = mapped_column(Float, default=None)


class Animal(Base):
    """An animal of a project (PIXI's demographics)."""

    __tablename__ = "animals"
    __table_args__ = (CheckConstraint("sex IN ('M', 'F', 'O')", name="ck_animals_sex"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    facility_id: Mapped[str] = mapped_column(String(60), unique=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    species: Mapped[str] = mapped_column(String(60), default="Mus musculus")
    strain: Mapped[str] = mapped_column(String(100), default="")
    sex: Mapped[str] = mapped_column(String(1), default="O")
    date_of_birth: Mapped[date | None] = mapped_column(Date, default=None)
    genetic_modification: Mapped[str] = mapped_column(String(200), default="")
    source: Mapped[str] = mapped_column(String(200), default="")
    cohort: Mapped[str] = mapped_column(String(100), default="")
    endpoint: Mapped[date | None] = mapped_column(Date, default=None)


class ImagingSession(Base):
    """One animal's scan: conditions (anaesthesia, fasting, glucose, warming), the injection
    (batch, syringe before/after with times) and where it lay in a hotel."""

    __tablename__ = "imaging_sessions"
    __table_args__ = (
        CheckConstraint(
            "injected_before_bq IS NULL OR injected_before_bq > 0", name="ck_sessions_dose"
        ),
        CheckConstraint("residual_bq >= 0", name="ck_sessions_residual"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    animal_id: Mapped[int] = mapped_column(ForeignKey("animals.id"), index=True)
    instrument_id: Mapped[int] = mapped_column(ForeignKey("instruments.id"))
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id"), default=None)
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    weight_g: Mapped[float | None] = mapped_column(Float, default=None)
    anaesthesia: Mapped[str] = mapped_column(String(100), default="")
    fasting_h: Mapped[float | None] = mapped_column(Float, default=None)
    glucose_mmol_l: Mapped[float | None] = mapped_column(Float, default=None)
    warming: Mapped[bool] = mapped_column(default=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("tracer_batches.id"), default=None)
    injection_time: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    injected_before_bq: Mapped[float | None] = mapped_column(Float, default=None)
    injected_before_time: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    residual_bq: Mapped[float] = mapped_column(Float, default=0.0)
    residual_time: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    hotel_position: Mapped[str] = mapped_column(String(20), default="")
    injection_route: Mapped[str] = mapped_column(String(40), default="")
    injection_volume_ul: Mapped[float | None] = mapped_column(Float, default=None)
    notes: Mapped[str] = mapped_column(Text, default="")

    animal: Mapped[Animal] = relationship()
    batch: Mapped[TracerBatch | None] = relationship()


def _tier_prices(table: str) -> CheckConstraint:
    return CheckConstraint(
        "rate_internal >= 0 AND rate_external >= 0 AND rate_industry >= 0",
        name=f"ck_{table}_rates",
    )


class Service(Base):
    """A priced service other than instrument time: a tracer dose, an analysis hour, a
    report, a gamma-counter sample, with its price per unit in each tier."""

    __tablename__ = "services"
    __table_args__ = (_tier_prices("services"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    unit: Mapped[str] = mapped_column(String(40), default="unit")
    rate_internal: Mapped[float] = mapped_column(Float, default=0.0)
    rate_external: Mapped[float] = mapped_column(Float, default=0.0)
    rate_industry: Mapped[float] = mapped_column(Float, default=0.0)

    def rate(self, tier: str) -> float:
        """Price per unit for a project's rate tier."""
        return float(getattr(self, f"rate_{tier}"))


class Charge(Base):
    """A service delivered to a project: how many units, when."""

    __tablename__ = "charges"
    __table_args__ = (CheckConstraint("quantity > 0", name="ck_charges_quantity"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    quantity: Mapped[float] = mapped_column(Float)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(Text, default="")

    service: Mapped[Service] = relationship()


class Invoice(Base):
    """A project's invoice for one month: drafted by staff, approved by the PI, sent by staff;
    its lines are frozen once approved."""

    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("project_id", "month", name="uq_invoice_month"),
        CheckConstraint(_in("status", INVOICE_STATUSES), name="ck_invoices_status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    month: Mapped[str] = mapped_column(String(7))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    rate_tier: Mapped[str] = mapped_column(String(16))
    total: Mapped[float] = mapped_column(Float, default=0.0)
    drafted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    project: Mapped[Project] = relationship()
    lines: Mapped[list[InvoiceLine]] = relationship(
        order_by="InvoiceLine.id", cascade="all, delete-orphan"
    )


class InvoiceLine(Base):
    """One line of an invoice: a booking's billable time or a service charge."""

    __tablename__ = "invoice_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    reference: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(40))
    unit_price: Mapped[float] = mapped_column(Float)
    amount: Mapped[float] = mapped_column(Float)


class Waste(Base):
    """Radioactive waste stored for decay until its activity falls below its release limit."""

    __tablename__ = "waste"
    __table_args__ = (
        CheckConstraint("activity_bq > 0 AND release_limit_bq > 0", name="ck_waste_activity"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    nuclide: Mapped[str] = mapped_column(String(20))
    activity_bq: Mapped[float] = mapped_column(Float)
    measured_at: Mapped[datetime] = mapped_column(UTCDateTime)
    container: Mapped[str] = mapped_column(String(100), default="")
    release_limit_bq: Mapped[float] = mapped_column(Float)
    stored_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    released_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)


class Calibration(Base):
    """A calibration record: scanner × nuclide cross-calibration with the dose calibrator, or
    a dose calibrator's setting and factor for a nuclide against a reference source."""

    __tablename__ = "calibrations"
    __table_args__ = (
        CheckConstraint("factor > 0", name="ck_calibrations_factor"),
        CheckConstraint(
            "kind IN ('scanner', 'dose_calibrator', 'ct_hu')", name="ck_calibrations_kind"
        ),
        Index("ix_calibrations_lookup", "kind", "device", "nuclide"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    device: Mapped[str] = mapped_column(String(100))
    nuclide: Mapped[str] = mapped_column(String(20))
    factor: Mapped[float] = mapped_column(Float)
    setting: Mapped[str] = mapped_column(String(40), default="")
    measured_at: Mapped[datetime] = mapped_column(UTCDateTime)
    details: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))


class AnimalEvent(Base):
    """Something that happened to an animal: a weighing, a caliper measurement, a drug or
    radiotherapy dose, a tumour implant, husbandry, its endpoint."""

    __tablename__ = "animal_events"
    __table_args__ = (
        CheckConstraint(_in("kind", ANIMAL_EVENTS), name="ck_animal_events_kind"),
        CheckConstraint(
            "(weight_g IS NULL OR weight_g > 0) AND (length_mm IS NULL OR length_mm > 0) "
            "AND (width_mm IS NULL OR width_mm > 0) AND (dose IS NULL OR dose >= 0)",
            name="ck_animal_events_values",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    animal_id: Mapped[int] = mapped_column(ForeignKey("animals.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(20))
    weight_g: Mapped[float | None] = mapped_column(Float, default=None)
    length_mm: Mapped[float | None] = mapped_column(Float, default=None)
    width_mm: Mapped[float | None] = mapped_column(Float, default=None)
    agent: Mapped[str] = mapped_column(String(200), default="")
    dose: Mapped[float | None] = mapped_column(Float, default=None)
    dose_unit: Mapped[str] = mapped_column(String(20), default="")
    route: Mapped[str] = mapped_column(String(40), default="")
    schedule: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")


class Series(Base):
    """An image series or file, registered by its SHA-256 (the same content is one record)."""

    __tablename__ = "series"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    imaging_session_id: Mapped[int | None] = mapped_column(
        ForeignKey("imaging_sessions.id"), default=None, index=True
    )
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    modality: Mapped[str] = mapped_column(String(16), default="")
    study_uid: Mapped[str] = mapped_column(String(64), default="")
    series_uid: Mapped[str] = mapped_column(String(64), default="")
    path: Mapped[str] = mapped_column(Text)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Analysis(Base):
    """A processing run: pipeline and version, parameters, inputs and outputs (by checksum),
    the analyst and the hours they spent."""

    __tablename__ = "analyses"
    __table_args__ = (
        CheckConstraint("hours >= 0", name="ck_analyses_hours"),
        CheckConstraint(_in("status", ("running", "done", "failed")), name="ck_analyses_status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    pipeline: Mapped[str] = mapped_column(String(100))
    version: Mapped[str] = mapped_column(String(40))
    parameters: Mapped[str] = mapped_column(Text, default="{}")
    inputs: Mapped[str] = mapped_column(Text, default="[]")
    outputs: Mapped[str] = mapped_column(Text, default="[]")
    analyst_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    hours: Mapped[float] = mapped_column(Float, default=0.0)
    status: Mapped[str] = mapped_column(String(16), default="done")
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class Publication(Base):
    """A publication of a project that credits the facility."""

    __tablename__ = "publications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    doi: Mapped[str] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(String(500), default="")
    journal: Mapped[str] = mapped_column(String(200), default="")
    year: Mapped[int] = mapped_column(Integer)


class DicomInstance(Base):
    """One DICOM instance the node received: where it lies in the archive, its checksum, and
    the project (and animal) its routing gave it; ``project_id`` empty means triage."""

    __tablename__ = "dicom_instances"
    __table_args__ = (CheckConstraint(_in("status", ("routed", "triage")), name="ck_dicom_status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sop_instance_uid: Mapped[str] = mapped_column(String(64), unique=True)
    sop_class_uid: Mapped[str] = mapped_column(String(64))
    study_uid: Mapped[str] = mapped_column(String(64), index=True)
    series_uid: Mapped[str] = mapped_column(String(64), index=True)
    modality: Mapped[str] = mapped_column(String(16), default="")
    patient_id: Mapped[str] = mapped_column(String(64), default="")
    study_description: Mapped[str] = mapped_column(String(200), default="")
    accession: Mapped[str] = mapped_column(String(64), default="")
    study_date: Mapped[str] = mapped_column(String(8), default="")
    path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    calling_ae: Mapped[str] = mapped_column(String(16), default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="triage")
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"), default=None)
    animal: Mapped[str] = mapped_column(String(60), default="")
