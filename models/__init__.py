"""Conductor's data model. Importing this package registers every table on `SQLModel.metadata`.

Nothing here imports from `flows/` or `tasks/`.
"""

from models.assistant import ChatMessage, ChatThread, TicketEmbedding
from models.outbox import OutboxEmail, OutboxPost
from models.people import Person
from models.sprints import Sprint, SprintSnapshot
from models.summaries import LlmCall, Summary
from models.sync import SyncState
from models.tickets import Ticket, TicketAssignee, TicketEvent

__all__ = [
    "ChatMessage",
    "ChatThread",
    "LlmCall",
    "OutboxEmail",
    "OutboxPost",
    "Person",
    "Sprint",
    "SprintSnapshot",
    "Summary",
    "SyncState",
    "Ticket",
    "TicketAssignee",
    "TicketEmbedding",
    "TicketEvent",
]
