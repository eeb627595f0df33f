"""Benchmark the Notion ingestion against the issue's three targets, measured in one run:

1. **Rate-limited wall time.** A full sync of a 1,200-ticket workspace with the sandbox limiting
   to 3 req/s and the client's `RateLimiter` at 3 req/s, divided by the bound the limit imposes
   (requests ÷ 3): ≤ 1.10. Anything above 1 is time the sync spends not sending requests
   (parsing, writing, 429 back-offs).
2. **Parse + upsert throughput** with no network and no limiter: ticket page JSON is fetched from
   the sandbox once, then `write_batch` (parse, sprint choice, upsert, events, cursor, commit) is
   timed over batches of 100 into a fresh SQLite file: ≥ 5,000 pages/s, and ≥ 0.33 of a raw
   DB-API `executemany` of the very rows the sync stored — ticket, event and assignee rows,
   100 tickets' worth per batch with a commit, into the same schema — both in pages/s.
3. **Peak RSS** of a process syncing 100k generated pages with the limiter off: ≤ 400 MB. The
   sync runs in a child process of its own and reports its `VmHWM`, so neither this process nor
   the sandbox counts.
4. **Past Notion's 10,000-result cap.** A full sync of 12,000 tickets against the sandbox's
   default cap (10,000, as Notion's): complete (the stored live tickets are exactly the ids the
   sandbox answers to per-status queries, each under the cap) in at most ⌈pages ÷ 100⌉ +
   windows + 5 requests (the databases, their data sources and the users list).
5. **Unchanged re-sync.** A second sync with nothing changed, on the 400-ticket sample
   workspace: ≤ 6 requests, the removal check included. On the 12,000-ticket workspace it is
   shown next to its own bound, since re-reading the open sprints' tickets (the removal check)
   costs a page per 100 of them.

The sandbox always runs in a subprocess (`python -m sandbox.server`), so its CPU and
memory never mix with the client's. Every database is a temporary SQLite file.

Run: `uv run python bench/ingest.py` (several minutes on 2 cores), `--quick` for a smoke run,
`--only wall|throughput|memory|cap|resync` for one benchmark, `--profile` to add a cProfile of the
parse + upsert path. Exits 0 whatever the figures: it is a report, read the PASS/FAIL column.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import os
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlmodel import Session  # noqa: E402

from models.db import create_db_engine, dispose_engines, get_engine, upgrade_schema  # noqa: E402
from models.settings import Settings, load_settings  # noqa: E402
from tasks.notion.client import NotionGateway  # noqa: E402
from tasks.notion.parse import parse_ticket_pages  # noqa: E402
from tasks.notion.plan import SPRINTS, TICKETS, SourcePlan, plan_sources  # noqa: E402
from tasks.notion.sync import run_sync, sync_people  # noqa: E402
from tasks.notion.writes import write_batch  # noqa: E402

RPS = 3.0
BATCH = 100
WALL_TARGET = 1.10
PAGES_PER_S_TARGET = 5_000.0
RAW_RATIO_TARGET = 0.33
RSS_TARGET_MB = 400.0

#: (wall tickets, throughput pages, memory pages) for a full run and for `--quick`.
FULL_SIZES = (1_200, 10_000, 100_000)
QUICK_SIZES = (300, 1_000, 5_000)

_SANDBOX_KEYS = {
    "CONDUCTOR_NOTION_BASE_URL": "base_url",
    "CONDUCTOR_NOTION_TOKEN": "token",
    "CONDUCTOR_NOTION_TICKETS_DATABASE_ID": "tickets_database_id",
    "CONDUCTOR_NOTION_SPRINTS_DATABASE_ID": "sprints_database_id",
}


@dataclass(frozen=True)
class SandboxEndpoint:
    """How to reach a sandbox subprocess: what it printed as `CONDUCTOR_…=` lines."""

    base_url: str
    token: str
    tickets_database_id: str
    sprints_database_id: str
    #: Live tickets the sandbox serves, as it printed on start-up.
    tickets: int = 0


@dataclass(frozen=True)
class Measurement:
    """One row of the report: `passed` is None for figures without a target."""

    metric: str
    measured: str
    target: str = ""
    passed: bool | None = None


# ---------------------------------------------------------------- plumbing


@contextmanager
def sandbox_process(tickets: int, rate_limit: float | None = None) -> Iterator[SandboxEndpoint]:
    """Serve a generated workspace of `tickets` tickets from a subprocess on a free port."""
    command = [sys.executable, "-m", "sandbox.server", "--port", "0"]
    command += ["--tickets", str(tickets)]
    if rate_limit is not None:
        command += ["--rate-limit", f"{rate_limit:g}"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        found: dict[str, str] = {}
        served = 0
        while len(found) < len(_SANDBOX_KEYS):
            line = process.stdout.readline()
            if not line:
                raise RuntimeError(f"sandbox exited with {process.wait()} before it was ready")
            if line.startswith("Notion sandbox serving "):
                served = int(line.split()[3])
            name, _, value = line.strip().partition("=")
            if name in _SANDBOX_KEYS:
                found[_SANDBOX_KEYS[name]] = value
        yield SandboxEndpoint(**found, tickets=served)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def settings_for(endpoint: SandboxEndpoint, db_path: Path) -> Settings:
    return load_settings(
        notion_token=endpoint.token,
        notion_base_url=endpoint.base_url,
        notion_tickets_database_id=endpoint.tickets_database_id,
        notion_sprints_database_id=endpoint.sprints_database_id,
        database_url=f"sqlite:///{db_path.as_posix()}",
    )


def peak_rss_mb() -> float:
    """This process's peak resident set (`VmHWM`), falling back to `ru_maxrss`."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def batches(items: Sequence[Any], size: int = BATCH) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def verdict(value: float, target: float, *, at_most: bool) -> bool:
    return value <= target if at_most else value >= target


