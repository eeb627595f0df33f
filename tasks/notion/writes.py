"""Writing one page of query results: upserts, events and the cursor, in one transaction.

Why a module of its own: this is where the sync's crash-safety lives. Each page of results is
diffed against what is stored, upserted, turned into `TicketEvent`s (`events.py`), and the data
source's cursor is moved to the newest edit time of that page — all in **one transaction**, so
the cursor can never run ahead of committed data. Pages seen again are recognised as unchanged
by their content hash and write nothing. After a *complete* scan (every window read whole),
stored rows the scan should have returned and did not are marked removed — all of the source's
after a full scan, the open sprints' tickets after an incremental one — and the run is recorded
on the source's `SyncState`. An incomplete scan concludes no removal and is no full scan.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlmodel import Session

from models import Person, SyncState, Ticket, TicketAssignee, TicketEvent
from models.base import as_utc, utcnow
from models.people import upsert_people
from models.settings import Settings
from models.sprints import Sprint, upsert_sprints
from models.tickets import mark_tickets_removed, upsert_tickets
from tasks.notion.client import NotionGateway
from tasks.notion.events import (
    FIELD_COLUMNS,
    change_events,
    first_seen_events,
    keep_stored_values_of_unreadable_properties,
    ticket_event,
)
from tasks.notion.mapping import SprintMapping, TicketMapping
from tasks.notion.parse import (
    choose_latest_sprint,
    complete_cut_properties,
    parse_sprint_pages,
    parse_ticket_pages,
)
from tasks.notion.plan import TICKETS, SourcePlan
from tasks.notion.rows import ParsedTicket

COUNT_FIELDS = ("fetched", "created", "updated", "unchanged", "removed", "quarantined")


@dataclass
class Counts:
    """What a sync did to the rows it saw (tickets and sprints alike)."""

    fetched: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    quarantined: int = 0

    def add(self, other: Counts) -> None:
        for name in COUNT_FIELDS:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class BatchResult(Counts):
    """What one page of query results did to the database."""

    seen_ids: list[str] = field(default_factory=list)
    newest_edit: datetime | None = None
    #: Results in this page of the query (quarantined ones included), for progress bars.
    page_size: int = 0
    #: Where the next page of the query starts; None after the last page.
    next_cursor: str | None = None
    #: Notion cut this query at its result limit (`request_status` incomplete).
    incomplete: bool = False
    #: The last sort value the page returned in the window's order (`windows.sort_value`).
    last_sort_value: Any = None
    #: Users met on changed tickets that no stored person has: the users list is worth reading.
    unknown_people: int = 0


def write_batch(
    session: Session,
    plan: SourcePlan,
    pages: Sequence[dict[str, Any]],
    settings: Settings,
    gateway: NotionGateway | None,
    now: datetime | None = None,
) -> BatchResult:
    """Parse, upsert and advance the cursor for one page of results, in one committed transaction."""
    now = now or utcnow()
    if plan.kind == TICKETS:
        assert isinstance(plan.mapping, TicketMapping)
        parsed = parse_ticket_pages(pages, plan.mapping, plan.data_source_id, None, settings.tz)
        as_stored = _cut_but_unchanged(session, [t for t in parsed if t.relation_overflow])
        to_write = [t for t in parsed if t.row["id"] not in as_stored]
        if gateway is not None:
            complete_cut_properties([t for t in to_write if t.relation_overflow], gateway)
        sprint_table = Sprint.__table__  # type: ignore[attr-defined]
        starts = {
            row.id: row.start
            for row in session.execute(select(sprint_table.c.id, sprint_table.c.start))
        }
        choose_latest_sprint(to_write, starts)
        result = write_ticket_batch(session, to_write, now)
        result.fetched += len(pages) - len(to_write)
        result.unchanged += len(as_stored)
        result.quarantined += len(pages) - len(parsed)
        result.seen_ids += sorted(as_stored)
        result.newest_edit = latest_edit(ticket.row for ticket in parsed)
    else:
        assert isinstance(plan.mapping, SprintMapping)
        result = write_sprint_batch(
            session, pages, plan.mapping, plan.data_source_id, settings, now
        )
    advance_cursor(session, plan, result.newest_edit, now)
    session.commit()
    return result


def _cut_but_unchanged(session: Session, cut: Sequence[ParsedTicket]) -> set[str]:
    """Tickets with a property Notion may have cut at 25 whose page reads exactly as stored
    (same edit time, same property JSON): reading the property whole again would cost a
    request per ticket on every sync that sees them (an open sprint's tickets, every run)."""
    if not cut:
        return set()
    table = Ticket.__table__  # type: ignore[attr-defined]
    rows = session.execute(
        select(table.c.id, table.c.last_edited_time, table.c.raw, table.c.removed_at).where(
            table.c.id.in_([t.row["id"] for t in cut])
        )
    )
    stored = {r.id: r for r in rows}
    same = set()
    for ticket in cut:
        old = stored.get(ticket.row["id"])
        if (
            old is not None
            and old.removed_at is None
            and not ticket.removed
            and as_utc(old.last_edited_time) == as_utc(ticket.row["last_edited_time"])
            and old.raw == ticket.row["raw"]
        ):
            same.add(ticket.row["id"])
    return same


def write_ticket_batch(
    session: Session, parsed: Sequence[ParsedTicket], now: datetime
) -> BatchResult:
    """Upsert one page of parsed tickets, record their changes as events, count what happened.

    Trashed/archived pages (they can be returned by a page retrieve, never by a query) are
    marked removed. Does not commit: the caller commits together with the cursor.
    """
    result = BatchResult(fetched=len(parsed))
    live = [p for p in parsed if not p.removed]
    gone = [p.row["id"] for p in parsed if p.removed]
    stored = _stored_state(session, [p.row["id"] for p in live]) if live else {}
    events: list[dict[str, Any]] = []
    changed: list[ParsedTicket] = []
    for ticket in live:
        row = ticket.row
        if row.get("parse_errors"):
            result.quarantined += 1
        old = stored.get(row["id"])
        if old is not None and row.get("parse_errors"):
            keep_stored_values_of_unreadable_properties(ticket, old)
        if old is None:
            result.created += 1
            events.extend(first_seen_events(row, now))
            changed.append(ticket)
        elif old["content_hash"] != row["content_hash"] or old["removed_at"] is not None:
            result.updated += 1
            events.extend(change_events(old, row, ticket.assignee_ids, now))
            changed.append(ticket)
        else:
            result.unchanged += 1
    result.newest_edit = latest_edit(ticket.row for ticket in parsed)
    result.seen_ids = [p.row["id"] for p in live]
    people = [_person_row(person) for ticket in changed for person in ticket.people]
    if people:
        result.unknown_people = _count_unknown(session, {p["id"] for p in people})
        upsert_people(session, people)
    if live:
        # Rows whose content hash and edit time are unchanged are not rewritten (upsert compare);
        # an unchanged hash with a newer edit time (an unmapped property edited) refreshes `raw`.
        upsert_tickets(
            session, [p.row for p in live], {p.row["id"]: p.assignee_ids for p in changed}
        )
    if events:
        session.connection().execute(TicketEvent.__table__.insert(), events)  # type: ignore[attr-defined]
    if gone:
        result.removed += _remove_tickets(session, gone, now)
    return result


def _count_unknown(session: Session, person_ids: set[str]) -> int:
    table = Person.__table__  # type: ignore[attr-defined]
    known = {
        r[0] for r in session.execute(select(table.c.id).where(table.c.id.in_(list(person_ids))))
    }
    return len(person_ids - known)


def _remove_tickets(session: Session, ids: Sequence[str], now: datetime) -> int:
    table = Ticket.__table__  # type: ignore[attr-defined]
    live_ids = [
        r[0]
        for r in session.execute(
            select(table.c.id).where(table.c.id.in_(ids), table.c.removed_at.is_(None))
        )
    ]
    if live_ids:
        session.execute(
            TicketEvent.__table__.insert(),  # type: ignore[attr-defined]
            [ticket_event(tid, "removed", now, now, new_value="1") for tid in live_ids],
        )
    return mark_tickets_removed(session, live_ids, now)


def write_sprint_batch(
    session: Session,
    pages: Sequence[dict[str, Any]],
    mapping: SprintMapping,
    data_source_id: str,
    settings: Settings,
    now: datetime,
) -> BatchResult:
    """Upsert one page of sprint pages (sprints carry no history of their own)."""
    parsed = parse_sprint_pages(pages, mapping, data_source_id, settings.tz)
    unreadable = len(pages) - len(parsed)
    result = BatchResult(fetched=len(pages))
    live = [p.row for p in parsed if not p.removed]
    table = Sprint.__table__  # type: ignore[attr-defined]
    known: dict[str, datetime | None] = {}
    if live:
        query = select(table.c.id, table.c.last_edited_time).where(
            table.c.id.in_([r["id"] for r in live])
        )
        known = {r.id: as_utc(r.last_edited_time) for r in session.execute(query)}
    for row in live:
        if row["id"] not in known:
            result.created += 1
        elif known[row["id"]] != as_utc(row.get("last_edited_time")):
            result.updated += 1
        else:
            result.unchanged += 1
    result.quarantined = unreadable + sum(1 for r in live if r.get("parse_errors"))
    upsert_sprints(session, live)
    result.seen_ids = [r["id"] for r in live]
    result.newest_edit = latest_edit(p.row for p in parsed)
    return result


def latest_edit(rows: Iterable[dict[str, Any]]) -> datetime | None:
    """The latest `last_edited_time` among these rows (removed ones included): the cursor's
    next position, since the query returns pages oldest edit first."""
    edits = [edited for row in rows if (edited := as_utc(row.get("last_edited_time")))]
    return max(edits, default=None)


def sync_state(session: Session, plan: SourcePlan) -> SyncState:
    """The source's `SyncState` row, added to the session on the source's first write."""
    state = session.get(SyncState, plan.data_source_id)
    if state is None:
        state = SyncState(
            data_source_id=plan.data_source_id, kind=plan.kind, database_id=plan.database_id
        )
        session.add(state)
    return state


def advance_cursor(
    session: Session, plan: SourcePlan, newest_edit: datetime | None, now: datetime
) -> None:
    """Move the source's cursor forward to `newest_edit` (never backwards; only `hold_cursor`
    does, after an incomplete scan). Caller commits."""
    state = sync_state(session, plan)
    if newest_edit is not None and (state.cursor is None or newest_edit > as_utc(state.cursor)):
        state.cursor = newest_edit
    state.updated_at = now


def hold_cursor(session: Session, plan: SourcePlan, unread_from: datetime) -> None:
    """Move the source's cursor back to `unread_from` after an incomplete scan, so the next sync
    reads the pages it could not (the one time the cursor moves backwards: re-reading is
    harmless, every write being idempotent, while starting after unread pages would lose
    them until they are edited again). Caller commits."""
    state = sync_state(session, plan)
    if state.cursor is not None and as_utc(state.cursor) > unread_from:
        state.cursor = unread_from


def reconcile_removed(session: Session, plan: SourcePlan, seen_ids: set[str], now: datetime) -> int:
    """After a complete scan: mark removed the stored, live rows it should have returned and
    did not. A full scan returns every live page of the source; an incremental tickets scan
    returns every live ticket of the plan's open sprints (`plan.scope_sprint_ids`). Any other
    scan proves nothing about removals. The caller never calls this after an incomplete scan."""
    table = (Ticket if plan.kind == TICKETS else Sprint).__table__  # type: ignore[attr-defined]
    query = select(table.c.id).where(
        table.c.data_source_id == plan.data_source_id, table.c.removed_at.is_(None)
    )
    if not plan.full_scan:
        if plan.kind != TICKETS or not plan.scope_sprint_ids:
            return 0
        query = query.where(table.c.sprint_id.in_(plan.scope_sprint_ids))
    stored = [r[0] for r in session.execute(query)]
    missing = [tid for tid in stored if tid not in seen_ids]
    if not missing:
        return 0
    if plan.kind == TICKETS:
        return _remove_tickets(session, missing, now)
    result = session.execute(
        update(table).where(table.c.id.in_(missing)).values(removed_at=now, updated_at=now)
    )
    return int(result.rowcount or 0)


def finish_source(
    session: Session, plan: SourcePlan, stats: BatchResult, now: datetime, *, complete: bool
) -> None:
    """Record the run on the source's SyncState; a full scan counts as one only if complete."""
    state = sync_state(session, plan)
    state.last_run_at = now
    if plan.full_scan and complete:
        state.last_full_scan_at = now
    state.last_run_stats = {
        k: v
        for k, v in asdict(stats).items()
        if k not in {"seen_ids", "newest_edit", "last_sort_value"}
    } | {"full_scan": plan.full_scan, "complete": complete}
    state.updated_at = now


def _person_row(person: Any) -> dict[str, Any]:
    return {
        "id": person.id,
        "name": person.name,
        "email": person.email,
        "type": person.type,
        "avatar_url": person.avatar_url,
        "source": "property",
    }


def _stored_state(session: Session, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """What is stored for these tickets: every mapped column and the assignees."""
    table = Ticket.__table__  # type: ignore[attr-defined]
    rows = session.execute(
        select(
            table.c.id,
            table.c.content_hash,
            table.c.removed_at,
            *(table.c[name] for columns in FIELD_COLUMNS.values() for name in columns),
        ).where(table.c.id.in_(ids))
    ).all()
    stored = {r.id: {**r._asdict(), "assignees": []} for r in rows}
    if stored:
        links = TicketAssignee.__table__  # type: ignore[attr-defined]
        for ticket_id, person_id in session.execute(
            select(links.c.ticket_id, links.c.person_id).where(links.c.ticket_id.in_(list(stored)))
        ):
            stored[ticket_id]["assignees"].append(person_id)
    return stored
