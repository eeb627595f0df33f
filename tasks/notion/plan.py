"""What one sync queries for each data source: its mapping, and where the query starts.

Why a module of its own: planning reads only the schema and the stored state, never writes,
and holds the sync's timing rules in one place — the cursor (the newest edit committed), the
lookback subtracted from it (Notion truncates edit times to the minute, so a strict `>` would
miss same-minute edits), when a full scan is due (first run, `--full-refresh`, or every
`CONDUCTOR_NOTION_FULL_SCAN_HOURS`; a full scan is what detects removed pages anywhere), and
which tickets an incremental sync re-reads to notice removals from the open sprints.

A database may hold several data sources (Notion-Version 2025-09-03): each gets a plan of its
own, with its own cursor, and all of them are synced.

**Removals between full scans.** Trashed pages never appear in queries, so a ticket trashed
from the current sprint would stay in the sprint's scope until the next full scan (a day, by
default). An incremental tickets query therefore asks for `last_edited_time on_or_after since`
**or** `sprint relation contains S` for each open sprint S (one `or` filter, so no extra
request): every live ticket of an open sprint comes back, and a stored ticket of an open
sprint that did not is no longer there (`writes.reconcile_removed`). Folding it into the one
query, rather than a query of its own, keeps an unchanged re-sync to six requests (the two
databases, their data sources, one query each); re-reading an open sprint's tickets costs a
page of results per 100 of them and writes nothing when they are unchanged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlmodel import Session

from models import SyncState
from models.base import as_utc, utcnow
from models.clock import local_today
from models.settings import Settings, notion_id_from
from models.sprints import Sprint
from tasks.notion.client import NotionGateway
from tasks.notion.errors import NotionAccessError
from tasks.notion.mapping import (
    SprintMapping,
    TicketMapping,
    detect_sprint_mapping,
    detect_ticket_mapping,
)
from tasks.notion.status_categories import StatusRules
from tasks.notion.windows import QueryWindow, utc_iso

log = logging.getLogger(__name__)

TICKETS, SPRINTS = "tickets", "sprints"


#: At most this many open sprints are named in the incremental query's `or` filter (Notion
#: allows 100 conditions a compound); with more, removals wait for the full scan.
MAX_SCOPE_SPRINTS = 20


@dataclass(frozen=True)
class SourcePlan:
    """What to sync for one data source this run.

    `since`: pages edited on or after it (None: all). `scope_sprint_ids`: open sprints whose
    tickets the query also returns, so removals from them are seen (tickets, incremental
    only). `unique_id_property`: a `unique_id` property to split a same-minute flood by
    (`windows.py`). `window`: the query window being read, set by the sync as it goes.
    """

    kind: str
    database_id: str
    data_source_id: str
    since: datetime | None
    full_scan: bool
    mapping: TicketMapping | SprintMapping
    scope_sprint_ids: tuple[str, ...] = ()
    unique_id_property: str | None = None
    window: QueryWindow = field(default_factory=QueryWindow)

    @property
    def base_filter(self) -> dict[str, Any] | None:
        """The filter every window of this plan's scan is read within."""
        if self.since is None:
            return None
        edited = {
            "timestamp": "last_edited_time",
            "last_edited_time": {"on_or_after": utc_iso(self.since)},
        }
        sprint = getattr(self.mapping, "sprint", None)
        if not self.scope_sprint_ids or sprint is None:
            return edited
        in_scope = [
            {"property": sprint, "relation": {"contains": sprint_id}}
            for sprint_id in self.scope_sprint_ids
        ]
        return {"or": [edited, *in_scope]}


def resolve_data_sources(
    gateway: NotionGateway, database_id: str, only: str | None = None
) -> list[tuple[str, dict[str, Any]]]:
    """Every data source of the database, as (id, schema `properties`), in Notion's order — or
    just `only` (`CONDUCTOR_NOTION_TICKETS_DATA_SOURCE_ID`), which must be one of them, for a
    team whose database also holds sources that are not its tickets."""
    sources = gateway.database_data_sources(database_id)
    if not sources:
        raise NotionAccessError(
            f"database {database_id} has no data source: check CONDUCTOR_NOTION_*_DATABASE_ID"
        )
    if only is not None:
        chosen = [source for source in sources if notion_id_from(str(source["id"])) == only]
        if not chosen:
            known = ", ".join(f"{s.get('name') or '?'} ({s['id']})" for s in sources)
            raise NotionAccessError(
                f"data source {only} is not in database {database_id} (its sources: {known}): "
                "check CONDUCTOR_NOTION_TICKETS_DATA_SOURCE_ID"
            )
        sources = chosen
    return [
        (source["id"], gateway.retrieve_data_source(source["id"]).get("properties", {}))
        for source in sources
    ]


