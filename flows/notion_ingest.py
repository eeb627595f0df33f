"""Flow `notion_ingest`: Notion → SQL, incrementally, under Notion's rate limit.

Reads like the sync it runs: people, then the Sprints data source, then Tickets — each paged
through with one task per 100 pages (fetch, parse, upsert, cursor: one transaction). The cursor
of each data source moves only after the page that contains it has been committed, so a crash
anywhere loses and duplicates nothing on the next run.
"""

from __future__ import annotations

import time
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.runtime import flow_run
from prefect.states import Cancelled, State

from flows.hooks import notify_failure
from models import clock
from models.locks import INGEST_LOCK, IfBusy, LockBusyError, run_lock
from models.settings import get_settings
from tasks.notion import sync
from tasks.notion.client import NotionGateway
from tasks.notion.ingest_tasks import (
    ensure_shared_rate_limit,
    plan_source,
    shared_rate_limit_hook,
    sync_people,
    sync_source,
)


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
    One sync runs at a time (`models.locks`): `if_busy="wait"` queues behind a running one,
    `"skip"` (the 15-minute schedule) ends this run Cancelled, saying which run holds the lock.
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
    shared = settings.notion_shared_rate_limit and ensure_shared_rate_limit(
        settings.notion_rate_limit_rps
    )
    stats = sync.IngestStats()
    # One sync at a time: two overlapping runs would diff the same pages against the same
    # stored state and record their changes twice.
    with (
        run_lock(INGEST_LOCK, settings.database_url, if_busy=if_busy, notify=logger.warning),
        NotionGateway.from_settings(
            settings, before_request=shared_rate_limit_hook if shared else None
        ) as gateway,
    ):
        people = sync_people(gateway)
        sprints_plan = plan_source(gateway, settings, sync.SPRINTS, full_refresh=full_refresh)
        stats.add(sync_source(gateway, sprints_plan, settings))
        tickets_plan = plan_source(
            gateway,
            settings,
            sync.TICKETS,
            full_refresh=full_refresh,
            sprints_source_id=sprints_plan.data_source_id,
        )
        stats.add(sync_source(gateway, tickets_plan, settings))
        stats.requests, stats.rate_limited, stats.retried = (
            gateway.stats.requests,
            gateway.stats.rate_limited,
            gateway.stats.retried,
        )
    stats.duration_s = time.perf_counter() - started
    counts = stats.as_dict()
    logger.info("ingest done: %s", ", ".join(f"{k}={v}" for k, v in counts.items()))
    create_markdown_artifact(
        key="notion-ingest",
        markdown=_report(counts, people, full_scan=tickets_plan.full_scan),
        description="Counts of the latest Notion ingest",
    )
    if rollup_after:
        from flows.sprint_rollup import sprint_rollup

        sprint_rollup.fn()
    return counts


def _report(counts: dict[str, Any], people: int, *, full_scan: bool) -> str:
    rows = "\n".join(f"| {name} | {value} |" for name, value in counts.items())
    mode = "full scan (removals reconciled)" if full_scan else "incremental"
    return f"# Notion ingest\n\nMode: **{mode}** · people listed: {people}\n\n| count | value |\n|---|---|\n{rows}\n"


if __name__ == "__main__":
    from deployments import serve_deployments

    serve_deployments(get_settings().timezone, names=["notion-ingest"])
