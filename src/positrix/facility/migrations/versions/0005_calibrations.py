"""Calibration records: scanner cross-calibration and dose-calibrator factors.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the table."""
    op.create_table(
        "calibrations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("device", sa.String(100), nullable=False),
        sa.Column("nuclide", sa.String(20), nullable=False),
        sa.Column("factor", sa.Float(), nullable=False),
        sa.Column("setting", sa.String(40), nullable=False),
        sa.Column("measured_at", sa.DateTime(), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.CheckConstraint("factor > 0", name="ck_calibrations_factor"),
        sa.CheckConstraint("kind IN ('scanner', 'dose_calibrator')", name="ck_calibrations_kind"),
    )
    op.create_index("ix_calibrations_lookup", "calibrations", ["kind", "device", "nuclide"])


def downgrade() -> None:
    """Drop the table."""
    op.drop_table("calibrations")
