"""Prefect tasks of the Notion ingest: one task per page of 100 results, never one per ticket.

Task bodies are thin calls into `tasks.notion.sync`, which holds the logic and is tested without
Prefect. Retries are declared here and fire only on transient failures: Notion still failing
after the client's own retries (429/5xx/timeouts), or a database connection dropping.
"""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE
from sqlalchemy.exc import OperationalError

from models.db import session_scope
from models.settings import Settings
from tasks.concurrency import ensure_limit
from tasks.notion import sync
from tasks.notion.client import NotionGateway
from tasks.notion.errors import NotionUnavailableError
from tasks.retries import retry_on

#: Name of the Prefect global rate limit every Conductor process shares for Notion requests.
NOTION_RATE_LIMIT = "notion-api"


#: Retry policy of the tasks that talk to Notion and the database: transient failures only.
RETRY_TRANSIENT = {
    "retries": 2,
    "retry_delay_seconds": [5, 20],
    "retry_condition_fn": retry_on(NotionUnavailableError, OperationalError),
}


@task(cache_policy=NO_CACHE, task_run_name="sync-people")
def sync_people(gateway: NotionGateway) -> int:
    """Upsert workspace users (skipped quietly when the integration may not list them)."""
    with session_scope() as session:
        return sync.sync_people(session, gateway)


@task(cache_policy=NO_CACHE, task_run_name="plan-{kind}", **RETRY_TRANSIENT)
def plan_source(
    gateway: NotionGateway,
    settings: Settings,
    kind: str,
    *,
    full_refresh: bool,
    sprints_source_id: str | None = None,
) -> sync.SourcePlan:
    """Resolve the data source and its property mapping; choose incremental or full scan."""
    with session_scope() as session:
        return sync.plan_source(
            session,
            gateway,
            settings,
            kind,
            full_refresh=full_refresh,
            sprints_source_id=sprints_source_id,
        )


@task(cache_policy=NO_CACHE, task_run_name="sync-{plan.kind}-page", **RETRY_TRANSIENT)
def sync_page(
    gateway: NotionGateway,
    plan: sync.SourcePlan,
    settings: Settings,
    start_cursor: str | None,
) -> sync.BatchResult:
    """One page (≤ 100) of pages edited since the plan's cursor, oldest edit first: fetch,
    parse, upsert, record events and advance the cursor, in one transaction."""
    with session_scope() as session:
        return sync.sync_page(session, gateway, plan, settings, start_cursor)


def sync_source(
    gateway: NotionGateway, plan: sync.SourcePlan, settings: Settings
) -> sync.BatchResult:
    """Page through a data source with one task per page of results."""
    with session_scope() as session:
        return sync.sync_source(
            session,
            gateway,
            plan,
            settings,
            page=lambda cursor: sync_page(gateway, plan, settings, cursor),
        )


def ensure_shared_rate_limit(rps: float) -> bool:
    """Create (or update) the global rate limit that keeps *all* processes under `rps` to Notion.

    Opt-in (`CONDUCTOR_NOTION_SHARED_RATE_LIMIT=true`) for several workers sharing one token:
    each slot costs a Prefect API round trip (~7 ms, `bench/shared_rate_limit.py`), so a single
    process relies on its in-process token bucket alone. Returns False (and the in-process
    limiter alone applies) when the Prefect API cannot be reached.
    """
    return ensure_limit(NOTION_RATE_LIMIT, limit=max(1, int(rps)), slot_decay_per_second=rps)


def shared_rate_limit_hook() -> None:
    """Called before every Notion request: take a slot of the cross-process rate limit."""
    from prefect.concurrency.sync import rate_limit

    rate_limit(NOTION_RATE_LIMIT, occupy=1, strict=True)