def resolve_data_source(
    gateway: NotionGateway, database_id: str, only: str | None = None
) -> tuple[str, dict[str, Any]]:
    """One data source and its schema: `only` when named, else the database's first. Where
    `conductor task create` writes and what `doctor` describes (a new ticket goes to one
    source; the sync reads them all)."""
    sources = gateway.database_data_sources(database_id)
    if not sources:
        raise NotionAccessError(
            f"database {database_id} has no data source: check CONDUCTOR_NOTION_*_DATABASE_ID"
        )
    if only is not None:
        return resolve_data_sources(gateway, database_id, only)[0]
    schema = gateway.retrieve_data_source(sources[0]["id"])
    return sources[0]["id"], schema.get("properties", {})


def plan_sources(
    session: Session,
    gateway: NotionGateway,
    settings: Settings,
    kind: str,
    *,
    full_refresh: bool,
    sprints_source_id: str | None = None,
    now: datetime | None = None,
) -> list[SourcePlan]:
    """One plan per data source of the kind's database: its mapping, and incremental or full.

    A full scan happens on the first run, on `full_refresh`, and every
    `CONDUCTOR_NOTION_FULL_SCAN_HOURS` (it is what detects removed pages). Tickets need the
    sprints data source id to recognise their sprint relation.
    """
    now = now or utcnow()
    database_id = (
        settings.notion_sprints_database_id
        if kind == SPRINTS
        else settings.notion_tickets_database_id
    ) or ""
    plans = []
    only = settings.notion_tickets_data_source_id if kind == TICKETS else None
    for source_id, schema in resolve_data_sources(gateway, database_id, only):
        mapping: TicketMapping | SprintMapping
        if kind == SPRINTS:
            mapping = detect_sprint_mapping(schema, settings.notion_property_map)
        else:
            mapping = detect_ticket_mapping(
                schema,
                settings.notion_property_map,
                sprints_source_id,
                StatusRules.from_settings(settings),
            )
        state = session.get(SyncState, source_id)
        full_scan = (
            full_refresh
            or state is None
            or state.cursor is None
            or state.last_full_scan_at is None
            or now - as_utc(state.last_full_scan_at)
            >= timedelta(hours=settings.notion_full_scan_hours)
        )
        since = None
        scope: tuple[str, ...] = ()
        if not full_scan and state is not None and state.cursor is not None:
            since = as_utc(state.cursor) - timedelta(minutes=settings.notion_lookback_minutes)
            if kind == TICKETS and getattr(mapping, "sprint", None):
                scope = open_sprint_ids(session, local_today(settings.tz))
        unique_id = next(
            (name for name, prop in schema.items() if prop.get("type") == "unique_id"), None
        )
        plans.append(
            SourcePlan(kind, database_id, source_id, since, full_scan, mapping, scope, unique_id)
        )
    return plans


def open_sprint_ids(session: Session, today: date) -> tuple[str, ...]:
    """Stored live sprints that have not ended by `today` (or have no end): the sprints whose
    scope a removed ticket must leave before the next full scan. Empty when there are more
    than `MAX_SCOPE_SPRINTS`."""
    table = Sprint.__table__  # type: ignore[attr-defined]
    ids = [
        row[0]
        for row in session.execute(
            select(table.c.id)
            .where(table.c.removed_at.is_(None), or_(table.c.end.is_(None), table.c.end >= today))
            .order_by(table.c.start, table.c.id)
        )
    ]
    if len(ids) > MAX_SCOPE_SPRINTS:
        log.info("%d open sprints: removals from them wait for the full scan", len(ids))
        return ()
    return tuple(ids)
