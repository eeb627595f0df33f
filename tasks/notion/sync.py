"""The incremental Notion → SQL sync: `run_sync`, its one entry point, and the paging loop.

How a sync stays correct when it crashes anywhere:
- pages are queried sorted by `last_edited_time` ascending, a page of 100 at a time
  (`plan.py` decides from where: the stored cursor minus a lookback, or a full scan), every
  data source of each database; a query Notion cuts at its result limit is continued by
  further windows (`windows.py`) until the source is read whole;
- each page of results is parsed (`parse.py`), diffed against what is stored, upserted, turned
  into `TicketEvent`s (`events.py`), and the data source's cursor is moved to the newest edit
  time of that page — all in **one transaction** (`writes.py`), so the cursor can never run
  ahead of committed data;
- pages seen again are recognised as unchanged by their content hash and write nothing.
Removed pages never show up in queries, so a *full scan* reconciles ids: live stored tickets
the scan did not return are marked removed; between full scans the incremental query also
returns the open sprints' tickets, so one removed from an open sprint leaves its scope at the
next sync. Removals are concluded only from a complete scan.

The users list is read on full scans and whenever a changed ticket names a user no stored
person has: an unchanged re-sync needs it not, and page objects carry the users they name.

Every sync — the `notion_ingest` flow, `conductor task create`, benchmarks and tests — runs
through `run_sync`, which takes the ingest lock (`models.locks.INGEST_LOCK`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any

from sqlmodel import Session

from models.base import utcnow
from models.locks import INGEST_LOCK, IfBusy, run_lock
from models.people import upsert_people
from models.settings import Settings
from tasks.notion.client import NotionGateway
from tasks.notion.parse import complete_partial_pages, is_partial
from tasks.notion.plan import SPRINTS, TICKETS, SourcePlan, plan_sources
from tasks.notion.windows import (
    QueryWindow,
    next_window,
    sort_value,
    window_filter,
    window_sorts,
)
from tasks.notion.writes import (
    BatchResult,
    Counts,
    finish_source,
    hold_cursor,
    reconcile_removed,
    write_batch,
)

log = logging.getLogger(__name__)


@dataclass
class IngestStats(Counts):
    """Counts of one ingest run (tickets and sprints together): docs/design.md §3 `ingest --json`.

    `people` (users listed through the users API; 0 when the list was not read), `full_scan`
    (whether the tickets sources were fully scanned), `windows` (queries the scans took: more
    than one per source only past Notion's result limit), `complete` (every scan read whole)
    and `unknown_people` describe the run for the flow's report and the benchmarks; they are
    not JSON counts.
    """

    requests: int = 0
    rate_limited: int = 0
    retried: int = 0
    duration_s: float = 0.0
    people: int = 0
    full_scan: bool = False
    windows: int = 0
    complete: bool = True
    unknown_people: int = 0

    def add_source(self, result: SourceResult) -> None:
        self.add(result)
        self.windows += result.windows
        self.complete = self.complete and result.complete
        self.unknown_people += result.unknown_people

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["duration_s"] = round(self.duration_s, 3)
        for name in ("people", "full_scan", "windows", "complete", "unknown_people"):
            del data[name]
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
    """Fetch one page (≤ 100) of the plan's query window and write it: one request (plus one
    per partial page or cut property), one transaction.

    Fetching and writing together keeps the 100 pages out of Prefect's hands (a task per page,
    not two, and no large payload passed between tasks), and makes a retry of the page simply
    fetch it again: Notion's start cursors can be replayed and every write is an upsert.
    """
    window, unique_id = plan.window, plan.unique_id_property
    response = gateway.query_page(
        plan.data_source_id,
        start_cursor=start_cursor,
        filter=window_filter(window, plan.base_filter, unique_id),
        sorts=window_sorts(window, unique_id),
    )
    results = response.get("results", [])
    whole = [r for r in results if isinstance(r, dict) and not is_partial(r)]
    pages, unresolved = complete_partial_pages(results, gateway)
    result = write_batch(session, plan, pages, settings, gateway)
    result.seen_ids += unresolved
    result.quarantined += len(unresolved)
    result.fetched += len(unresolved)
    result.page_size = len(results)
    result.next_cursor = response.get("next_cursor") if response.get("has_more") else None
    status = response.get("request_status") or {}
    result.incomplete = isinstance(status, dict) and status.get("type") == "incomplete"
    values = [v for r in whole if (v := sort_value(r, window, unique_id)) is not None]
    result.last_sort_value = max(values, default=None)
    return result


@dataclass(frozen=True)
class SyncSteps:
    """How each step of a sync is run: by default a plain call in the caller's session.

    The `notion_ingest` flow passes its Prefect tasks instead (retried, named, one task per page
    of results); they ignore the session given and open their own.
    """

    people: Callable[[Session, NotionGateway], int] = sync_people
    plan: Callable[..., list[SourcePlan]] = plan_sources
    page: Callable[[Session, NotionGateway, SourcePlan, Settings, str | None], BatchResult] = (
        sync_page
    )


@dataclass
class SourceResult(BatchResult):
    """What syncing one data source did: its pages' counts, and how its scan went."""

    #: Queries the scan took (1 unless Notion's result limit cut one).
    windows: int = 0
    #: Every window read whole: only then were removals concluded (and a full scan recorded).
    complete: bool = True
    #: When not complete: the edit minute from which pages may be unread.
    unread_from: datetime | None = None


