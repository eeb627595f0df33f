"""ticket event index for one day's changes

The daily summary reads the status and sprint events of one day; without an index on
(field, at) that read scans the whole history, which grows with every sync.

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ticketevent", schema=None) as batch_op:
        batch_op.create_index("ix_ticketevent_field_at", ["field", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ticketevent", schema=None) as batch_op:
        batch_op.drop_index("ix_ticketevent_field_at")
