"""chat outbox (outboxpost): one row per chat message and Apprise URL

Chat posts (CONDUCTOR_NOTIFY_URLS) are delivered at most once per message and URL, through the
same claim protocol as the email outbox. The URL is never stored, only its SHA-256.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outboxpost",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("message_key", sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False),
        sa.Column("url_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("service", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("claimed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("sent_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outboxpost")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_outboxpost_idempotency_key")),
    )
    with op.batch_alter_table("outboxpost", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outboxpost_message_key"), ["message_key"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_outboxpost_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outboxpost", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outboxpost_status"))
        batch_op.drop_index(batch_op.f("ix_outboxpost_message_key"))
    op.drop_table("outboxpost")