# ---------------------------------------------------------------- 1. rate-limited wall time


def bench_wall(tickets: int, workdir: Path) -> list[Measurement]:
    """Full sync at 3 req/s on both sides; wall time ÷ (requests ÷ 3)."""
    with sandbox_process(tickets, rate_limit=RPS) as endpoint:
        settings = settings_for(endpoint, workdir / "wall.db")
        engine = get_engine(settings.database_url)  # migrations are not part of the sync
        with Session(engine) as session, NotionGateway.from_settings(settings, rps=RPS) as gateway:
            started = time.perf_counter()
            stats = run_sync(session, gateway, settings)
            wall = time.perf_counter() - started
    bound = stats.requests / RPS
    ratio = wall / bound
    return [
        Measurement(
            f"wall ÷ rate-limit bound ({tickets:,} tickets, {RPS:g} req/s)",
            f"{ratio:.3f}",
            f"≤ {WALL_TARGET:.2f}",
            verdict(ratio, WALL_TARGET, at_most=True),
        ),
        Measurement(
            "  wall time / bound",
            f"{wall:.2f} s / {bound:.2f} s",
        ),
        Measurement(
            "  requests / 429s / retries",
            f"{stats.requests} / {stats.rate_limited} / {stats.retried}",
        ),
        Measurement("  pages fetched", f"{stats.fetched:,}"),
    ]


# ---------------------------------------------------------------- 2. parse + upsert throughput


@dataclass
class Prefetched:
    """Everything a sync reads from Notion, fetched once so that only parse + write is timed."""

    settings: Settings
    users: list[dict[str, Any]] | None
    sprints_plan: SourcePlan
    tickets_plan: SourcePlan
    sprint_pages: list[dict[str, Any]]
    ticket_pages: list[dict[str, Any]]

    def list_users(self) -> list[dict[str, Any]] | None:
        """Lets `sync_people` take this object in place of a gateway."""
        return self.users


def prefetch(tickets: int, workdir: Path) -> Prefetched:
    with sandbox_process(tickets) as endpoint:
        settings = settings_for(endpoint, workdir / "unused.db")
        with NotionGateway.from_settings(settings, rps=None) as gw:
            return _fetch_all(gw, settings)


def _fetch_all(gw: NotionGateway, settings: Settings) -> Prefetched:
    with Session(get_engine(settings.database_url)) as session:
        (sprints,) = plan_sources(session, gw, settings, SPRINTS, full_refresh=True)
        (tickets,) = plan_sources(
            session,
            gw,
            settings,
            TICKETS,
            full_refresh=True,
            sprints_source_id=sprints.data_source_id,
        )
    return Prefetched(
        settings=settings,
        users=gw.list_users(),
        sprints_plan=sprints,
        tickets_plan=tickets,
        sprint_pages=[p for chunk in gw.iter_query(sprints.data_source_id) for p in chunk],
        ticket_pages=[p for chunk in gw.iter_query(tickets.data_source_id) for p in chunk],
    )


