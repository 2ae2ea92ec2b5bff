"""Animals, imaging sessions with their injections, and radiotracer batches.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the three tables."""
    op.create_table(
        "tracer_batches",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("lot", sa.String(60), nullable=False, unique=True),
        sa.Column("tracer", sa.String(60), nullable=False),
        sa.Column("nuclide", sa.String(20), nullable=False),
        sa.Column("eos_time", sa.DateTime(), nullable=False),
        sa.Column("eos_activity_bq", sa.Float(), nullable=False),
        sa.Column("molar_activity_gbq_per_umol", sa.Float(), nullable=True),
        sa.CheckConstraint("eos_activity_bq > 0", name="ck_batches_activity"),
    )
    op.create_table(
        "animals",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("facility_id", sa.String(60), nullable=False, unique=True),
        sa.Column("project_id", sa.Integer(), sa.ForeignKey("projects.id"), nullable=False),
        sa.Column("species", sa.String(60), nullable=False),
        sa.Column("strain", sa.String(100), nullable=False),
        sa.Column("sex", sa.String(1), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("genetic_modification", sa.String(200), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("cohort", sa.String(100), nullable=False),
        sa.Column("endpoint", sa.Date(), nullable=True),
        sa.CheckConstraint("sex IN ('M', 'F', 'O')", name="ck_animals_sex"),
    )
    op.create_index("ix_animals_project_id", "animals", ["project_id"])
    op.create_table(
        "imaging_sessions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("animal_id", sa.Integer(), sa.ForeignKey("animals.id"), nullable=False),
        sa.Column("instrument_id", sa.Integer(), sa.ForeignKey("instruments.id"), nullable=False),
        sa.Column("booking_id", sa.Integer(), sa.ForeignKey("bookings.id"), nullable=True),
        sa.Column("operator_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("start", sa.DateTime(), nullable=False),
        sa.Column("weight_g", sa.Float(), nullable=True),
        sa.Column("anaesthesia", sa.String(100), nullable=False),
        sa.Column("fasting_h", sa.Float(), nullable=True),
        sa.Column("glucose_mmol_l", sa.Float(), nullable=True),
        sa.Column("warming", sa.Boolean(), nullable=False),
        sa.Column("batch_id", sa.Integer(), sa.ForeignKey("tracer_batches.id"), nullable=True),
        sa.Column("injection_time", sa.DateTime(), nullable=True),
        sa.Column("injected_before_bq", sa.Float(), nullable=True),
        sa.Column("injected_before_time", sa.DateTime(), nullable=True),
        sa.Column("residual_bq", sa.Float(), nullable=False),
        sa.Column("residual_time", sa.DateTime(), nullable=True),
        sa.Column("hotel_position", sa.String(20), nullable=False),
        sa.CheckConstraint(
            "injected_before_bq IS NULL OR injected_before_bq > 0", name="ck_sessions_dose"
        ),
        sa.CheckConstraint("residual_bq >= 0", name="ck_sessions_residual"),
    )
    op.create_index("ix_imaging_sessions_animal_id", "imaging_sessions", ["animal_id"])


def downgrade() -> None:
    """Drop the three tables."""
    for table in ("imaging_sessions", "animals", "tracer_batches"):
        op.drop_table(table)
