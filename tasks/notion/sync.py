"""The incremental Notion → SQL sync: `run_sync`, its one entry point, and the paging loop.

How a sync stays correct when it crashes anywhere:
- pages are queried sorted by `last_edited_time` ascending, a page of 100 at a time
  (`plan.py` decides from where: the stored cursor minus a lookback, or a full scan);
- each page of results is parsed (`parse.py`), diffed against what is stored, upserted, turned
  into `TicketEvent`s (`events.py`), and the data source's cursor is moved to the newest edit
  time of that page — all in **one transaction** (`writes.py`), so the cursor can never run
  ahead of committed data;
- pages seen again are recognised as unchanged by their content hash and write nothing.
Removed pages never show up in queries, so a *full scan* reconciles ids: live stored tickets
the scan did not return are marked removed.

Every sync — the `notion_ingest` flow, `conductor task create`, benchmarks and tests — runs
through `run_sync`, which takes the ingest lock (`models.locks.INGEST_LOCK`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass
from typing import Any

from sqlmodel import Session

from models.base import utcnow
from models.locks import INGEST_LOCK, IfBusy, run_lock
from models.people import upsert_people
from models.settings import Settings
from tasks.notion.client import NotionGateway
from tasks.notion.plan import SPRINTS, TICKETS, SourcePlan, plan_source
from tasks.notion.writes import (
    BatchResult,
    Counts,
    finish_source,
    reconcile_removed,
    write_batch,
)

log = logging.getLogger(__name__)


@dataclass
class IngestStats(Counts):
    """Counts of one ingest run (tickets and sprints together): docs/design.md §3 `ingest --json`.

    `people` (users listed through the users API) and `full_scan` (whether the tickets source
    was fully scanned) describe the run for the flow's report; they are not JSON counts.
    """

    requests: int = 0
    rate_limited: int = 0
    retried: int = 0
    duration_s: float = 0.0
    people: int = 0
    full_scan: bool = False

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["duration_s"] = round(self.duration_s, 3)
        del data["people"], data["full_scan"]
        return data


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


# ---------------------------------------------------------------- the steps of a sync


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


@dataclass(frozen=True)
class SyncSteps:
    """How each step of a sync is run: by default a plain call in the caller's session.

    The `notion_ingest` flow passes its Prefect tasks instead (retried, named, one task per page
    of results); they ignore the session given and open their own.
    """

    people: Callable[[Session, NotionGateway], int] = sync_people
    plan: Callable[..., SourcePlan] = plan_source
    page: Callable[[Session, NotionGateway, SourcePlan, Settings, str | None], BatchResult] = (
        sync_page
    )


def sync_source(
    session: Session,
    gateway: NotionGateway,
    plan: SourcePlan,
    settings: Settings,
    steps: SyncSteps,
) -> BatchResult:
    """Page through one data source and write every page; reconcile removals after a full scan."""
    total = BatchResult()
    seen: set[str] = set()
    cursor: str | None = None
    while True:
        result = steps.page(session, gateway, plan, settings, cursor)
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


# ---------------------------------------------------------------- the entry point


def run_sync(
    session: Session,
    gateway: NotionGateway,
    settings: Settings,
    *,
    full_refresh: bool = False,
    if_busy: IfBusy = "wait",
    notify: Callable[[str], None] | None = None,
    steps: SyncSteps | None = None,
) -> IngestStats:
    """Run one whole sync — people, sprints, then tickets — holding the ingest lock.

    One sync at a time: two overlapping runs would diff the same pages against the same stored
    state and record their changes twice. `if_busy="wait"` queues behind a running sync
    (`notify` is told who holds the lock), `"skip"` raises `models.locks.LockBusyError` at once.
    Called by the `notion_ingest` flow (with its Prefect tasks as `steps`) and by
    `conductor task create` (`tasks.assistant.task_intake.submit_ticket`).
    """
    steps = steps or SyncSteps()
    with run_lock(INGEST_LOCK, settings.database_url, if_busy=if_busy, notify=notify):
        started = time.perf_counter()
        stats = IngestStats()
        now = utcnow()
        stats.people = steps.people(session, gateway)
        session.commit()
        sprints = steps.plan(
            session, gateway, settings, SPRINTS, full_refresh=full_refresh, now=now
        )
        stats.add(sync_source(session, gateway, sprints, settings, steps))
        tickets = steps.plan(
            session,
            gateway,
            settings,
            TICKETS,
            full_refresh=full_refresh,
            sprints_source_id=sprints.data_source_id,
            now=now,
        )
        stats.add(sync_source(session, gateway, tickets, settings, steps))
        stats.full_scan = tickets.full_scan
        stats.requests = gateway.stats.requests
        stats.rate_limited = gateway.stats.rate_limited
        stats.retried = gateway.stats.retried
        stats.duration_s = time.perf_counter() - started
    return stats