def fresh_sync_db(data: Prefetched, path: Path) -> tuple[Session, SourcePlan, Settings]:
    """A migrated database holding the people and sprints, as when a sync reaches its tickets."""
    settings = data.settings.model_copy(update={"database_url": f"sqlite:///{path.as_posix()}"})
    session = Session(get_engine(settings.database_url))
    sync_people(session, data)  # type: ignore[arg-type]
    session.commit()
    for chunk in batches(data.sprint_pages):
        write_batch(session, data.sprints_plan, chunk, settings, None)
    return session, data.tickets_plan, settings


def time_parse_and_upsert(data: Prefetched, path: Path) -> float:
    """Seconds to `write_batch` every ticket page, 100 a batch, one commit per batch."""
    session, plan, settings = fresh_sync_db(data, path)
    with session:
        started = time.perf_counter()
        for chunk in batches(data.ticket_pages):
            write_batch(session, plan, chunk, settings, None)
        return time.perf_counter() - started


def time_parse_only(data: Prefetched) -> float:
    started = time.perf_counter()
    for chunk in batches(data.ticket_pages):
        parse_ticket_pages(
            chunk,
            data.tickets_plan.mapping,  # type: ignore[arg-type]
            data.tickets_plan.data_source_id,
            None,
            data.settings.tz,
        )
    return time.perf_counter() - started


#: The tables a ticket page's sync writes rows to, and the column naming the ticket.
WRITTEN_TABLES = (("ticket", "id"), ("ticketevent", "ticket_id"), ("ticketassignee", "ticket_id"))


@dataclass
class StoredRows:
    """Every row the sync wrote for the tickets, per table, grouped by ticket id."""

    columns: dict[str, list[str]]
    by_ticket: dict[str, dict[str, list[tuple[Any, ...]]]]
    ticket_ids: list[str]

    @property
    def count(self) -> int:
        return sum(len(rows) for tables in self.by_ticket.values() for rows in tables.values())


def stored_rows(path: Path) -> StoredRows:
    """The ticket, event and assignee rows exactly as the sync stored them (DB-API tuples)."""
    engine = create_db_engine(f"sqlite:///{path.as_posix()}")
    connection = engine.raw_connection()
    columns: dict[str, list[str]] = {}
    by_ticket: dict[str, dict[str, list[tuple[Any, ...]]]] = {}
    ticket_ids: list[str] = []
    try:
        cursor = connection.cursor()
        for table, key in WRITTEN_TABLES:
            cursor.execute(f"SELECT * FROM {table} ORDER BY rowid")
            columns[table] = [d[0] for d in cursor.description]
            index = columns[table].index(key)
            for row in cursor.fetchall():
                by_ticket.setdefault(row[index], {}).setdefault(table, []).append(row)
                if table == "ticket":
                    ticket_ids.append(row[index])
        return StoredRows(columns, by_ticket, ticket_ids)
    finally:
        connection.close()
        engine.dispose()


def time_raw_executemany(stored: StoredRows, path: Path) -> float:
    """Seconds to `executemany` the same rows into a fresh, migrated DB: per 100 tickets, their
    ticket, event and assignee rows, then a commit — the writes of one sync batch, minus the
    sync's own work (parsing, diffing, upsert conflict checks)."""
    engine = create_db_engine(f"sqlite:///{path.as_posix()}")
    upgrade_schema(engine)
    sql = {
        table: f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        for table, cols in stored.columns.items()
    }
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        started = time.perf_counter()
        for chunk in batches(stored.ticket_ids):
            for table, _ in WRITTEN_TABLES:
                rows = [row for tid in chunk for row in stored.by_ticket[tid].get(table, ())]
                if rows:
                    cursor.executemany(sql[table], rows)
            connection.commit()
        return time.perf_counter() - started
    finally:
        connection.close()
        engine.dispose()


