"""Every table, imported: what `SQLModel.metadata` must hold before migrations compare against it
or a session is opened. `models.db` imports this, so opening a database registers them all."""

from models.assistant import ChatMessage, ChatThread, TicketEmbedding
from models.health import SprintHealth
from models.outbox import OutboxEmail, OutboxPost
from models.people import Person
from models.publications import NotionPublication
from models.sprints import Sprint, SprintSnapshot
from models.summaries import LlmCall, Summary
from models.sync import SyncState
from models.tickets import Ticket, TicketAssignee, TicketEvent

__all__ = [
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
]
