"""Flow `notion_ingest`: Notion → SQL, incrementally, under Notion's rate limit.

Runs `tasks.notion.sync.run_sync` — the one entry point of a sync, which takes the ingest
lock — with this module's Prefect tasks as its steps: the Sprints data sources, then the
Tickets ones, each paged through with one task per 100 pages (fetch, parse, upsert, cursor: one
transaction), then people when the users list is worth reading. The cursor of each data source moves only after the page that contains it has
been committed, so a crash anywhere loses and duplicates nothing on the next run.

The tasks are declared here, not in `tasks/notion` (which holds plain functions only): a flow
module owns the retry, caching and naming policy of the steps it runs. Retries fire only on
transient failures: Notion still failing after the client's own retries (429/5xx/timeouts), or
a database connection dropping.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run
from prefect.states import Cancelled, State
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from flows.announce import announce
from flows.hooks import notify_failure
from models import clock
from models.base import utcnow
from models.db import session_scope
from models.locks import IfBusy, LockBusyError
from models.settings import Settings, get_settings
from tasks.announcements import tickets_blocked
from tasks.concurrency import ensure_limit
from tasks.notion import plan as planning
from tasks.notion import sync
from tasks.notion.client import NotionGateway
from tasks.notion.errors import NotionUnavailableError
from tasks.notion.plan import SourcePlan
from tasks.notion.writes import BatchResult
from tasks.retries import retry_on

#: Name of the Prefect global rate limit every Conductor process shares for Notion requests.
NOTION_RATE_LIMIT = "notion-api"

#: Retry policy of the tasks that talk to Notion and the database: transient failures only.
RETRY_TRANSIENT = {
    "retries": 2,
    "retry_delay_seconds": [5, 20],
    "retry_condition_fn": retry_on(NotionUnavailableError, OperationalError),
}


@task(cache_policy=NO_CACHE, task_run_name="sync people")
def sync_people(gateway: NotionGateway) -> int:
    """Upsert workspace users (skipped quietly when the integration may not list them)."""
    with session_scope(get_settings().database_url) as session:
        return sync.sync_people(session, gateway)


@task(cache_policy=NO_CACHE, task_run_name="plan sync — {kind}", **RETRY_TRANSIENT)
def plan_sources(
    gateway: NotionGateway,
    settings: Settings,
    kind: str,
    *,
    full_refresh: bool,
    sprints_source_id: str | None = None,
) -> list[SourcePlan]:
    """Resolve every data source of the database and its property mapping; choose
    incremental or full scan for each."""
    with session_scope(settings.database_url) as session:
        return planning.plan_sources(
            session,
            gateway,
            settings,
            kind,
            full_refresh=full_refresh,
            sprints_source_id=sprints_source_id,
        )


@task(cache_policy=NO_CACHE, task_run_name="sync page — {plan.kind}", **RETRY_TRANSIENT)
def sync_page(
    gateway: NotionGateway,
    plan: SourcePlan,
    settings: Settings,
    start_cursor: str | None,
) -> BatchResult:
    """One page (≤ 100) of the plan's query window, oldest edit first: fetch, parse, upsert,
    record events and advance the cursor, in one transaction."""
    with session_scope(settings.database_url) as session:
        return sync.sync_page(session, gateway, plan, settings, start_cursor)


def _plan_step(
    _session: Session,
    gateway: NotionGateway,
    settings: Settings,
    kind: str,
    *,
    full_refresh: bool,
    sprints_source_id: str | None = None,
    now: datetime | None = None,
) -> list[SourcePlan]:
    # `now` is left to the task (each plan reads the clock itself, as the flow always did).
    return plan_sources(
        gateway, settings, kind, full_refresh=full_refresh, sprints_source_id=sprints_source_id
    )


#: The sync's steps as this flow's tasks; each task opens its own database session.
FLOW_STEPS = sync.SyncSteps(
    people=lambda _session, gateway: sync_people(gateway),
    plan=_plan_step,
    page=lambda _session, gateway, source, settings, cursor: sync_page(
        gateway, source, settings, cursor
    ),
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


def _run_name() -> str:
    suffix = "-full" if flow_run.parameters.get("full_refresh") else ""
    return f"ingest-{clock.local_now(get_settings().tz):%Y-%m-%dT%H:%M}{suffix}"


@flow(
    name="notion_ingest",
    flow_run_name=_run_name,
    timeout_seconds=3600,
    log_prints=True,
    on_failure=[notify_failure],
)
def notion_ingest(
    full_refresh: bool = False, rollup_after: bool = False, if_busy: IfBusy = "wait"
) -> dict[str, Any] | State:
    """Sync Notion into SQL; returns docs/design.md §3 `ingest --json` counts.

    `rollup_after` runs the `sprint_rollup` steps in this same run once the sync committed:
    the scheduled deployment uses it so sprint health follows every ingest (docs/design.md §6).
    One sync runs at a time (`run_sync` takes the lock): `if_busy="wait"` queues behind a
    running one, `"skip"` (the 15-minute schedule) ends this run Cancelled, saying which run
    holds the lock.
    """
    try:
        return _ingest(full_refresh=full_refresh, rollup_after=rollup_after, if_busy=if_busy)
    except LockBusyError as busy:
        if if_busy != "skip":
            raise
        get_run_logger().info("%s", busy)
        return Cancelled(message=str(busy))


def _ingest(*, full_refresh: bool, rollup_after: bool, if_busy: IfBusy) -> dict[str, Any]:
    logger = get_run_logger()
    settings = get_settings()
    started = time.perf_counter()
    observed_since = utcnow()
    shared = settings.notion_shared_rate_limit and ensure_shared_rate_limit(
        settings.notion_rate_limit_rps
    )
    with (
        NotionGateway.from_settings(
            settings, before_request=shared_rate_limit_hook if shared else None
        ) as gateway,
        session_scope(settings.database_url) as session,
    ):
        stats = sync.run_sync(
            session,
            gateway,
            settings,
            full_refresh=full_refresh,
            if_busy=if_busy,
            notify=logger.warning,
            steps=FLOW_STEPS,
        )
        blocked = tickets_blocked(session, observed_since, settings.blocked_statuses)
    if blocked:
        announce(blocked, label=f"{len(blocked)} newly blocked ticket(s)")
    # The run's duration, as this flow has always reported it: lock wait included.
    stats.duration_s = time.perf_counter() - started
    from flows.sprint_rollup import fold_or_warn

    fold_or_warn(logger)
    counts = stats.as_dict()
    logger.info("ingest done: %s", ", ".join(f"{k}={v}" for k, v in counts.items()))
    create_markdown_artifact(
        key="notion-ingest",
        markdown=_report(counts, stats.people, full_scan=stats.full_scan, complete=stats.complete),
        description="Counts of the latest Notion ingest",
    )
    if rollup_after:
        from flows.sprint_rollup import sprint_rollup

        sprint_rollup.fn()
    return counts


def _report(counts: dict[str, Any], people: int, *, full_scan: bool, complete: bool) -> str:
    rows = "\n".join(f"| {name} | {value} |" for name, value in counts.items())
    mode = "full scan (removals reconciled)" if full_scan else "incremental"
    if not complete:
        mode += ", incomplete (no removals concluded)"
    return f"# Notion ingest\n\nMode: **{mode}** · people listed: {people}\n\n| count | value |\n|---|---|\n{rows}\n"


if __name__ == "__main__":
    from deployments import serve_deployments

    serve_deployments(get_settings().timezone, names=["notion-ingest"])