def bench_throughput(pages: int, repeat: int, workdir: Path, profile: bool) -> list[Measurement]:
    """Best of `repeat` runs of parse + upsert vs. raw executemany of the same rows."""
    data = prefetch(pages, workdir)
    n = len(data.ticket_pages)
    # A real sync holds 100 pages at a time; keep the collector from rescanning all of them.
    gc.collect()
    gc.freeze()
    sync_times, raw_times, parse_times = [], [], []
    stored: StoredRows | None = None
    for attempt in range(repeat):
        sync_path = workdir / f"throughput-sync-{attempt}.db"
        sync_times.append(time_parse_and_upsert(data, sync_path))
        dispose_engines()
        if stored is None:
            stored = stored_rows(sync_path)
        raw_times.append(time_raw_executemany(stored, workdir / f"raw-{attempt}.db"))
        parse_times.append(time_parse_only(data))
    assert stored is not None
    if len(stored.ticket_ids) != n:
        raise RuntimeError(f"sync stored {len(stored.ticket_ids)} tickets for {n} pages")
    sync_rate, raw_rate, parse_rate = (n / min(t) for t in (sync_times, raw_times, parse_times))
    ratio = sync_rate / raw_rate
    results = [
        Measurement(
            f"parse + upsert, pages/s ({n:,} pages, best of {repeat})",
            f"{sync_rate:,.0f}",
            f"≥ {PAGES_PER_S_TARGET:,.0f}",
            verdict(sync_rate, PAGES_PER_S_TARGET, at_most=False),
        ),
        Measurement(
            "parse + upsert ÷ raw executemany",
            f"{ratio:.3f}",
            f"≥ {RAW_RATIO_TARGET:.2f}",
            verdict(ratio, RAW_RATIO_TARGET, at_most=False),
        ),
        Measurement(
            "  raw executemany, pages/s (rows per page)",
            f"{raw_rate:,.0f} ({stored.count / n:.1f} rows: ticket, events, assignees)",
        ),
        Measurement(
            "  parse only, pages/s (share of sync time)",
            f"{parse_rate:,.0f} ({sync_rate / parse_rate:.0%})",
        ),
        Measurement(
            "  per page: sync / parse / raw insert",
            f"{1e6 / sync_rate:.0f} / {1e6 / parse_rate:.0f} / {1e6 / raw_rate:.0f} µs",
        ),
    ]
    if profile:
        print_profile(data, workdir / "profile.db")
    gc.unfreeze()
    return results


def print_profile(data: Prefetched, path: Path) -> None:
    session, plan, settings = fresh_sync_db(data, path)
    profiler = cProfile.Profile()
    with session:
        profiler.enable()
        for chunk in batches(data.ticket_pages):
            write_batch(session, plan, chunk, settings, None)
        profiler.disable()
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(25)
        print(f"\n--- cProfile of parse + upsert, by {order} ---")
        print(out.getvalue().strip())


# ---------------------------------------------------------------- 3. peak RSS


def sync_child(config: dict[str, Any]) -> None:
    """In a child process: one full sync with the limiter off; print its figures as JSON."""
    endpoint = SandboxEndpoint(**config["endpoint"])
    settings = settings_for(endpoint, Path(config["db_path"]))
    engine = get_engine(settings.database_url)
    before = current_rss_mb()
    with Session(engine) as session, NotionGateway.from_settings(settings, rps=None) as gateway:
        started = time.perf_counter()
        stats = run_sync(session, gateway, settings)
        wall = time.perf_counter() - started
    print(
        json.dumps(
            {
                "peak_rss_mb": peak_rss_mb(),
                "rss_before_sync_mb": before,
                "fetched": stats.fetched,
                "requests": stats.requests,
                "wall_s": wall,
            }
        ),
        flush=True,
    )


def bench_memory(pages: int, workdir: Path) -> list[Measurement]:
    with sandbox_process(pages) as endpoint:
        config = {"endpoint": vars(endpoint), "db_path": str(workdir / "memory.db")}
        child = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--sync-child", json.dumps(config)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
            check=True,
            timeout=3600,
        )
    figures = json.loads(child.stdout.strip().splitlines()[-1])
    peak = figures["peak_rss_mb"]
    return [
        Measurement(
            f"peak RSS of the syncing process ({pages:,} pages)",
            f"{peak:,.0f} MB",
            f"≤ {RSS_TARGET_MB:,.0f} MB",
            verdict(peak, RSS_TARGET_MB, at_most=True),
        ),
        Measurement("  RSS after imports + engine", f"{figures['rss_before_sync_mb']:,.0f} MB"),
        Measurement(
            "  sync wall time, pages/s",
            f"{figures['wall_s']:.1f} s, {figures['fetched'] / figures['wall_s']:,.0f}",
        ),
    ]


