"""Institutions, services, charges, invoices, radioactive waste, animal events, series,
analyses and publications; radiation permit, injection route/volume and notes.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_TIERS = "('internal', 'external', 'industry')"
_RATES = "rate_internal >= 0 AND rate_external >= 0 AND rate_industry >= 0"


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer(), primary_key=True)


def _fk(name: str, target: str, *, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.Integer(), sa.ForeignKey(f"{target}.id"), nullable=nullable)


def _rates() -> list[sa.Column]:
    return [
        sa.Column(f"rate_{tier}", sa.Float(), nullable=False)
        for tier in ("internal", "external", "industry")
    ]


def _add_columns() -> None:
    """New columns of existing tables (SQLite adds a column with its reference in place)."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE users ADD COLUMN institution_id INTEGER REFERENCES institutions(id)"
        )
    else:
        op.add_column("users", _fk("institution_id", "institutions", nullable=True))
    op.add_column(
        "projects",
        sa.Column("radiation_permit", sa.String(100), nullable=False, server_default=""),
    )
    for column in (
        sa.Column("injection_route", sa.String(40), nullable=False, server_default=""),
        sa.Column("injection_volume_ul", sa.Float(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False, server_default=""),
    ):
        op.add_column("imaging_sessions", column)


def _billing_tables() -> None:
    op.create_table(
        "services",
        _id(),
        sa.Column("code", sa.String(40), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("unit", sa.String(40), nullable=False),
        *_rates(),
        sa.CheckConstraint(_RATES, name="ck_services_rates"),
    )
    op.create_table(
        "charges",
        _id(),
        _fk("project_id", "projects"),
        _fk("service_id", "services"),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.CheckConstraint("quantity > 0", name="ck_charges_quantity"),
    )
    op.create_index("ix_charges_project_id", "charges", ["project_id"])
    op.create_table(
        "invoices",
        _id(),
        _fk("project_id", "projects"),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("rate_tier", sa.String(16), nullable=False),
        sa.Column("total", sa.Float(), nullable=False),
        sa.Column("drafted_at", sa.DateTime(), nullable=False),
        _fk("approved_by_id", "users", nullable=True),
        sa.Column("approved_at", sa.DateTime(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.UniqueConstraint("project_id", "month", name="uq_invoice_month"),
        sa.CheckConstraint("status IN ('draft', 'approved', 'sent')", name="ck_invoices_status"),
    )
    op.create_table(
        "invoice_lines",
        _id(),
        _fk("invoice_id", "invoices"),
        sa.Column("reference", sa.String(40), nullable=False),
        sa.Column("description", sa.String(300), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(40), nullable=False),
        sa.Column("unit_price", sa.Float(), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
    )
    op.create_index("ix_invoice_lines_invoice_id", "invoice_lines", ["invoice_id"])


def _science_tables() -> None:
    op.create_table(
        "waste",
        _id(),
        sa.Column("nuclide", sa.String(20), nullable=False),
        sa.Column("activity_bq", sa.Float(), nullable=False),
        sa.Column("measured_at", sa.DateTime(), nullable=False),
        sa.Column("container", sa.String(100), nullable=False),
        sa.Column("release_limit_bq", sa.Float(), nullable=False),
        _fk("stored_by_id", "users"),
        sa.Column("released_at", sa.DateTime(), nullable=True),
        _fk("released_by_id", "users", nullable=True),
        sa.CheckConstraint("activity_bq > 0 AND release_limit_bq > 0", name="ck_waste_activity"),
    )
    op.create_table(
        "animal_events",
        _id(),
        _fk("animal_id", "animals"),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("weight_g", sa.Float(), nullable=True),
        sa.Column("length_mm", sa.Float(), nullable=True),
        sa.Column("width_mm", sa.Float(), nullable=True),
        sa.Column("agent", sa.String(200), nullable=False),
        sa.Column("dose", sa.Float(), nullable=True),
        sa.Column("dose_unit", sa.String(20), nullable=False),
        sa.Column("route", sa.String(40), nullable=False),
        sa.Column("schedule", sa.String(200), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('weight', 'caliper', 'drug', 'radiotherapy', 'implant', 'husbandry', "
            "'endpoint')",
            name="ck_animal_events_kind",
        ),
        sa.CheckConstraint(
            "(weight_g IS NULL OR weight_g > 0) AND (length_mm IS NULL OR length_mm > 0) "
            "AND (width_mm IS NULL OR width_mm > 0) AND (dose IS NULL OR dose >= 0)",
            name="ck_animal_events_values",
        ),
    )
    op.create_index("ix_animal_events_animal_id", "animal_events", ["animal_id"])
    op.create_table(
        "series",
        _id(),
        sa.Column("sha256", sa.String(64), nullable=False, unique=True),
        _fk("imaging_session_id", "imaging_sessions", nullable=True),
        _fk("project_id", "projects"),
        sa.Column("modality", sa.String(16), nullable=False),
        sa.Column("study_uid", sa.String(64), nullable=False),
        sa.Column("series_uid", sa.String(64), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("registered_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_series_imaging_session_id", "series", ["imaging_session_id"])
    op.create_index("ix_series_project_id", "series", ["project_id"])
    op.create_table(
        "analyses",
        _id(),
        _fk("project_id", "projects"),
        sa.Column("pipeline", sa.String(100), nullable=False),
        sa.Column("version", sa.String(40), nullable=False),
        sa.Column("parameters", sa.Text(), nullable=False),
        sa.Column("inputs", sa.Text(), nullable=False),
        sa.Column("outputs", sa.Text(), nullable=False),
        _fk("analyst_id", "users", nullable=True),
        sa.Column("hours", sa.Float(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("hours >= 0", name="ck_analyses_hours"),
        sa.CheckConstraint("status IN ('running', 'done', 'failed')", name="ck_analyses_status"),
    )
    op.create_index("ix_analyses_project_id", "analyses", ["project_id"])
    op.create_table(
        "publications",
        _id(),
        _fk("project_id", "projects"),
        sa.Column("doi", sa.String(200), nullable=False, unique=True),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("journal", sa.String(200), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
    )
    op.create_index("ix_publications_project_id", "publications", ["project_id"])


def upgrade() -> None:
    """Create the tables and add the columns."""
    op.create_table(
        "institutions",
        _id(),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("rate_tier", sa.String(16), nullable=False),
        sa.CheckConstraint(f"rate_tier IN {_TIERS}", name="ck_institutions_tier"),
    )
    _add_columns()
    # overlap checks look for bookings of one instrument that end after a start: this index
    # makes that a short range scan instead of a scan of the instrument's whole history
    op.create_index("ix_bookings_instrument_end", "bookings", ["instrument_id", "end"])
    _billing_tables()
    _science_tables()


def downgrade() -> None:
    """Drop the tables and the columns."""
    for table in (
        "publications", "analyses", "series", "animal_events", "waste", "invoice_lines",
        "invoices", "charges", "services",
    ):  # fmt: skip
        op.drop_table(table)
    with op.batch_alter_table("imaging_sessions") as batch:
        for name in ("notes", "injection_volume_ul", "injection_route"):
            batch.drop_column(name)
    with op.batch_alter_table("projects") as batch:
        batch.drop_column("radiation_permit")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("institution_id")
    op.drop_index("ix_bookings_instrument_end", "bookings")
    op.drop_table("institutions")
