"""Tickets, their assignees, and the changes we observed (`TicketEvent`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, insert, update
from sqlmodel import Field, Index, Session, SQLModel

from models.base import json_field, utcnow
from models.upsert import upsert_seen_pages

#: Status categories: from the Notion status property's groups (To-do / In progress / Complete),
#: plus `canceled` (a status in `CONDUCTOR_CANCELED_STATUSES` or mapped so), which is work
#: abandoned rather than done and never counts as completed.
TODO, IN_PROGRESS, COMPLETE, CANCELED = "todo", "in_progress", "complete", "canceled"


def fold_status(name: str) -> str:
    """A status name as settings lists are matched against it: case-insensitive, and with a
    typographic apostrophe (U+2019) read as a plain one, since Notion users type both."""
    return name.replace("\u2019", "'").lower()


class Ticket(SQLModel, table=True):
    """A page of the Tickets data source.

    Typed columns hold the mapped fields; `raw` keeps every Notion property as returned, so a
    remapping never needs a re-download. `parse_errors` lists properties that could not be read
    (`{"property", "type", "error"}`); the ticket is stored anyway. `content_hash` fingerprints the
    mapped fields so a re-sync can tell updated rows from unchanged ones.
    """

    __table_args__ = (Index("ix_ticket_sprint_status", "sprint_id", "status_category"),)

    id: str = Field(primary_key=True, max_length=36)
    data_source_id: str = Field(index=True, max_length=36)
    key: str | None = Field(default=None, index=True, max_length=64)
    title: str = ""
    description: str = ""
    status: str | None = Field(default=None, index=True)
    status_category: str | None = Field(default=None, max_length=16)
    points: float | None = None
    sprint_id: str | None = Field(default=None, max_length=36)
    priority: str | None = None
    tags: list[str] = json_field(default_factory=list)
    due_start: date | None = None
    due_end: date | None = None
    url: str | None = None
    created_by_id: str | None = Field(default=None, max_length=36)
    created_time: datetime | None = None
    last_edited_time: datetime | None = Field(default=None, index=True)
    raw: dict[str, Any] = json_field()
    parse_errors: list[dict[str, Any]] = json_field(default_factory=list)
    content_hash: str = Field(default="", max_length=64)
    first_seen_at: datetime = Field(default_factory=utcnow)
    removed_at: datetime | None = Field(default=None, index=True)
    updated_at: datetime = Field(default_factory=utcnow)


class TicketAssignee(SQLModel, table=True):
    """Who a ticket is assigned to (many-to-many, in Notion property order)."""

    ticket_id: str = Field(primary_key=True, max_length=36)
    person_id: str = Field(primary_key=True, max_length=36, index=True)
    position: int = 0


class TicketEvent(SQLModel, table=True):
    """A change of status, points, sprint, assignees or removal that a sync observed.

    Notion's API keeps no history, so this table *is* the history that burndown, scope change
    and cycle time read. One row per field change:

    - `field`: `status` (values are status names; `old_category`/`new_category` hold their
      categories), `points` (decimal text or NULL), `sprint` (`old_sprint_id`/`new_sprint_id`),
      `assignees` (sorted comma-joined person ids) or `removed` (`new_value` "1" when the page
      was trashed/left the data source, NULL when it came back).
    - `at`: when the change happened as best we know (the page's `last_edited_time`).
    - `derived`: True for the events written when a ticket is first seen, which reconstruct
      its past from timestamps: sprint and points as of `created_time`, and status as of
      `created_time` (to-do) or `last_edited_time` (the state it was first seen in).
      Assignees get no first-seen event: the current ones are in `TicketAssignee`, and each
      later `assignees` event carries the previous list as `old_value`.
    """

    # Sprint metrics read one sprint's tickets (found through their sprint events) and then
    # those tickets' history in order; the daily summary reads one day's status and sprint
    # events. These keep all of them off a scan of the whole table.
    __table_args__ = (
        Index("ix_ticketevent_ticket_field_at", "ticket_id", "field", "at"),
        Index("ix_ticketevent_field_at", "field", "at"),
        Index("ix_ticketevent_new_sprint", "new_sprint_id", "field"),
        Index("ix_ticketevent_old_sprint", "old_sprint_id", "field"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: str = Field(max_length=36)
    field: str = Field(max_length=16, index=True)
    old_value: str | None = None
    new_value: str | None = None
    old_category: str | None = Field(default=None, max_length=16)
    new_category: str | None = Field(default=None, max_length=16)
    old_sprint_id: str | None = Field(default=None, max_length=36)
    new_sprint_id: str | None = Field(default=None, max_length=36)
    at: datetime
    observed_at: datetime = Field(default_factory=utcnow)
    derived: bool = False


#: Ticket columns a parsed page provides; the rest are bookkeeping set here.
_TRACKED_COLUMNS = ("content_hash", "last_edited_time", "removed_at")


def upsert_tickets(
    session: Session,
    rows: Sequence[dict[str, Any]],
    assignees: dict[str, Sequence[str]],
) -> None:
    """Upsert parsed ticket rows keyed by Notion page id, and replace assignee lists.

    A row is rewritten only when its content hash, edit time or removal state changed, so a
    re-sync of unchanged pages writes nothing. `assignees` maps ticket id → person ids in order;
    only the tickets it names get their assignee links replaced (pass the changed ones).
    Seeing a page again clears `removed_at` (a page restored from Notion's trash comes back).
    """
    if not rows:
        return
    upsert_seen_pages(session, Ticket, rows, compare=_TRACKED_COLUMNS)
    ids = list(assignees)
    if not ids:
        return
    link = TicketAssignee.__table__  # type: ignore[attr-defined]
    connection = session.connection()
    connection.execute(delete(link).where(link.c.ticket_id.in_(ids)))
    links = [
        {"ticket_id": ticket_id, "person_id": person_id, "position": position}
        for ticket_id in ids
        for position, person_id in enumerate(dict.fromkeys(assignees.get(ticket_id, ())))
    ]
    if links:
        connection.execute(insert(link), links)


def mark_tickets_removed(session: Session, ids: Sequence[str], at: datetime) -> int:
    """Flag tickets as removed (trashed, archived or gone from the data source); returns count.

    Rows are kept, not deleted: history and past sprint reports still need them.
    """
    if not ids:
        return 0
    table = Ticket.__table__  # type: ignore[attr-defined]
    result = session.execute(
        update(table)
        .where(table.c.id.in_(list(ids)), table.c.removed_at.is_(None))
        .values(removed_at=at, updated_at=at)
    )
    return int(result.rowcount or 0)
