"""The incremental Notion → SQL sync, as plain functions (the Prefect flow only wires them).

How a sync stays correct when it crashes anywhere:
- pages are queried sorted by `last_edited_time` ascending, a page of 100 at a time;
- each page of results is parsed, diffed against what is stored, upserted, turned into
  `TicketEvent`s, and the data source's cursor is moved to the newest edit time of that page —
  all in **one transaction**, so the cursor can never run ahead of committed data;
- the next run asks for pages edited on or after `cursor - lookback` (Notion truncates edit times
  to the minute, so a strict `>` would miss same-minute edits); pages seen again are recognised as
  unchanged by their content hash and write nothing.
Removed pages never show up in queries, so a *full scan* (every `CONDUCTOR_NOTION_FULL_SCAN_HOURS`,
or `--full-refresh`) reconciles ids: live stored tickets the scan did not return are marked removed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any, TypeVar

from sqlalchemy import select, update
from sqlmodel import Session

from models import SyncState, Ticket, TicketAssignee, TicketEvent
from models.base import as_utc, utcnow
from models.people import upsert_people
from models.settings import Settings
from models.sprints import Sprint, upsert_sprints
from models.tickets import TODO, mark_tickets_removed, upsert_tickets
from tasks.notion.client import NotionGateway
from tasks.notion.errors import NotionAccessError
from tasks.notion.mapping import (
    SprintMapping,
    TicketMapping,
    detect_sprint_mapping,
    detect_ticket_mapping,
)
from tasks.notion.rows import (
    MalformedPageError,
    ParsedTicket,
    apply_full_relation,
    sprint_row,
    ticket_row,
)

log = logging.getLogger(__name__)

TICKETS, SPRINTS = "tickets", "sprints"
T = TypeVar("T")


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


COUNT_FIELDS = ("fetched", "created", "updated", "unchanged", "removed", "quarantined")


@dataclass
class IngestStats(Counts):
    """Counts of one ingest run (tickets and sprints together): docs/design.md §3 `ingest --json`."""

    requests: int = 0
    rate_limited: int = 0
    retried: int = 0
    duration_s: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["duration_s"] = round(self.duration_s, 3)
        return data


@dataclass
class BatchResult(Counts):
    """What one page of query results did to the database."""

    seen_ids: list[str] = field(default_factory=list)
    newest_edit: datetime | None = None
    #: Results in this page of the query (quarantined ones included), for progress bars.
    page_size: int = 0
    #: Where the next page of the query starts; None after the last page.
    next_cursor: str | None = None


@dataclass(frozen=True)
class SourcePlan:
    """What to sync for one data source this run."""

    kind: str
    database_id: str
    data_source_id: str
    since: datetime | None
    full_scan: bool
    mapping: TicketMapping | SprintMapping


ProgressListener = Callable[[str, int], None]
_progress_listener: ContextVar[ProgressListener | None] = ContextVar(
    "conductor_sync_progress", default=None
)


@contextmanager
def reporting_progress(listener: ProgressListener) -> Iterator[None]:
    """Call `listener(kind, pages_in_batch)` after each page synced by this thread's syncs
    (the CLI's progress bar): scoped to the caller's context, never a process-wide list."""
    token = _progress_listener.set(listener)
    try:
        yield
    finally:
        _progress_listener.reset(token)


def report_progress(kind: str, pages: int) -> None:
    listener = _progress_listener.get()
    if listener is not None:
        listener(kind, pages)


# ---------------------------------------------------------------- planning


def resolve_data_source(gateway: NotionGateway, database_id: str) -> tuple[str, dict[str, Any]]:
    """The database's data source id and its schema (`properties`).

    A database with several data sources is synced through its first one, with a warning:
    Conductor models one Tickets and one Sprints source.
    """
    sources = gateway.database_data_sources(database_id)
    if not sources:
        raise NotionAccessError(
            f"database {database_id} has no data source: check CONDUCTOR_NOTION_*_DATABASE_ID"
        )
    if len(sources) > 1:
        log.warning(
            "database %s has %d data sources; syncing %r",
            database_id,
            len(sources),
            sources[0].get("name"),
        )
    schema = gateway.retrieve_data_source(sources[0]["id"])
    return sources[0]["id"], schema.get("properties", {})


def plan_source(
    session: Session,
    gateway: NotionGateway,
    settings: Settings,
    kind: str,
    *,
    full_refresh: bool,
    sprints_source_id: str | None = None,
    now: datetime | None = None,
) -> SourcePlan:
    """Resolve a database to its data source and mapping, and choose incremental or full scan.

    A full scan happens on the first run, on `full_refresh`, and every
    `CONDUCTOR_NOTION_FULL_SCAN_HOURS` (it is what detects removed pages). Tickets need the
    sprints data source id to recognise their sprint relation.
    """
    now = now or utcnow()
    mapping: TicketMapping | SprintMapping
    if kind == SPRINTS:
        database_id = settings.notion_sprints_database_id or ""
        source_id, schema = resolve_data_source(gateway, database_id)
        mapping = detect_sprint_mapping(schema, settings.notion_property_map)
    else:
        database_id = settings.notion_tickets_database_id or ""
        source_id, schema = resolve_data_source(gateway, database_id)
        mapping = detect_ticket_mapping(schema, settings.notion_property_map, sprints_source_id)
    state = session.get(SyncState, source_id)
    full_scan = (
        full_refresh
        or state is None
        or state.cursor is None
        or state.last_full_scan_at is None
        or now - as_utc(state.last_full_scan_at) >= timedelta(hours=settings.notion_full_scan_hours)
    )
    since = None
    if not full_scan and state is not None and state.cursor is not None:
        since = as_utc(state.cursor) - timedelta(minutes=settings.notion_lookback_minutes)
    return SourcePlan(kind, database_id, source_id, since, full_scan, mapping)


# ---------------------------------------------------------------- people


def sync_people(session: Session, gateway: NotionGateway) -> int:
    """Upsert the workspace's users when the integration may list them; returns how many."""
    users = gateway.list_users()
    if users is None:
        log.info("integration cannot list users; people come from ticket properties only")
        return 0
    rows = [
        {
            "id": user["id"],
            "name": user.get("name") or "",
            "email": (user.get("person") or {}).get("email"),
            "type": user.get("type") or "person",
            "avatar_url": user.get("avatar_url"),
            "source": "users_api",
        }
        for user in users
        if user.get("object") == "user"
    ]
    upsert_people(session, rows)
    return len(rows)


# ---------------------------------------------------------------- parsing


def parse_ticket_pages(
    pages: Sequence[dict[str, Any]],
    mapping: TicketMapping,
    data_source_id: str,
    gateway: NotionGateway | None,
    tz: tzinfo | None = None,
) -> list[ParsedTicket]:
    """Parse a page of results; relation/people properties cut at 25 items are fetched whole."""
    parsed = readable_pages(pages, lambda page: ticket_row(page, mapping, data_source_id, tz))
    for ticket in parsed:
        scrub_nul(ticket.row)
    if gateway is not None:
        for ticket in parsed:
            for name in list(ticket.relation_overflow):
                prop_id = ticket.row["raw"][name]["id"]
                items = gateway.property_items(ticket.row["id"], prop_id)
                apply_full_relation(
                    ticket, name, [_item_id(item) for item in items if _item_id(item)]
                )
    return parsed


def choose_latest_sprint(tickets: Sequence[ParsedTicket], sprint_starts: dict[str, Any]) -> None:
    """A ticket related to several sprints belongs to the one that starts last.

    Teams carry unfinished work over by adding the new sprint to the relation and leaving the
    old one there; the ticket is in the new sprint's scope, whatever order Notion lists them in.
    Sprints not synced (no start known) rank below known ones.
    """
    for ticket in tickets:
        name = ticket.mapping.sprint
        prop = ticket.row["raw"].get(name) if name else None
        related = [r.get("id") for r in (prop or {}).get("relation") or [] if isinstance(r, dict)]
        if len(related) < 2:
            continue
        ordered = sorted(
            related,
            key=lambda sid: (sprint_starts.get(sid) is not None, str(sprint_starts.get(sid) or "")),
            reverse=True,
        )
        if ordered[0] != ticket.row.get("sprint_id"):
            apply_full_relation(ticket, name, ordered)


def readable_pages(pages: Sequence[dict[str, Any]], parse: Callable[[Any], T]) -> list[T]:
    """Parse each page, leaving out (and logging) any that is not a usable page object at all.

    A malformed property only lands in `parse_errors`; a page with no id or no properties
    cannot be stored, and must not stop the sync — the cursor has to move past it. The caller
    counts the difference as quarantined.
    """
    parsed = []
    for page in pages:
        try:
            parsed.append(parse(page))
        except MalformedPageError as exc:
            log.warning("quarantined an unreadable page (%s)", exc)
    return parsed


def scrub_nul(row: dict[str, Any]) -> None:
    """Replace NUL characters with U+FFFD in a row's text columns, in place.

    PostgreSQL cannot store NUL in `text`; everything else of hostile text (HTML, other control
    characters, RTL, emoji, any length) is stored verbatim. JSON columns (`raw`, `tags`, …) get
    the same treatment from the engine's JSON serializer (`models.db.dumps_without_nul`). Done
    on every backend so SQLite and PostgreSQL hold the same data.
    """
    for name, value in row.items():
        if isinstance(value, str) and "\x00" in value:
            row[name] = value.replace("\x00", "\ufffd")


def _item_id(item: dict[str, Any]) -> str | None:
    """The related page id or user id of one property item (relation or people)."""
    if item.get("type") == "relation":
        return (item.get("relation") or {}).get("id")
    if item.get("type") == "people":
        return (item.get("people") or {}).get("id")
    return None


# ---------------------------------------------------------------- writing


def _assignee_value(ids: Iterable[str]) -> str | None:
    joined = ",".join(sorted(set(ids)))
    return joined or None


def _points_value(points: float | None) -> str | None:
    return None if points is None else f"{points:g}"


def _first_seen_events(row: dict[str, Any], now: datetime) -> list[dict[str, Any]]:
    """Reconstruct a new ticket's past from its timestamps (events marked `derived`)."""
    created = as_utc(row.get("created_time")) or as_utc(row.get("last_edited_time")) or now
    edited = as_utc(row.get("last_edited_time")) or created
    events = []
    if row.get("sprint_id"):
        events.append(
            _event(
                row["id"],
                "sprint",
                created,
                now,
                new_sprint_id=row["sprint_id"],
                new_value=row["sprint_id"],
                derived=True,
            )
        )
    if row.get("points") is not None:
        events.append(
            _event(
                row["id"],
                "points",
                created,
                now,
                new_value=_points_value(row["points"]),
                derived=True,
            )
        )
    category = row.get("status_category")
    if category in (None, TODO):
        events.append(
            _event(
                row["id"],
                "status",
                created,
                now,
                new_value=row.get("status"),
                new_category=category,
                derived=True,
            )
        )
    else:
        events.append(
            _event(
                row["id"], "status", created, now, new_value=None, new_category=TODO, derived=True
            )
        )
        events.append(
            _event(
                row["id"],
                "status",
                edited,
                now,
                old_category=TODO,
                new_value=row.get("status"),
                new_category=category,
                derived=True,
            )
        )
    return events


def _event(
    ticket_id: str, field_name: str, at: datetime, observed_at: datetime, **values: Any
) -> dict[str, Any]:
    event = {
        "ticket_id": ticket_id,
        "field": field_name,
        "old_value": None,
        "new_value": None,
        "old_category": None,
        "new_category": None,
        "old_sprint_id": None,
        "new_sprint_id": None,
        "at": at,
        "observed_at": observed_at,
        "derived": False,
    }
    event.update(values)
    return event


def _change_events(
    old: dict[str, Any], row: dict[str, Any], assignees: list[str], now: datetime
) -> list[dict[str, Any]]:
    """Events for the fields of a known ticket that changed since the last sync."""
    ticket_id = row["id"]
    at = as_utc(row.get("last_edited_time")) or now
    events = []
    if old["removed_at"] is not None:
        events.append(_event(ticket_id, "removed", at, now, old_value="1", new_value=None))
    if (old["status"], old["status_category"]) != (row.get("status"), row.get("status_category")):
        events.append(
            _event(
                ticket_id,
                "status",
                at,
                now,
                old_value=old["status"],
                new_value=row.get("status"),
                old_category=old["status_category"],
                new_category=row.get("status_category"),
            )
        )
    if old["points"] != row.get("points"):
        events.append(
            _event(
                ticket_id,
                "points",
                at,
                now,
                old_value=_points_value(old["points"]),
                new_value=_points_value(row.get("points")),
            )
        )
    if old["sprint_id"] != row.get("sprint_id"):
        events.append(
            _event(
                ticket_id,
                "sprint",
                at,
                now,
                old_value=old["sprint_id"],
                new_value=row.get("sprint_id"),
                old_sprint_id=old["sprint_id"],
                new_sprint_id=row.get("sprint_id"),
            )
        )
    if _assignee_value(old["assignees"]) != _assignee_value(assignees):
        events.append(
            _event(
                ticket_id,
                "assignees",
                at,
                now,
                old_value=_assignee_value(old["assignees"]),
                new_value=_assignee_value(assignees),
            )
        )
    return events


def _person_row(person: Any) -> dict[str, Any]:
    return {
        "id": person.id,
        "name": person.name,
        "email": person.email,
        "type": person.type,
        "avatar_url": person.avatar_url,
        "source": "property",
    }


#: Our mapped fields and the Ticket columns each one fills (assignees live in TicketAssignee).
FIELD_COLUMNS: dict[str, tuple[str, ...]] = {
    "title": ("title",),
    "description": ("description",),
    "status": ("status", "status_category"),
    "points": ("points",),
    "sprint": ("sprint_id",),
    "priority": ("priority",),
    "tags": ("tags",),
    "due": ("due_start", "due_end"),
    "key": ("key",),
    "assignees": (),
}


def keep_stored_values_of_unreadable_properties(ticket: ParsedTicket, old: dict[str, Any]) -> None:
    """A property that failed to parse keeps the value we already have.

    Otherwise one schema change in Notion (Points turned into a text formula, say) would blank
    every ticket's points and write a points→None event for each, rewriting sprint history.
    The failure stays recorded in `parse_errors`.
    """
    unreadable = {error.get("property") for error in ticket.row.get("parse_errors") or ()}
    for field_name, columns in FIELD_COLUMNS.items():
        if getattr(ticket.mapping, field_name, None) not in unreadable:
            continue
        for column in columns:
            ticket.row[column] = old[column]
        if field_name == "assignees":
            ticket.assignee_ids = list(old["assignees"])


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
            events.extend(_first_seen_events(row, now))
            changed.append(ticket)
        elif old["content_hash"] != row["content_hash"] or old["removed_at"] is not None:
            result.updated += 1
            events.extend(_change_events(old, row, ticket.assignee_ids, now))
            changed.append(ticket)
        else:
            result.unchanged += 1
    for ticket in parsed:
        edited = as_utc(ticket.row.get("last_edited_time"))
        if edited and (result.newest_edit is None or edited > result.newest_edit):
            result.newest_edit = edited
    result.seen_ids = [p.row["id"] for p in live]
    people = [_person_row(person) for ticket in changed for person in ticket.people]
    if people:
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
            [_event(tid, "removed", now, now, new_value="1") for tid in live_ids],
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
    parsed = readable_pages(
        pages, lambda page: sprint_row(page, mapping, data_source_id, settings.tz)
    )
    unreadable = len(pages) - len(parsed)
    for sprint in parsed:
        scrub_nul(sprint.row)
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
    for p in parsed:
        edited = as_utc(p.row.get("last_edited_time"))
        if edited and (result.newest_edit is None or edited > result.newest_edit):
            result.newest_edit = edited
    return result


def advance_cursor(
    session: Session, plan: SourcePlan, newest_edit: datetime | None, now: datetime
) -> None:
    """Move the source's cursor forward to `newest_edit` (never backwards). Caller commits."""
    state = session.get(SyncState, plan.data_source_id)
    if state is None:
        state = SyncState(
            data_source_id=plan.data_source_id, kind=plan.kind, database_id=plan.database_id
        )
        session.add(state)
    if newest_edit is not None and (state.cursor is None or newest_edit > as_utc(state.cursor)):
        state.cursor = newest_edit
    state.updated_at = now


def reconcile_removed(session: Session, plan: SourcePlan, seen_ids: set[str], now: datetime) -> int:
    """After a complete full scan: mark stored, live rows the scan did not return as removed."""
    table = (Ticket if plan.kind == TICKETS else Sprint).__table__  # type: ignore[attr-defined]
    stored = [
        r[0]
        for r in session.execute(
            select(table.c.id).where(
                table.c.data_source_id == plan.data_source_id, table.c.removed_at.is_(None)
            )
        )
    ]
    missing = [tid for tid in stored if tid not in seen_ids]
    if not missing:
        return 0
    if plan.kind == TICKETS:
        return _remove_tickets(session, missing, now)
    result = session.execute(
        update(table).where(table.c.id.in_(missing)).values(removed_at=now, updated_at=now)
    )
    return int(result.rowcount or 0)


def finish_source(session: Session, plan: SourcePlan, stats: BatchResult, now: datetime) -> None:
    """Record the run on the source's SyncState (and when its last full scan completed)."""
    state = session.get(SyncState, plan.data_source_id)
    if state is None:
        state = SyncState(
            data_source_id=plan.data_source_id, kind=plan.kind, database_id=plan.database_id
        )
        session.add(state)
    state.last_run_at = now
    if plan.full_scan:
        state.last_full_scan_at = now
    state.last_run_stats = {
        k: v for k, v in asdict(stats).items() if k not in {"seen_ids", "newest_edit"}
    } | {"full_scan": plan.full_scan}
    state.updated_at = now


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
        parsed = parse_ticket_pages(pages, plan.mapping, plan.data_source_id, gateway, settings.tz)
        sprint_table = Sprint.__table__  # type: ignore[attr-defined]
        starts = {
            row.id: row.start
            for row in session.execute(select(sprint_table.c.id, sprint_table.c.start))
        }
        choose_latest_sprint(parsed, starts)
        result = write_ticket_batch(session, parsed, now)
        result.fetched += len(pages) - len(parsed)
        result.quarantined += len(pages) - len(parsed)
    else:
        assert isinstance(plan.mapping, SprintMapping)
        result = write_sprint_batch(
            session, pages, plan.mapping, plan.data_source_id, settings, now
        )
    advance_cursor(session, plan, result.newest_edit, now)
    session.commit()
    return result


def sync_page(
    session: Session,
    gateway: NotionGateway,
    plan: SourcePlan,
    settings: Settings,
    start_cursor: str | None,
) -> BatchResult:
    """Fetch one page (≤ 100) of the plan's query and write it: one request, one transaction.

    Fetching and writing together keeps the 100 pages out of Prefect's hands (a task per page,
    not two, and no large payload passed between tasks), and makes a retry of the page simply
    fetch it again: Notion's start cursors can be replayed and every write is an upsert.
    """
    response = gateway.query_page(
        plan.data_source_id, edited_on_or_after=plan.since, start_cursor=start_cursor
    )
    results = response.get("results", [])
    pages = [r for r in results if r.get("object") == "page"]
    result = write_batch(session, plan, pages, settings, gateway)
    result.page_size = len(results)
    result.next_cursor = response.get("next_cursor") if response.get("has_more") else None
    return result


PageSync = Callable[[str | None], BatchResult]


def sync_source(
    session: Session,
    gateway: NotionGateway,
    plan: SourcePlan,
    settings: Settings,
    *,
    page: PageSync | None = None,
) -> BatchResult:
    """Page through one data source and write every page; reconcile removals after a full scan.

    `page` lets the Prefect flow run each page as a task; by default it calls `sync_page`
    directly (benchmarks and tests use this path).
    """
    page = page or (lambda cursor: sync_page(session, gateway, plan, settings, cursor))
    total = BatchResult()
    seen: set[str] = set()
    cursor: str | None = None
    while True:
        result = page(cursor)
        total.add(result)
        seen.update(result.seen_ids)
        report_progress(plan.kind, result.page_size)
        if result.next_cursor is None:
            break
        cursor = result.next_cursor
    now = utcnow()
    if plan.full_scan:
        total.removed += reconcile_removed(session, plan, seen, now)
    finish_source(session, plan, total, now)
    session.commit()
    return total


def run_sync(
    session: Session, gateway: NotionGateway, settings: Settings, *, full_refresh: bool = False
) -> IngestStats:
    """The whole sync without Prefect: people, sprints, then tickets. Used by benchmarks/tests."""
    started = time.perf_counter()
    stats = IngestStats()
    now = utcnow()
    sync_people(session, gateway)
    session.commit()
    sprints = plan_source(session, gateway, settings, SPRINTS, full_refresh=full_refresh, now=now)
    stats.add(sync_source(session, gateway, sprints, settings))
    tickets = plan_source(
        session,
        gateway,
        settings,
        TICKETS,
        full_refresh=full_refresh,
        sprints_source_id=sprints.data_source_id,
        now=now,
    )
    stats.add(sync_source(session, gateway, tickets, settings))
    stats.requests = gateway.stats.requests
    stats.rate_limited = gateway.stats.rate_limited
    stats.retried = gateway.stats.retried
    stats.duration_s = time.perf_counter() - started
    return stats