def sync_source(
    session: Session,
    gateway: NotionGateway,
    plan: SourcePlan,
    settings: Settings,
    steps: SyncSteps,
) -> SourceResult:
    """Read one data source window by window, writing every page; then, if the scan was
    complete, reconcile removals (`writes.reconcile_removed`) and record the run."""
    total = SourceResult()
    seen: set[str] = set()
    window: QueryWindow | None = QueryWindow()
    while window is not None:
        scan = replace(plan, window=window)
        capped, last, cursor = False, None, None
        while True:
            result = steps.page(session, gateway, scan, settings, cursor)
            total.add(result)
            total.unknown_people += result.unknown_people
            seen.update(result.seen_ids)
            capped = capped or result.incomplete
            if result.last_sort_value is not None:
                last = result.last_sort_value if last is None else max(last, result.last_sort_value)
            report_progress(plan.kind, result.page_size)
            if result.next_cursor is None:
                break
            cursor = result.next_cursor
        total.windows += 1
        step = next_window(
            window, capped=capped, last=last, unique_id_property=plan.unique_id_property
        )
        if not step.whole:
            log.warning(
                "%s data source %s: more pages than one query returns share one minute and no "
                "order splits them; removals are not concluded from this scan",
                plan.kind,
                plan.data_source_id,
            )
            # Where the unread pages begin: the next sync must not start after them.
            unread = window.edited_minute or window.edited_from or plan.since
            if unread is not None and (total.unread_from is None or unread < total.unread_from):
                total.unread_from = unread
        total.complete = total.complete and step.whole
        window = step.window
    now = utcnow()
    if total.complete:
        total.removed += reconcile_removed(session, plan, seen, now)
    finish_source(session, plan, total, now, complete=total.complete)
    if total.unread_from is not None:
        hold_cursor(session, plan, total.unread_from)
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
    """Run one whole sync — sprints, tickets, then people if needed — holding the ingest lock.

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
        sprints = steps.plan(
            session, gateway, settings, SPRINTS, full_refresh=full_refresh, now=now
        )
        for plan in sprints:
            stats.add_source(sync_source(session, gateway, plan, settings, steps))
        tickets = steps.plan(
            session,
            gateway,
            settings,
            TICKETS,
            full_refresh=full_refresh,
            sprints_source_id=sprints[0].data_source_id,
            now=now,
        )
        for plan in tickets:
            stats.add_source(sync_source(session, gateway, plan, settings, steps))
        stats.full_scan = all(plan.full_scan for plan in tickets)
        # Any full scan (a first sync, a new data source) is worth a fresh users list.
        if any(plan.full_scan for plan in [*sprints, *tickets]) or stats.unknown_people:
            stats.people = steps.people(session, gateway)
            session.commit()
        stats.requests = gateway.stats.requests
        stats.rate_limited = gateway.stats.rate_limited
        stats.retried = gateway.stats.retried
        stats.duration_s = time.perf_counter() - started
    return stats
