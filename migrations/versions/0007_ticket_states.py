"""ticket states between changes, derived from the events

The sprint metrics read each ticket's state at a sprint's instants; `ticketstate` holds those
states once per change (rebuilt from `ticketevent`), and `ticketstatemarks` what they were
built from.

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ticketstate",
        sa.Column("sprint_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("ticket_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("since", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("points", sa.Float(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("status_since", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("removed", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("sprint_id", "ticket_id", "since", name=op.f("pk_ticketstate")),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_ticketstate_ticket_since", "ticketstate", ["ticket_id", "since"])
    op.create_table(
        "ticketstatemarks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fold_version", sa.Integer(), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("last_event_id", sa.Integer(), nullable=True),
        sa.Column("tickets", sa.Integer(), nullable=False),
        sa.Column("last_ticket_update", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("built_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticketstatemarks")),
    )


def downgrade() -> None:
    op.drop_table("ticketstatemarks")
    op.drop_index("ix_ticketstate_ticket_since", table_name="ticketstate")
    op.drop_table("ticketstate")
