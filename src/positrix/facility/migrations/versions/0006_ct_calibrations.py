"""CT Hounsfield calibrations join the calibration records (kind ``ct_hu``).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Allow kind 'ct_hu'."""
    with op.batch_alter_table("calibrations") as batch:
        batch.drop_constraint("ck_calibrations_kind", type_="check")
        batch.create_check_constraint(
            "ck_calibrations_kind", "kind IN ('scanner', 'dose_calibrator', 'ct_hu')"
        )


def downgrade() -> None:
    """Back to the two PET kinds (fails while ct_hu rows exist)."""
    with op.batch_alter_table("calibrations") as batch:
        batch.drop_constraint("ck_calibrations_kind", type_="check")
        batch.create_check_constraint(
            "ck_calibrations_kind", "kind IN ('scanner', 'dose_calibrator')"
        )
