"""sprint health

The last forecast announced per sprint, so a change of health is emitted as a Prefect event
once (for automations), not on every rollup.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sprinthealth",
        sa.Column("sprint_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("forecast", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("changed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("checked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("sprint_id"),
    )


def downgrade() -> None:
    op.drop_table("sprinthealth")
