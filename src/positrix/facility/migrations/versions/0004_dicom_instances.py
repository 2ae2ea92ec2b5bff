"""The DICOM node's instances: archive path, checksum, routing (project, animal) or triage.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the table."""
    op.create_table(
        "dicom_instances",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sop_instance_uid", sa.String(64), nullable=False, unique=True),
        sa.Column("sop_class_uid", sa.String(64), nullable=False),
        sa.Column("study_uid", sa.String(64), nullable=False),
        sa.Column("series_uid", sa.String(64), nullable=False),
        sa.Column("modality", sa.String(16), nullable=False),
        sa.Column("patient_id", sa.String(64), nullable=False),
        sa.Column("study_description", sa.String(200), nullable=False),
        sa.Column("accession", sa.String(64), nullable=False),
        sa.Column("study_date", sa.String(8), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("calling_ae", sa.String(16), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("project_id", sa.Integer(), sa.ForeignKey("projects.id"), nullable=True),
        sa.Column("animal", sa.String(60), nullable=False),
        sa.CheckConstraint("status IN ('routed', 'triage')", name="ck_dicom_status"),
    )
    op.create_index("ix_dicom_instances_study_uid", "dicom_instances", ["study_uid"])
    op.create_index("ix_dicom_instances_series_uid", "dicom_instances", ["series_uid"])


def downgrade() -> None:
    """Drop the table."""
    op.drop_table("dicom_instances")
