"""Conductor's data model. `models.tables` imports every table (registering it on
`SQLModel.metadata`); `from models import Ticket` works too and imports them on first use.

The package itself imports nothing, so `models.settings` and `models.clock` load without
SQLModel and SQLAlchemy: `conductor --help` and commands that never open the database stay
quick (`python -X importtime -m cli --help`). Nothing here imports from `flows/` or `tasks/`.
"""

from __future__ import annotations

from typing import Any

_TABLE_NAMES = frozenset(
    {
        "ChatMessage",
        "ChatThread",
        "LlmCall",
        "OutboxEmail",
        "Person",
        "Sprint",
        "SprintSnapshot",
        "Summary",
        "SyncState",
        "Ticket",
        "TicketAssignee",
        "TicketEmbedding",
        "TicketEvent",
    }
)


def __getattr__(name: str) -> Any:
    if name in _TABLE_NAMES:
        from models import tables

        return getattr(tables, name)
    raise AttributeError(f"module 'models' has no attribute {name!r}")


__all__ = sorted(_TABLE_NAMES)