# ---------------------------------------------------------------- 4./5. the cap and re-syncs


CAP_TICKETS = 12_000
RESYNC_TICKETS = 400
RESYNC_TARGET = 6


def live_ticket_ids(db_url: str) -> set[str]:
    from sqlalchemy import select

    from models import Ticket

    with Session(get_engine(db_url)) as session:
        table = Ticket.__table__  # type: ignore[attr-defined]
        return {
            r[0] for r in session.execute(select(table.c.id).where(table.c.removed_at.is_(None)))
        }


def ids_by_status(gw: NotionGateway, data_source_id: str) -> set[str]:
    """Every live ticket id, read as one query per status (each well under the cap), so the
    truth does not depend on the sync's windows. Raises if a query was cut anyway."""
    from sandbox.sample_content import TICKET_STATUSES

    ids: set[str] = set()
    for status in [name for names in TICKET_STATUSES.values() for name in names]:
        cursor = None
        while True:
            page = gw.query_page(
                data_source_id,
                start_cursor=cursor,
                filter={"property": "Status", "status": {"equals": status}},
            )
            if page.get("request_status"):
                raise RuntimeError(f"the truth query for {status!r} was cut too")
            ids.update(r["id"] for r in page["results"])
            if not page.get("has_more"):
                break
            cursor = page["next_cursor"]
    return ids


def open_sprint_tickets(settings: Settings) -> int:
    """Stored live tickets of the open sprints: what an incremental sync re-reads to see
    removals from them (`tasks.notion.plan`)."""
    from sqlalchemy import func, select

    from models import Ticket
    from models.clock import local_today
    from tasks.notion.plan import open_sprint_ids

    with Session(get_engine(settings.database_url)) as session:
        table = Ticket.__table__  # type: ignore[attr-defined]
        open_ids = open_sprint_ids(session, local_today(settings.tz))
        query = select(func.count()).where(
            table.c.removed_at.is_(None), table.c.sprint_id.in_(open_ids)
        )
        return int(session.execute(query).scalar_one())


def resync_requests(settings: Settings) -> tuple[int, Any]:
    """Requests of one more sync (nothing changed since the last), and its stats."""
    with (
        Session(get_engine(settings.database_url)) as session,
        NotionGateway.from_settings(settings, rps=None) as gateway,
    ):
        stats = run_sync(session, gateway, settings)
    return stats.requests, stats


