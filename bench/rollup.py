"""Benchmark: the rollup's metric work in SQL vs. loading every ticket and event into Python.

Generates 100k tickets over 50 two-week sprints (≈480k events: first-seen, status moves, blocks,
re-estimates, carry-over moves, 1 % legacy rows without events) in a temporary SQLite database,
then times, for "today" in the middle of the last sprint:

- sql: what `sprint_rollup` computes — `record_snapshots` (backfill + today) and
  `sprint_report` of the current sprint (including velocity over the 3 closed sprints);
- baseline: load all tickets and events with plain SELECTs and replay them in Python for the
  same numbers (current sprint metrics and burndown, velocity).

Both run in the same process on the same data; prints both times and the ratio, and exits
non-zero when the two results differ. The issue's target: sql < 1 s and ≥ 10x the baseline.
Usage: `uv run python bench/rollup.py`.
"""

from __future__ import annotations

import bisect
import itertools
import random
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, select
from sqlmodel import Session

from models import Sprint, Ticket, TicketEvent
from models.db import create_db_engine, upgrade_schema
from models.settings import load_settings
from tasks.metrics.calendar import day_end, day_start, days_between
from tasks.metrics.report import sprint_report
from tasks.metrics.snapshots import record_snapshots

FIRST_START = date(2025, 1, 6)
#: The issue's target for the SQL side: absolute time on SQLite, and speed-up over the baseline.
TARGET_S, TARGET_RATIO = 1.0, 10.0


