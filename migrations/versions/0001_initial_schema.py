"""initial schema

Revision ID: 0001
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "chatmessage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("thread_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("content", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column(
            "citations",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "meta",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chatmessage")),
    )
    with op.batch_alter_table("chatmessage", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_chatmessage_thread_id"), ["thread_id"], unique=False)

    op.create_table(
        "chatthread",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chatthread")),
    )
    op.create_table(
        "llmcall",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("purpose", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("model", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("completion_tokens", sa.Integer(), nullable=False),
        sa.Column("cost_usd", sa.Float(), nullable=False),
        sa.Column("latency_ms", sa.Integer(), nullable=False),
        sa.Column("cache_hit", sa.Boolean(), nullable=False),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_llmcall")),
    )
    with op.batch_alter_table("llmcall", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_llmcall_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_llmcall_purpose"), ["purpose"], unique=False)

    op.create_table(
        "outboxemail",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("audience", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("sprint_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
        sa.Column("period", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column(
            "recipients",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("provider_message_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("eml_path", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("claimed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("sent_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column(
            "meta",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outboxemail")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_outboxemail_idempotency_key")),
    )
    with op.batch_alter_table("outboxemail", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outboxemail_status"), ["status"], unique=False)

    op.create_table(
        "person",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("type", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("avatar_url", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person")),
    )
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_person_email"), ["email"], unique=False)
        batch_op.create_index(batch_op.f("ix_person_name"), ["name"], unique=False)

    op.create_table(
        "sprint",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("data_source_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("start", sa.Date(), nullable=True),
        sa.Column("end", sa.Date(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("created_time", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("last_edited_time", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column(
            "raw",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "parse_errors",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("first_seen_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("removed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sprint")),
    )
    with op.batch_alter_table("sprint", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sprint_data_source_id"), ["data_source_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_sprint_last_edited_time"), ["last_edited_time"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_sprint_name"), ["name"], unique=False)
        batch_op.create_index(batch_op.f("ix_sprint_start"), ["start"], unique=False)

    op.create_table(
        "sprintsnapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sprint_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("scope_points", sa.Float(), nullable=False),
        sa.Column("completed_points", sa.Float(), nullable=False),
        sa.Column("remaining_points", sa.Float(), nullable=False),
        sa.Column("scope_count", sa.Integer(), nullable=False),
        sa.Column("done_count", sa.Integer(), nullable=False),
        sa.Column("blocked_count", sa.Integer(), nullable=False),
        sa.Column("unpointed_count", sa.Integer(), nullable=False),
        sa.Column("derived", sa.Boolean(), nullable=False),
        sa.Column("recorded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sprintsnapshot")),
        sa.UniqueConstraint("sprint_id", "day", name="uq_snapshot_sprint_day"),
    )
    with op.batch_alter_table("sprintsnapshot", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sprintsnapshot_sprint_id"), ["sprint_id"], unique=False
        )

    op.create_table(
        "summary",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("sprint_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("generated_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column(
            "facts",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("facts_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("completion_tokens", sa.Integer(), nullable=False),
        sa.Column("cost_usd", sa.Float(), nullable=False),
        sa.Column("cached", sa.Boolean(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_summary")),
        sa.UniqueConstraint("day", name="uq_summary_day"),
    )
    op.create_table(
        "syncstate",
        sa.Column("data_source_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("database_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
        sa.Column("cursor", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("last_full_scan_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("last_run_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column(
            "last_run_stats",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("data_source_id", name=op.f("pk_syncstate")),
    )
    op.create_table(
        "ticket",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("data_source_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("status_category", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("points", sa.Float(), nullable=True),
        sa.Column("sprint_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
        sa.Column("priority", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column(
            "tags",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("due_start", sa.Date(), nullable=True),
        sa.Column("due_end", sa.Date(), nullable=True),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("created_by_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
        sa.Column("created_time", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("last_edited_time", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column(
            "raw",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "parse_errors",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("content_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("first_seen_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("removed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket")),
    )
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ticket_data_source_id"), ["data_source_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_ticket_key"), ["key"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_ticket_last_edited_time"), ["last_edited_time"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_ticket_removed_at"), ["removed_at"], unique=False)
        batch_op.create_index(
            "ix_ticket_sprint_status", ["sprint_id", "status_category"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_ticket_status"), ["status"], unique=False)

    op.create_table(
        "ticketassignee",
        sa.Column("ticket_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("person_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("ticket_id", "person_id", name=op.f("pk_ticketassignee")),
    )
    with op.batch_alter_table("ticketassignee", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ticketassignee_person_id"), ["person_id"], unique=False
        )

    op.create_table(
        "ticketembedding",
        sa.Column("ticket_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("model", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("content_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("dims", sa.Integer(), nullable=False),
        sa.Column(
            "vector",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_ticketembedding")),
    )
    op.create_table(
        "ticketevent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("field", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("old_value", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("new_value", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("old_category", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("new_category", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("old_sprint_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
        sa.Column("new_sprint_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("observed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("derived", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticketevent")),
    )
    with op.batch_alter_table("ticketevent", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ticketevent_field"), ["field"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("ticketevent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticketevent_field"))

    op.drop_table("ticketevent")
    op.drop_table("ticketembedding")
    with op.batch_alter_table("ticketassignee", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticketassignee_person_id"))

    op.drop_table("ticketassignee")
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticket_status"))
        batch_op.drop_index("ix_ticket_sprint_status")
        batch_op.drop_index(batch_op.f("ix_ticket_removed_at"))
        batch_op.drop_index(batch_op.f("ix_ticket_last_edited_time"))
        batch_op.drop_index(batch_op.f("ix_ticket_key"))
        batch_op.drop_index(batch_op.f("ix_ticket_data_source_id"))

    op.drop_table("ticket")
    op.drop_table("syncstate")
    op.drop_table("summary")
    with op.batch_alter_table("sprintsnapshot", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sprintsnapshot_sprint_id"))

    op.drop_table("sprintsnapshot")
    with op.batch_alter_table("sprint", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sprint_start"))
        batch_op.drop_index(batch_op.f("ix_sprint_name"))
        batch_op.drop_index(batch_op.f("ix_sprint_last_edited_time"))
        batch_op.drop_index(batch_op.f("ix_sprint_data_source_id"))

    op.drop_table("sprint")
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_name"))
        batch_op.drop_index(batch_op.f("ix_person_email"))

    op.drop_table("person")
    with op.batch_alter_table("outboxemail", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outboxemail_status"))

    op.drop_table("outboxemail")
    with op.batch_alter_table("llmcall", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_llmcall_purpose"))
        batch_op.drop_index(batch_op.f("ix_llmcall_created_at"))

    op.drop_table("llmcall")
    op.drop_table("chatthread")
    with op.batch_alter_table("chatmessage", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chatmessage_thread_id"))

    op.drop_table("chatmessage")
