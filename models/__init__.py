"""Conductor's data model. Importing this package registers every table on `SQLModel.metadata`
and installs the log escaping of `models.untrusted_text` (every entry point imports `models`,
so no log line of ours can carry a raw CR/LF or escape sequence from Notion text).

Nothing here imports from `flows/` or `tasks/`.
"""

from models.assistant import ChatMessage, ChatThread, TicketEmbedding
from models.health import SprintHealth
from models.outbox import OutboxEmail, OutboxPost
from models.people import Person
from models.publications import NotionPublication
from models.sprints import Sprint, SprintSnapshot
from models.summaries import LlmCall, Summary
from models.sync import SyncState
from models.tickets import Ticket, TicketAssignee, TicketEvent
from models.untrusted_text import install_log_escaping

install_log_escaping()

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
