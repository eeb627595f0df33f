"""What one sync queries for each data source: its mapping, and where the query starts.

Why a module of its own: planning reads only the schema and the stored cursor, never writes,
and holds the sync's three timing rules in one place — the cursor (the newest edit committed),
the lookback subtracted from it (Notion truncates edit times to the minute, so a strict `>`
would miss same-minute edits), and when a full scan is due (first run, `--full-refresh`, or
every `CONDUCTOR_NOTION_FULL_SCAN_HOURS`; a full scan is what detects removed pages).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from models import SyncState
from models.base import as_utc, utcnow
from models.settings import Settings
from tasks.notion.client import NotionGateway
from tasks.notion.errors import NotionAccessError
from tasks.notion.mapping import (
    SprintMapping,
    TicketMapping,
    detect_sprint_mapping,
    detect_ticket_mapping,
)
from tasks.notion.status_categories import StatusRules

log = logging.getLogger(__name__)

TICKETS, SPRINTS = "tickets", "sprints"


@dataclass(frozen=True)
class SourcePlan:
    """What to sync for one data source this run."""

    kind: str
    database_id: str
    data_source_id: str
    since: datetime | None
    full_scan: bool
    mapping: TicketMapping | SprintMapping


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
        or now - as_utc(state.last_full_scan_at) >= timedelta(hours=settings.notion_full_scan_hours)
    )
    since = None
    if not full_scan and state is not None and state.cursor is not None:
        since = as_utc(state.cursor) - timedelta(minutes=settings.notion_lookback_minutes)
    return SourcePlan(kind, database_id, source_id, since, full_scan, mapping)