def generate(url: str, n_sprints: int = 50, per_sprint: int = 2000, seed: int = 7):  # type: ignore[no-untyped-def]
    """Write sprints, tickets and their events; returns (engine, tickets, events)."""
    rnd = random.Random(seed)
    engine = create_db_engine(url)
    upgrade_schema(engine)
    first = date(2025, 1, 6)
    sprints, tickets, events = [], [], []

    def ts(d, h):
        return datetime(d.year, d.month, d.day, h, rnd.randrange(60), tzinfo=UTC)

    for s in range(n_sprints):
        start = first + timedelta(days=14 * s)
        end = start + timedelta(days=13)
        sid = f"s{s:04d}"
        sprints.append(
            dict(
                id=sid,
                data_source_id="ds",
                name=f"Sprint {s + 1}",
                start=start,
                end=end,
                status="Active",
                raw={},
                parse_errors=[],
                first_seen_at=datetime(2024, 1, 1, tzinfo=UTC),
                updated_at=datetime(2024, 1, 1, tzinfo=UTC),
            )
        )
        for k in range(per_sprint):
            tid = f"t{s:04d}{k:06d}"
            created_day = (
                start - timedelta(days=rnd.randrange(1, 10))
                if rnd.random() > 0.1
                else start + timedelta(days=rnd.randrange(0, 10))
            )
            created = ts(created_day, 9)
            pts = None if rnd.random() < 0.1 else float(rnd.choice([1, 2, 3, 5, 8]))
            cur_sprint, cur_pts, status, cat = sid, pts, "Todo", "todo"

            def ev(tid: str = tid, created: datetime = created, **kw: object) -> None:
                events.append({"ticket_id": tid, "observed_at": created, "derived": False, **kw})

            legacy = rnd.random() < 0.01
            if not legacy:
                ev(field="sprint", old_sprint_id=None, new_sprint_id=sid, at=created, derived=True)
                ev(
                    field="points",
                    old_value=None,
                    new_value=None if pts is None else f"{pts:g}",
                    at=created,
                    derived=True,
                )
                ev(
                    field="status",
                    old_value=None,
                    new_value="Todo",
                    new_category="todo",
                    at=created,
                    derived=True,
                )
                day = max(start, created_day)
                r = rnd.random()
                if r < 0.85:
                    d1 = day + timedelta(days=rnd.randrange(0, 8))
                    ev(
                        field="status",
                        old_value="Todo",
                        old_category="todo",
                        new_value="In Progress",
                        new_category="in_progress",
                        at=ts(d1, 11),
                    )
                    status, cat = "In Progress", "in_progress"
                    if rnd.random() < 0.05:
                        d1 += timedelta(days=1)
                        ev(
                            field="status",
                            old_value=status,
                            old_category=cat,
                            new_value="Blocked",
                            new_category="in_progress",
                            at=ts(d1, 12),
                        )
                        status = "Blocked"
                        if rnd.random() < 0.5:
                            d1 += timedelta(days=1)
                            ev(
                                field="status",
                                old_value=status,
                                old_category=cat,
                                new_value="In Progress",
                                new_category="in_progress",
                                at=ts(d1, 12),
                            )
                            status = "In Progress"
                    if rnd.random() < 0.8:
                        d2 = d1 + timedelta(days=rnd.randrange(0, 6))
                        ev(
                            field="status",
                            old_value=status,
                            old_category=cat,
                            new_value="Done",
                            new_category="complete",
                            at=ts(d2, 15),
                        )
                        status, cat = "Done", "complete"
                if rnd.random() < 0.1 and pts is not None:
                    newp = pts + rnd.choice([-1, 1, 2])
                    ev(
                        field="points",
                        old_value=f"{pts:g}",
                        new_value=f"{newp:g}",
                        at=ts(start + timedelta(days=rnd.randrange(0, 12)), 10),
                    )
                    cur_pts = newp
                if cat != "complete" and s + 1 < n_sprints and rnd.random() < 0.7:
                    nid = f"s{s + 1:04d}"
                    ev(
                        field="sprint",
                        old_sprint_id=sid,
                        new_sprint_id=nid,
                        at=ts(end + timedelta(days=1), 8),
                    )
                    cur_sprint = nid
            tickets.append(
                dict(
                    id=tid,
                    data_source_id="ds",
                    key=f"ENG-{s * per_sprint + k}",
                    title=f"Ticket {tid}",
                    description="",
                    status=status,
                    status_category=cat,
                    points=cur_pts,
                    sprint_id=cur_sprint,
                    tags=[],
                    raw={},
                    parse_errors=[],
                    content_hash="",
                    created_time=created,
                    last_edited_time=created,
                    first_seen_at=created,
                    updated_at=created,
                )
            )
    with engine.begin() as c:
        c.execute(insert(Sprint.__table__), sprints)
        for i in range(0, len(tickets), 20000):
            c.execute(insert(Ticket.__table__), tickets[i : i + 20000])
        for e in events:
            for k in (
                "old_value",
                "new_value",
                "old_category",
                "new_category",
                "old_sprint_id",
                "new_sprint_id",
            ):
                e.setdefault(k, None)
        for i in range(0, len(events), 50000):
            c.execute(insert(TicketEvent.__table__), events[i : i + 50000])
    return engine, len(tickets), len(events)


