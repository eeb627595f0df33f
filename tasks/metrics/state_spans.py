"""Build and check the `TicketState` rows: each ticket's tracked fields folded over its events.

The fold is the same rule as the SQL of `tasks.metrics.scope` ("the state at t is, per field,
the newest event with `at < t`, ties by insertion order; before a field's first event, that
event's old value; a field with no event keeps the ticket's column; `Ticket.removed_at` removes
from the moment it is set"), applied once per change instead of once per question.

Only writers refresh (the ingest and rollup flows), in one transaction: read commands never
write. A reader uses the rows only when `states_are_current` — the marks they were built from
(`FOLD_VERSION`, and the count and newest id of the events and tickets' newest `updated_at`)
still match the stored data; otherwise it reads the events, which is always right, only slower.
Conductor's writers only append events and move a ticket's `updated_at` whenever they change
it, so history they write, and history appended or deleted any other way (a test, an older
version, a restore), is never misread. An event edited in place is not seen by the marks:
`refresh_ticket_states(session, full=True)` folds everything again.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, text
from sqlmodel import Session

from models import Ticket, TicketEvent
from models.base import utcnow
from models.ticket_states import BEGINNING, TicketState, TicketStateMarks

logger = logging.getLogger(__name__)

EVENT = TicketEvent.__table__  # type: ignore[attr-defined]
TICKET = Ticket.__table__  # type: ignore[attr-defined]
STATE = TicketState.__table__  # type: ignore[attr-defined]
MARKS = TicketStateMarks.__table__  # type: ignore[attr-defined]

#: Tickets folded per round trip: bounds memory and keeps `IN (...)` below SQLite's limits.
_CHUNK = 5_000
#: The `TicketEvent` fields that make up a state (assignee events do not).
_FIELDS = ("sprint", "points", "status", "removed")
#: Bumped whenever `fold_ticket` changes what it writes: rows folded by another version are
#: then not current, and the next refresh folds every ticket again.
FOLD_VERSION = 1
#: The numeric prefix SQLite's `CAST(text AS REAL)` reads (anything else reads as 0).
_NUMBER_PREFIX = re.compile(r"\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


@dataclass(frozen=True)
class Marks:
    """What the stored data was when states were (or are to be) built from it."""

    events: int
    last_event_id: int | None
    tickets: int
    last_ticket_update: datetime | None


def stored_marks(session: Session) -> Marks:
    """The marks of the tickets and events as they are now: two aggregate reads."""
    events, last_event_id = session.execute(select(func.count(), func.max(EVENT.c.id))).one()
    tickets, last_update = session.execute(
        select(func.count(), func.max(TICKET.c.updated_at))
    ).one()
    return Marks(int(events), last_event_id, int(tickets), last_update)


def built_marks(session: Session) -> Marks | None:
    """The marks the `TicketState` rows were built from, or None if they never were."""
    row = session.execute(
        select(
            MARKS.c.events, MARKS.c.last_event_id, MARKS.c.tickets, MARKS.c.last_ticket_update
        ).where(MARKS.c.fold_version == FOLD_VERSION)
    ).first()
    return None if row is None else Marks(int(row[0]), row[1], int(row[2]), row[3])


def states_are_current(session: Session) -> bool:
    """True when the `TicketState` rows describe the tickets and events stored now."""
    built = built_marks(session)
    return built is not None and built == stored_marks(session)


def refresh_ticket_states(session: Session, *, full: bool = False) -> int:
    """Bring the `TicketState` rows up to date with the stored tickets and events, and record
    what they now describe; returns how many tickets were folded (0: already current).

    Incremental when the data only grew since the last build (new events and tickets, edited
    tickets): the tickets those touch are folded again. Anything else (history deleted or
    rewritten, another `FOLD_VERSION`, a first build, `full`) folds every ticket. The caller commits; until then readers see
    the old rows and the old marks, which still agree with each other.
    """
    _lock(session)
    now = stored_marks(session)
    built = built_marks(session)
    if built == now and not full:
        return 0
    changed = _changed_tickets(session, built, now) if built is not None and not full else None
    if changed is None:
        session.execute(delete(STATE))
        ids: Sequence[str] = (
            session.execute(select(TICKET.c.id).order_by(TICKET.c.id)).scalars().all()
        )
    else:
        ids = sorted(changed)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        if changed is not None:
            session.execute(delete(STATE).where(STATE.c.ticket_id.in_(chunk)))
        rows = list(_fold_tickets(session, chunk))
        if rows:
            session.execute(insert(STATE), rows)
    session.execute(delete(MARKS))
    session.execute(
        insert(MARKS).values(
            id=1,
            fold_version=FOLD_VERSION,
            events=now.events,
            last_event_id=now.last_event_id,
            tickets=now.tickets,
            last_ticket_update=now.last_ticket_update,
            built_at=utcnow(),
        )
    )
    logger.info(
        "Ticket states folded for %d tickets (%s)",
        len(ids),
        "changed" if changed is not None else "all",
    )
    return len(ids)


def _lock(session: Session) -> None:
    """Serialise refreshes: on PostgreSQL a transaction-scoped advisory lock, on SQLite the
    write lock (taken by a write before anything is read)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext('conductor.ticketstate'))"))
    else:
        session.execute(MARKS.update().values(built_at=MARKS.c.built_at))


