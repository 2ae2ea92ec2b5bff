"""The first schema: users, projects, memberships, instruments, trainings, bookings, usage,
audit; active bookings of one instrument never overlap (a trigger on SQLite, an exclusion
constraint on PostgreSQL).

Revision ID: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_ACTIVE = "('requested', 'approved')"
_OVERLAP = (
    f'b.instrument_id = NEW.instrument_id AND b.status IN {_ACTIVE} AND b.start < NEW."end" '
    'AND NEW.start < b."end"'
)


def _times() -> list[sa.Column]:
    return [sa.Column("start", sa.DateTime(), nullable=False),
            sa.Column("end", sa.DateTime(), nullable=False)]  # fmt: skip


def upgrade() -> None:
    """Create the tables and the overlap rule."""
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("full_name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("group", sa.String(100), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=True),
        sa.CheckConstraint(
            "role IN ('admin', 'staff', 'pi', 'researcher', 'viewer')", name="ck_users_role"
        ),
    )
    op.create_table(
        "projects",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(40), nullable=False, unique=True),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("pi_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("rate_tier", sa.String(16), nullable=False),
        sa.Column("grant", sa.String(100), nullable=False),
        sa.Column("protocol", sa.String(100), nullable=False),
        sa.Column("protocol_expiry", sa.Date(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.CheckConstraint(
            "rate_tier IN ('internal', 'external', 'industry')", name="ck_projects_rate_tier"
        ),
        sa.CheckConstraint("status IN ('active', 'closed')", name="ck_projects_status"),
    )
    op.create_table(
        "memberships",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("project_id", sa.Integer(), sa.ForeignKey("projects.id"), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.UniqueConstraint("project_id", "user_id", name="uq_membership"),
    )
    op.create_table(
        "instruments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("modality", sa.String(40), nullable=False),
        sa.Column("rate_internal", sa.Float(), nullable=False),
        sa.Column("rate_external", sa.Float(), nullable=False),
        sa.Column("rate_industry", sa.Float(), nullable=False),
        sa.Column("min_billable_min", sa.Integer(), nullable=False),
        sa.Column("step_min", sa.Integer(), nullable=False),
        sa.CheckConstraint("min_billable_min >= 0 AND step_min > 0", name="ck_instruments_billing"),
        sa.CheckConstraint(
            "rate_internal >= 0 AND rate_external >= 0 AND rate_industry >= 0",
            name="ck_instruments_rates",
        ),
    )
    op.create_table(
        "trainings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("instrument_id", sa.Integer(), sa.ForeignKey("instruments.id"), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("expires", sa.Date(), nullable=True),
        sa.UniqueConstraint("user_id", "instrument_id", name="uq_training"),
        sa.CheckConstraint("level IN ('assisted', 'independent')", name="ck_trainings_level"),
    )
    op.create_table(
        "bookings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("instrument_id", sa.Integer(), sa.ForeignKey("instruments.id"), nullable=False),
        sa.Column("project_id", sa.Integer(), sa.ForeignKey("projects.id"), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        *_times(),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("assisted", sa.Boolean(), nullable=False),
        sa.CheckConstraint('"start" < "end"', name="ck_bookings_order"),
        sa.CheckConstraint(
            "status IN ('requested', 'approved', 'cancelled', 'no-show', 'completed')",
            name="ck_bookings_status",
        ),
    )
    op.create_index("ix_bookings_instrument_id", "bookings", ["instrument_id"])
    op.create_index("ix_bookings_project_id", "bookings", ["project_id"])
    op.create_index("ix_bookings_start", "bookings", ["start"])
    op.create_table(
        "usage",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "booking_id", sa.Integer(), sa.ForeignKey("bookings.id"), nullable=False, unique=True
        ),
        *_times(),
        sa.Column("operator_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.CheckConstraint('"start" < "end"', name="ck_usage_order"),
    )
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("table_name", sa.String(40), nullable=False),
        sa.Column("row_id", sa.Integer(), nullable=True),
        sa.Column("before", sa.Text(), nullable=False),
        sa.Column("after", sa.Text(), nullable=False),
        sa.Column("previous_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False, unique=True),
    )
    _overlap_rule()


def _overlap_rule() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute(
            "ALTER TABLE bookings ADD CONSTRAINT ex_bookings_overlap EXCLUDE USING gist "
            '(instrument_id WITH =, tsrange(start, "end") WITH &&) '
            f"WHERE (status IN {_ACTIVE})"
        )
        return
    for event, extra in (("INSERT", ""), ("UPDATE", " AND b.id <> NEW.id")):
        op.execute(
            f"CREATE TRIGGER tr_bookings_overlap_{event.lower()} BEFORE {event} ON bookings "
            f"WHEN NEW.status IN {_ACTIVE} AND EXISTS (SELECT 1 FROM bookings b WHERE "
            f"{_OVERLAP}{extra}) BEGIN SELECT RAISE(ABORT, 'booking overlaps an active booking'); "
            "END"
        )


def downgrade() -> None:
    """Drop everything this revision made."""
    for table in ("audit", "usage", "bookings", "trainings", "instruments", "memberships",
                  "projects", "users"):  # fmt: skip
        op.drop_table(table)