def baseline(engine, sprint: Sprint, closed: list[Sprint], today: date, settings) -> dict:  # type: ignore[no-untyped-def]
    """Load everything, replay events per ticket in Python (the approach SQL replaces)."""
    tz, blocked = settings.tz, set(settings.blocked_statuses)
    T, E = Ticket.__table__, TicketEvent.__table__
    with engine.connect() as conn:
        tickets = conn.execute(
            select(
                T.c.id, T.c.sprint_id, T.c.points, T.c.status, T.c.status_category, T.c.removed_at
            )
        ).all()
        events = conn.execute(
            select(
                E.c.ticket_id,
                E.c.field,
                E.c.at,
                E.c.old_value,
                E.c.new_value,
                E.c.old_category,
                E.c.new_category,
                E.c.old_sprint_id,
                E.c.new_sprint_id,
            ).order_by(E.c.ticket_id, E.c.field, E.c.at, E.c.id)
        ).all()
    history: dict[tuple[str, str], list] = defaultdict(list)
    for e in events:
        history[(e.ticket_id, e.field)].append(e)
    times = {key: [e.at for e in rows] for key, rows in history.items()}

    def value(t, field, instant, column, old, new):  # type: ignore[no-untyped-def]
        rows = history.get((t.id, field))
        if not rows:
            return column
        i = bisect.bisect_left(times[(t.id, field)], instant)
        return getattr(rows[i - 1], new) if i else getattr(rows[0], old)

    def totals(sprint_id: str, instant: datetime) -> dict:
        out = dict(scope=0.0, done=0.0, count=0, done_count=0, blocked=0, unpointed=0, contrib={})
        for t in tickets:
            sid = value(t, "sprint", instant, t.sprint_id, "old_sprint_id", "new_sprint_id")
            gone = value(t, "removed", instant, None, "old_value", "new_value") == "1" or (
                t.removed_at is not None and t.removed_at < instant
            )
            if sid != sprint_id or gone:
                continue
            raw = value(t, "points", instant, t.points, "old_value", "new_value")
            pts = None if raw is None else float(raw)
            cat = value(t, "status", instant, t.status_category, "old_category", "new_category")
            status = value(t, "status", instant, t.status, "old_value", "new_value")
            out["scope"] += pts or 0
            out["count"] += 1
            out["unpointed"] += pts is None
            out["blocked"] += status in blocked
            out["contrib"][t.id] = pts or 0
            if cat == "complete":
                out["done"] += pts or 0
                out["done_count"] += 1
        return out

    days = list(days_between(sprint.start, min(today, sprint.end)))
    series = [totals(sprint.id, day_start(sprint.start, tz))] + [
        totals(sprint.id, day_end(d, tz)) for d in days
    ]
    added = removed = 0.0
    for before, after in itertools.pairwise(series):
        for tid in before["contrib"].keys() | after["contrib"].keys():
            delta = after["contrib"].get(tid, 0) - before["contrib"].get(tid, 0)
            added += max(delta, 0)
            removed += max(-delta, 0)
    now = series[-1]
    velocity = sum(totals(s.id, day_end(s.end, tz))["done"] for s in closed) / len(closed)
    return {
        "scope_points": round(now["scope"], 2),
        "committed_points": round(series[0]["scope"], 2),
        "added_points": round(added, 2),
        "removed_points": round(removed, 2),
        "completed_points": round(now["done"], 2),
        "remaining_points": round(now["scope"] - now["done"], 2),
        "ticket_count": now["count"],
        "done_count": now["done_count"],
        "blocked_count": now["blocked"],
        "unpointed_count": now["unpointed"],
        "velocity": round(velocity, 2),
        "burndown": [round(p["scope"] - p["done"], 2) for p in series[1:]],
    }


def main() -> None:
    settings = load_settings()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.db"
        started = time.perf_counter()
        engine, n_tickets, n_events = generate(url)
        print(
            f"generated {n_tickets} tickets, {n_events} events in {time.perf_counter() - started:.1f} s"
        )
        today = FIRST_START + timedelta(days=14 * 49 + 4)
        with Session(engine) as session:
            sprints = session.exec(select(Sprint).order_by(Sprint.start)).scalars().all()
            current, closed = sprints[-1], [s for s in sprints if s.end < today][-3:]

            started = time.perf_counter()
            written = record_snapshots(session, today, settings)
            session.commit()
            report = sprint_report(session, current, today, settings)
            sql_s = time.perf_counter() - started

        started = time.perf_counter()
        expected = baseline(engine, current, closed, today, settings)
        base_s = time.perf_counter() - started

        got = {key: report["metrics"][key] for key in expected if key != "burndown"}
        got["burndown"] = [row["remaining_points"] for row in report["burndown"]]
        if got != expected:
            sys.exit(f"SQL and baseline disagree:\nsql:      {got}\nbaseline: {expected}")
        print(
            f"snapshots written: {written}; current sprint: {report['sprint']['name']}, "
            f"{report['metrics']['ticket_count']} tickets, forecast {report['metrics']['forecast']}"
        )
        print(f"sql (record_snapshots + sprint_report): {sql_s:.3f} s")
        print(f"baseline (load all rows, replay in Python): {base_s:.3f} s")
        print(f"ratio: {base_s / sql_s:.1f}x")
        met = sql_s < TARGET_S and base_s / sql_s >= TARGET_RATIO
        print(f"target (< {TARGET_S:g} s and ≥ {TARGET_RATIO:g}x): {'met' if met else 'missed'}")


if __name__ == "__main__":
    main()