def _changed_tickets(session: Session, built: Marks, now: Marks) -> set[str] | None:
    """The tickets to fold again when the data only grew since `built`, else None.

    Grew: every event counted then is still there (the count rose by exactly the events with a
    newer id), and every ticket counted then still is (the count rose by exactly the tickets
    that have no state yet)."""
    newer = EVENT.c.id > (built.last_event_id or 0)
    new_events = session.execute(select(func.count()).where(newer)).scalar_one()
    # NOT EXISTS, not NOT IN: PostgreSQL plans the latter as a subplan per ticket once the
    # states outgrow its hash memory.
    unknown = ~select(STATE.c.ticket_id).where(STATE.c.ticket_id == TICKET.c.id).exists()
    new_tickets = set(session.execute(select(TICKET.c.id).where(unknown)).scalars())
    if now.events != built.events + new_events or now.tickets != built.tickets + len(new_tickets):
        return None
    touched = set(session.execute(select(EVENT.c.ticket_id).where(newer).distinct()).scalars())
    if built.last_ticket_update is not None:
        edited = TICKET.c.updated_at >= built.last_ticket_update
        touched.update(session.execute(select(TICKET.c.id).where(edited)).scalars())
    return touched | new_tickets


def _fold_tickets(session: Session, ids: Sequence[str]) -> Iterator[dict[str, Any]]:
    """The `TicketState` rows of the tickets `ids` (those that exist), from their events."""
    tickets = session.execute(
        select(
            TICKET.c.id,
            TICKET.c.sprint_id,
            TICKET.c.points,
            TICKET.c.status,
            TICKET.c.status_category,
            TICKET.c.last_edited_time,
            TICKET.c.removed_at,
        ).where(TICKET.c.id.in_(ids))
    ).all()
    events = session.execute(
        select(
            EVENT.c.ticket_id,
            EVENT.c.at,
            EVENT.c.id,
            EVENT.c.field,
            EVENT.c.old_value,
            EVENT.c.new_value,
            EVENT.c.old_category,
            EVENT.c.new_category,
            EVENT.c.old_sprint_id,
            EVENT.c.new_sprint_id,
        )
        .where(EVENT.c.ticket_id.in_(ids), or_(*(EVENT.c.field == f for f in _FIELDS)))
        .order_by(EVENT.c.ticket_id, EVENT.c.at, EVENT.c.id)
    ).all()
    by_ticket = {key: list(rows) for key, rows in groupby(events, key=lambda row: row[0])}
    for ticket in tickets:
        yield from fold_ticket(ticket, by_ticket.get(ticket[0], ()))


def fold_ticket(ticket: Sequence[Any], events: Iterable[Sequence[Any]]) -> Iterator[dict[str, Any]]:
    """One ticket's stretches, oldest first. `ticket`: (id, sprint_id, points, status,
    status_category, last_edited_time, removed_at); `events`: its tracked events as (ticket_id,
    at, id, field, old_value, new_value, old_category, new_category, old_sprint_id,
    new_sprint_id), in (at, id) order."""
    ticket_id, sprint_id, points, status, category, edited, removed_at = ticket
    events = list(events)
    first: dict[str, Sequence[Any]] = {}
    for event in events:
        first.setdefault(event[3], event)
    # Before its first event a field holds that event's old value; without events, the column.
    state: dict[str, Any] = {
        "sprint_id": first["sprint"][8] if "sprint" in first else sprint_id,
        "points": _points(first["points"][4]) if "points" in first else points,
        "status": first["status"][4] if "status" in first else status,
        "category": first["status"][6] if "status" in first else category,
        "status_since": None if "status" in first else edited,
        "removed": "removed" in first and first["removed"][4] == "1",
    }
    gone = False
    since: datetime = BEGINNING
    instants = sorted({event[1] for event in events} | ({removed_at} if removed_at else set()))
    pending = iter(events)
    event = next(pending, None)
    for instant in instants:
        yield _row(ticket_id, since, instant, state, gone)
        while event is not None and event[1] == instant:
            _apply(state, event)
            event = next(pending, None)
        gone = gone or instant == removed_at
        since = instant
    yield _row(ticket_id, since, None, state, gone)


def _apply(state: dict[str, Any], event: Sequence[Any]) -> None:
    """The state after `event` (its new values)."""
    field = event[3]
    if field == "sprint":
        state["sprint_id"] = event[9]
    elif field == "points":
        state["points"] = _points(event[5])
    elif field == "status":
        state.update(status=event[5], category=event[7], status_since=event[1])
    else:
        state["removed"] = event[5] == "1"


def _row(
    ticket_id: str, since: datetime, until: datetime | None, state: dict[str, Any], gone: bool
) -> dict[str, Any]:
    return {
        "ticket_id": ticket_id,
        "since": since,
        "until": until,
        **state,
        "sprint_id": state["sprint_id"] or "",
        "removed": bool(state["removed"] or gone),
    }


def _points(value: str | None) -> float | None:
    """A points event's text as a number, as SQLite's `CAST(... AS FLOAT)` in `ticket_states`
    reads it: its numeric prefix, else 0 ("3 pts" is 3, "inf" is 0). Conductor writes plain
    numbers (PostgreSQL's cast would refuse anything else)."""
    if value is None:
        return None
    number = _NUMBER_PREFIX.match(value)
    return float(number.group()) if number else 0.0