def bench_cap(workdir: Path) -> list[Measurement]:
    """12,000 tickets past the default 10,000-result cap: complete, and within the request bound."""
    with sandbox_process(CAP_TICKETS) as endpoint:
        settings = settings_for(endpoint, workdir / "cap.db")
        get_engine(settings.database_url)  # migrations are not part of the sync
        with (
            Session(get_engine(settings.database_url)) as session,
            NotionGateway.from_settings(settings, rps=None) as gateway,
        ):
            started = time.perf_counter()
            stats = run_sync(session, gateway, settings)
            wall = time.perf_counter() - started
            (tickets_plan,) = plan_sources(session, gateway, settings, TICKETS, full_refresh=False)
            truth = ids_by_status(gateway, tickets_plan.data_source_id)
        stored_ids = live_ticket_ids(settings.database_url)
        complete = stored_ids == truth and len(truth) == endpoint.tickets
        pages = stats.created  # a fresh database: every ticket and sprint synced is created
        bound = -(-pages // BATCH) + stats.windows + 5
        again, resync = resync_requests(settings)
        in_open = open_sprint_tickets(settings)
    resync_bound = 5 + -(-in_open // BATCH) + 1
    return [
        Measurement(
            f"full sync past the cap ({CAP_TICKETS:,} tickets, cap 10,000): stored == truth",
            f"{len(stored_ids):,} == {len(truth):,} ({'complete' if stats.complete else 'INCOMPLETE'})",
            "equal, complete",
            complete and stats.complete,
        ),
        Measurement(
            "  requests ≤ ⌈pages ÷ 100⌉ + windows + 5",
            f"{stats.requests} ≤ {-(-pages // BATCH)} + {stats.windows} + 5 = {bound}",
            f"≤ {bound}",
            stats.requests <= bound,
        ),
        Measurement("  wall time (limiter off) / removed", f"{wall:.1f} s / {stats.removed}"),
        Measurement(
            f"  unchanged re-sync ({CAP_TICKETS:,} tickets, {in_open:,} in open sprints)",
            f"{again} requests",
            f"≤ 5 + ⌈{in_open:,} ÷ 100⌉ + 1 = {resync_bound}",
            again <= resync_bound and resync.created == resync.updated == resync.removed == 0,
        ),
    ]


def bench_resync(workdir: Path) -> list[Measurement]:
    """An unchanged re-sync of the 400-ticket sample: ≤ 6 requests, removal check included."""
    with sandbox_process(RESYNC_TICKETS) as endpoint:
        settings = settings_for(endpoint, workdir / "resync.db")
        resync_requests(settings)
        again, stats = resync_requests(settings)
    unchanged = stats.created == stats.updated == stats.removed == 0
    return [
        Measurement(
            f"unchanged re-sync ({RESYNC_TICKETS} tickets): requests",
            f"{again} (people list skipped; open-sprint removal check in the one query)",
            f"≤ {RESYNC_TARGET}",
            again <= RESYNC_TARGET and unchanged,
        )
    ]


# ---------------------------------------------------------------- report


def print_table(rows: Sequence[Measurement]) -> None:
    header = Measurement("metric", "measured", "target")
    widths = [
        max(len(getattr(r, name)) for r in [header, *rows])
        for name in ("metric", "measured", "target")
    ]

    def line(row: Measurement, result: str) -> str:
        cells = (row.metric, row.measured, row.target)
        padded = "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True))
        return f"{padded}  {result}".rstrip()

    print()
    print(line(header, "result"))
    print("-" * (sum(widths) + 2 * len(widths) + 6))
    for row in rows:
        print(line(row, {True: "PASS", False: "FAIL", None: ""}[row.passed]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/ingest.py", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes for a smoke run")
    parser.add_argument(
        "--only",
        choices=("wall", "throughput", "memory", "cap", "resync"),
        help="run one benchmark only",
    )
    parser.add_argument("--repeat", type=int, default=3, help="throughput runs (best is kept)")
    parser.add_argument("--profile", action="store_true", help="cProfile parse + upsert")
    parser.add_argument("--sync-child", metavar="JSON", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.sync_child:
        sync_child(json.loads(args.sync_child))
        return 0

    with tempfile.TemporaryDirectory(prefix="conductor-bench-ingest-") as tmp:
        rows = run_benchmarks(args, Path(tmp))
    print_table(rows)
    return 0


def run_benchmarks(args: argparse.Namespace, workdir: Path) -> list[Measurement]:
    """Run the selected benchmarks; a failing one becomes a FAIL row, the others still run."""
    os.environ.setdefault("CONDUCTOR_HOME", str(workdir / "home"))
    wall_tickets, throughput_pages, memory_pages = QUICK_SIZES if args.quick else FULL_SIZES
    benchmarks: dict[str, Callable[[], list[Measurement]]] = {
        "wall": lambda: bench_wall(wall_tickets, workdir),
        "throughput": lambda: bench_throughput(
            throughput_pages, max(1, args.repeat), workdir, args.profile
        ),
        "memory": lambda: bench_memory(memory_pages, workdir),
        "cap": lambda: bench_cap(workdir),
        "resync": lambda: bench_resync(workdir),
    }
    rows: list[Measurement] = []
    for name, run in benchmarks.items():
        if args.only and name != args.only:
            continue
        print(f"running {name} …", file=sys.stderr, flush=True)
        try:
            rows += run()
        except Exception as exc:  # a report still prints what the other benchmarks measured
            rows.append(Measurement(name, f"error: {type(exc).__name__}: {exc}"[:120], "", False))
        finally:
            dispose_engines()
    return rows


if __name__ == "__main__":
    raise SystemExit(main())
