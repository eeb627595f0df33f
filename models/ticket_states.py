"""Where each ticket stood between its changes (`TicketState`), derived from `TicketEvent`.

The sprint metrics ask "what was every ticket of this sprint at each of these instants"; read
from the events, that is a window over the sprint's whole history and a pivot per instant,
seconds at 100k tickets. These rows hold the answer once per change instead: one row per
ticket per stretch of time in which none of its tracked fields (sprint, points, status,
removal) changed, keyed by the sprint it was in, so a sprint's states at any instant are a
range read of its own rows.

They are derived data, rebuilt by `tasks.metrics.state_spans` from the events and tickets, and
`TicketStateMarks` records what they were built from: readers use them only while that still
matches the stored data, and read the events otherwise.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Field, Index, SQLModel

#: `TicketState.since` of a ticket's first stretch: before every event it has.
BEGINNING = datetime(1, 1, 1, tzinfo=UTC)


class TicketState(SQLModel, table=True):
    """A ticket's state for instants `t` with `since < t <= until` (`until` None: still holds),
    the convention of the metrics ("at t we see the events with `at < t`"). `sprint_id` is ""
    for no sprint, so it can lead the key. On SQLite the rows are stored in key order (no
    rowid), so one sprint's rows are one contiguous read."""

    __table_args__ = (
        Index("ix_ticketstate_ticket_since", "ticket_id", "since"),
        {"sqlite_with_rowid": False},
    )

    sprint_id: str = Field(primary_key=True, max_length=36)
    ticket_id: str = Field(primary_key=True, max_length=36)
    since: datetime = Field(primary_key=True)
    until: datetime | None = None
    points: float | None = None
    status: str | None = None
    category: str | None = Field(default=None, max_length=16)
    status_since: datetime | None = None
    removed: bool = False


class TicketStateMarks(SQLModel, table=True):
    """What the `TicketState` rows were built from: the version of the fold, the count and
    newest id of the events and the count and newest `updated_at` of the tickets at that time
    (one row, `id` 1)."""

    id: int = Field(default=1, primary_key=True)
    fold_version: int
    events: int
    last_event_id: int | None = None
    tickets: int
    last_ticket_update: datetime | None = None
    built_at: datetime
