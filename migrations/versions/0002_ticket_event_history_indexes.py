"""ticket event history indexes

Sprint metrics look up one sprint's tickets through their sprint events and then read those
tickets' events in order; without these indexes every metric statement scans the whole table.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ticketevent", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ticketevent_ticket_field_at", ["ticket_id", "field", "at"], unique=False
        )
        batch_op.create_index("ix_ticketevent_new_sprint", ["new_sprint_id", "field"], unique=False)
        batch_op.create_index("ix_ticketevent_old_sprint", ["old_sprint_id", "field"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ticketevent", schema=None) as batch_op:
        batch_op.drop_index("ix_ticketevent_old_sprint")
        batch_op.drop_index("ix_ticketevent_new_sprint")
        batch_op.drop_index("ix_ticketevent_ticket_field_at")
