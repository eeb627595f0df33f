"""Conductor's data model. `models.tables` imports every table (registering it on
`SQLModel.metadata`); `from models import Ticket` works too and imports them on first use, so a
command that never opens the database never pays for SQLModel.

Importing this package installs the log escaping of `models.untrusted_text` (every entry point
imports `models`, so no log line of ours can carry a raw CR/LF or escape sequence from Notion
text).

Nothing here imports from `flows/` or `tasks/`.
"""

from __future__ import annotations

from typing import Any

from models.untrusted_text import install_log_escaping

install_log_escaping()

#: Every table class, by name: what `models.tables` imports and this package resolves lazily.
TABLE_NAMES = frozenset(
    {
        "ChatMessage",
        "ChatThread",
        "LlmCall",
        "NotionPublication",
        "OutboxEmail",
        "OutboxPost",
        "Person",
        "Sprint",
        "SprintHealth",
        "SprintSnapshot",
        "Summary",
        "SyncState",
        "Ticket",
        "TicketAssignee",
        "TicketEmbedding",
        "TicketEvent",
        "TicketState",
        "TicketStateMarks",
    }
)


def __getattr__(name: str) -> Any:
    if name in TABLE_NAMES:
        from models import tables

        return getattr(tables, name)
    raise AttributeError(f"module 'models' has no attribute {name!r}")


__all__ = sorted(TABLE_NAMES)
