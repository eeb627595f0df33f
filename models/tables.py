"""Every table, imported: what `SQLModel.metadata` must hold before migrations compare against it
or a session is opened. `models.db` imports this, so opening a database registers them all.

The names are `models.TABLE_NAMES`, the one list (the package resolves them lazily from here);
an import below missing from it, or the other way round, fails `tests/test_layout.py`."""

from models import TABLE_NAMES
from models.assistant import ChatMessage, ChatThread, TicketEmbedding  # noqa: F401
from models.health import SprintHealth  # noqa: F401
from models.outbox import OutboxEmail, OutboxPost  # noqa: F401
from models.people import Person  # noqa: F401
from models.publications import NotionPublication  # noqa: F401
from models.sprints import Sprint, SprintSnapshot  # noqa: F401
from models.summaries import LlmCall, Summary  # noqa: F401
from models.sync import SyncState  # noqa: F401
from models.ticket_states import TicketState, TicketStateMarks  # noqa: F401
from models.tickets import Ticket, TicketAssignee, TicketEvent  # noqa: F401

__all__ = sorted(TABLE_NAMES)
