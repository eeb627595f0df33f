"""Benchmark the daily summary's promises:

1. the prompt stays within 3,000 tokens however big the workspace (1k, 10k, 100k tickets, every
   one of them changing on the day),
2. gathering the facts of a day at 100k tickets takes at most 2 s — against a baseline, in the
   same run, that works as `daily_facts` used to (every event of the day in time order, then
   the tickets by id in `IN (...)` chunks; the sprint's states replayed from its events, not
   read from `TicketState`), with equal facts; and
3. re-running an unchanged day makes no model call (a respx-mocked OpenAI-compatible endpoint
   counts the requests that reach it).

The speed rows are measured on two 100k workspaces, each with a week of earlier history (the
events of the tickets' first sighting) so the day window has something to skip: every ticket
in the current sprint (the worst case, where the sprint's figures the facts include dominate),
and a current sprint of 2,000 tickets among 100,000 (as in `bench/rollup.py`). Each is read
as a scheduled run finds it: the ingest has folded the day's changes into `TicketState`
("fold s": here every one of the 100k tickets changed, so all are folded); "report s" is the
whole sprint report (`conductor sprint`), which the facts share their figures with.

Run: `uv run python bench/summary.py` (a few minutes; no network, temporary SQLite files).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
_TMP = Path(tempfile.mkdtemp(prefix="conductor-bench-"))
os.environ.update(
    {
        "CONDUCTOR_HOME": str(_TMP / "home"),
        "CONDUCTOR_OUTPUT_DIR": str(_TMP / "out"),
        "PREFECT_HOME": str(_TMP / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "DISABLE_AIOHTTP_TRANSPORT": "True",
    }
)

from sqlalchemy import insert  # noqa: E402
from sqlmodel import Session  # noqa: E402

from models.db import get_engine  # noqa: E402
from models.settings import get_settings, reload_settings  # noqa: E402
from models.sprints import upsert_sprints  # noqa: E402
from models.tickets import TicketEvent, upsert_tickets  # noqa: E402

DAY = date(2026, 11, 3)
SIZES = (1_000, 10_000, 100_000)
SPRINT_ID = "22222222-0000-4000-8000-000000000001"
#: The speed target for gathering a day's facts at 100k tickets.
FACTS_TARGET_S = 2.0
#: (status, category, event) by ticket number modulo 20: the day's mix of changes.
_KINDS = [("Blocked", "in_progress", "blocked")] * 2 + [("Done", "complete", "done")] * 10
_KINDS += [("In Progress", "in_progress", "started")] * 5 + [("Todo", "todo", "added")] * 3


def _earlier_sprint(k: int) -> str:
    """The id of the closed sprint `k` sprints before the current one."""
    return f"22222222-0000-4000-8000-{k + 1:012d}"


def seed_workspace(
    url: str, size: int, *, in_sprint: int | None = None, history: bool = False
) -> None:
    """`size` tickets, each with a change on DAY (blocked/done/started/added); the first
    `in_sprint` (default all) are in the current sprint, the rest in closed sprints of as many
    tickets each before it. With
    `history`, every ticket also has the derived events of its first sighting a week earlier
    (sprint, points, status), as a sync writes them."""
    at = datetime(DAY.year, DAY.month, DAY.day, 10, tzinfo=UTC)
    first_seen = at - timedelta(days=7)
    in_sprint = size if in_sprint is None else in_sprint
    with Session(get_engine(url)) as session:
        upsert_sprints(
            session,
            [
                {
                    "id": sprint_id,
                    "data_source_id": "33333333-3333-4333-8333-333333333333",
                    "name": name,
                    "start": start,
                    "end": start + timedelta(days=13),
                    "status": status,
                    "url": None,
                    "created_time": at,
                    "last_edited_time": at,
                    "raw": {},
                    "parse_errors": [],
                }
                for sprint_id, name, start, status in (
                    (SPRINT_ID, "Sprint 42", DAY - timedelta(days=3), "Active"),
                    *(
                        (
                            _earlier_sprint(k),
                            f"Sprint {42 - k}",
                            DAY - timedelta(3 + 14 * k),
                            "Closed",
                        )
                        for k in range(1, -(-size // in_sprint))
                    ),
                )
            ],
        )
        tickets, events = [], []
        for n in range(1, size + 1):
            status, category, kind = _KINDS[n % len(_KINDS)]
            ticket_id = f"00000000-0000-4000-8000-{n:012d}"
            sprint_id = SPRINT_ID if n <= in_sprint else _earlier_sprint((n - 1) // in_sprint)
            tickets.append(
                {
                    "id": ticket_id,
                    "data_source_id": "11111111-1111-4111-8111-111111111111",
                    "key": f"ENG-{n}",
                    "title": f"Improve the reliability of the payment reconciliation job part {n}",
                    "description": "Customers see duplicate charges when the job retries. " * 3,
                    "status": status,
                    "status_category": category,
                    "points": 3.0,
                    "sprint_id": sprint_id,
                    "priority": f"P{n % 4}",
                    "tags": ["backend"],
                    "due_start": None,
                    "due_end": None,
                    "url": f"https://www.notion.so/ticket-{n}",
                    "created_by_id": None,
                    "created_time": at - timedelta(days=20),
                    "last_edited_time": at,
                    "raw": {},
                    "parse_errors": [],
                    "content_hash": f"{n:064d}",
                }
            )
            if history:
                seen = {"ticket_id": ticket_id, "at": first_seen, "derived": True}
                seen["observed_at"] = first_seen
                events.append(
                    seen
                    | {
                        "field": "sprint",
                        "old_sprint_id": None,
                        "new_sprint_id": None if kind == "added" else sprint_id,
                    }
                )
                events.append(seen | {"field": "points", "old_value": None, "new_value": "3"})
                events.append(
                    seen
                    | {
                        "field": "status",
                        "old_value": None,
                        "new_value": "In Progress" if kind != "started" else "Todo",
                        "old_category": None,
                        "new_category": "in_progress" if kind != "started" else "todo",
                    }
                )
            event = {"ticket_id": ticket_id, "at": at, "derived": False, "observed_at": at}
            if kind == "added":
                event |= {"field": "sprint", "old_sprint_id": None, "new_sprint_id": sprint_id}
            else:
                event |= {
                    "field": "status",
                    "old_value": "In Progress" if kind != "started" else "Todo",
                    "new_value": status,
                    "old_category": "in_progress" if kind != "started" else "todo",
                    "new_category": category,
                }
            events.append(event)
        for start in range(0, size, 5_000):
            upsert_tickets(session, tickets[start : start + 5_000], {})
        for kind_keys in {tuple(sorted(e)) for e in events}:
            batch = [e for e in events if tuple(sorted(e)) == kind_keys]
            session.execute(insert(TicketEvent.__table__), batch)  # type: ignore[attr-defined]
        session.commit()


def prompt_figures() -> str:
    """Seed each workspace, build the day's prompt, and report its size. Returns the 1k DB URL."""
    from tasks.summary.facts import daily_facts
    from tasks.summary.prompt import PROMPT_TOKEN_BUDGET, build_prompt

    first_url = ""
    print(f"{'tickets':>8} {'changed':>8} {'prompt tokens':>14} {'shown':>6} {'facts s':>8}")
    for size in SIZES:
        url = f"sqlite:///{_TMP / f'ws-{size}.db'}"
        first_url = first_url or url
        seed_workspace(url, size)
        started = time.perf_counter()
        with Session(get_engine(url)) as session:
            facts = daily_facts(session, DAY, get_settings())
        prompt = build_prompt(facts, "openai/gpt-4o-mini")
        elapsed = time.perf_counter() - started
        changed = sum(facts["counts"].values())
        verdict = "ok" if prompt.tokens <= PROMPT_TOKEN_BUDGET else "OVER BUDGET"
        print(
            f"{size:>8} {changed:>8} {prompt.tokens:>14} {prompt.shown:>6} {elapsed:>8.2f}  {verdict}"
        )
    return first_url


def _day_sections_as_before(
    session: Session, window: Any, sprint: Any, settings: Any
) -> tuple[dict[str, list[str]], dict[str, int]]:
    """The baseline: `changes.day_sections` as `daily_facts` used to work it out — every event of
    the day read in time order and classified in Python, then each changed ticket's ranking
    fields looked up by id in `IN` chunks of 5,000, and each section sorted in Python."""
    from sqlmodel import select

    from models.tickets import CANCELED, COMPLETE, IN_PROGRESS, Ticket, fold_status

    start, end = window
    events = session.exec(
        select(
            TicketEvent.ticket_id,
            TicketEvent.field,
            TicketEvent.old_value,
            TicketEvent.new_value,
            TicketEvent.old_category,
            TicketEvent.new_category,
            TicketEvent.old_sprint_id,
            TicketEvent.new_sprint_id,
        )
        .where(TicketEvent.at >= start, TicketEvent.at < end)
        .order_by(TicketEvent.at, TicketEvent.id)  # type: ignore[arg-type]
    ).all()
    blocked_names = {name.lower() for name in settings.blocked_statuses}
    canceled_names = {fold_status(name) for name in settings.canceled_statuses}

    def category(name: str | None, stored: str | None) -> str | None:
        return CANCELED if fold_status(name or "") in canceled_names else stored

    sections = ("blocked", "completed", "canceled", "scope_added", "scope_removed")
    ids: dict[str, set[str]] = {section: set() for section in (*sections, "started", "unblocked")}
    for event in events:
        if event.field == "status":
            was_blocked = (event.old_value or "").lower() in blocked_names
            is_blocked = (event.new_value or "").lower() in blocked_names
            old_category = category(event.old_value, event.old_category)
            new_category = category(event.new_value, event.new_category)
            if new_category == CANCELED and old_category != CANCELED:
                ids["canceled"].add(event.ticket_id)
            elif new_category == COMPLETE and old_category != COMPLETE:
                ids["completed"].add(event.ticket_id)
            elif event.new_category == IN_PROGRESS and event.old_category not in (
                IN_PROGRESS,
                COMPLETE,
            ):
                ids["started"].add(event.ticket_id)
            if is_blocked and not was_blocked:
                ids["blocked"].add(event.ticket_id)
            elif was_blocked and not is_blocked:
                ids["unblocked"].add(event.ticket_id)
        elif event.field == "sprint" and sprint is not None:
            if event.new_sprint_id == sprint.id and event.old_sprint_id != sprint.id:
                ids["scope_added"].add(event.ticket_id)
            elif event.old_sprint_id == sprint.id and event.new_sprint_id != sprint.id:
                ids["scope_removed"].add(event.ticket_id)
    ids["started"] -= ids["completed"] | ids["canceled"]
    ids["completed"] -= ids["canceled"]
    changed = sorted(set().union(*ids.values()))
    index: dict[str, tuple[str, ...]] = {}
    for first in range(0, len(changed), 5_000):
        for ticket_id, priority, key, title, status in session.exec(
            select(Ticket.id, Ticket.priority, Ticket.key, Ticket.title, Ticket.status).where(
                Ticket.id.in_(changed[first : first + 5_000])  # type: ignore[attr-defined]
            )
        ).all():
            index[ticket_id] = (priority or "~", key or "~", title or "", ticket_id, status or "")
    ids["blocked"] = {
        i for i in ids["blocked"] if i in index and index[i][4].lower() in blocked_names
    }
    chosen = {
        section: sorted((i for i in members if i in index), key=lambda i: index[i][:4])[:100]
        for section, members in ids.items()
    }
    counts = {section: len(members & index.keys()) for section, members in ids.items()}
    return chosen, counts


def _timed(fn: Any, *args: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - started


def facts_speed_figures() -> None:
    """Facts of DAY at 100k tickets (the median of three runs), now and as before, with the
    whole sprint report and the fold that precedes them."""
    from unittest import mock

    from models.sprints import find_sprint
    from tasks.metrics import state_spans
    from tasks.metrics.report import sprint_report
    from tasks.summary import facts as facts_module

    settings = get_settings()
    print(
        f"\n{'facts at 100k tickets':<34} {'facts s':>8} {'3 runs':>10} {'baseline s':>11} {'speed-up':>9} "
        f"{'report s':>9} {'fold s':>7}"
    )
    for label, in_sprint in (("all in the current sprint", None), ("2,000 in the sprint", 2_000)):
        url = f"sqlite:///{_TMP / f'speed-{in_sprint}.db'}"
        seed_workspace(url, 100_000, in_sprint=in_sprint, history=True)
        with Session(get_engine(url)) as session:
            # What the ingest does after writing the day's changes (here: all 100k tickets).
            _, fold_s = _timed(state_spans.refresh_ticket_states, session)
            session.commit()
            daily_facts = facts_module.daily_facts
            daily_facts(session, DAY, settings)  # warm the page cache, as a scheduled run finds it
            runs = [_timed(daily_facts, session, DAY, settings) for _ in range(3)]
            facts, elapsed = runs[0][0], statistics.median(seconds for _, seconds in runs)
            spread = f"{min(s for _, s in runs):.2f}-{max(s for _, s in runs):.2f}"
            with (
                mock.patch.object(facts_module, "day_sections", _day_sections_as_before),
                mock.patch.object(state_spans, "states_are_current", return_value=False),
            ):
                before, baseline = _timed(daily_facts, session, DAY, settings)
            sprint = find_sprint(session, "current", DAY)
            _, report_s = _timed(sprint_report, session, sprint, DAY, settings)
        assert facts == before, "the facts differ from the baseline's"
        verdict = "ok" if elapsed <= FACTS_TARGET_S else f"OVER {FACTS_TARGET_S:.0f} s"
        print(
            f"{label:<34} {elapsed:>8.2f} {spread:>10} {baseline:>11.2f} {baseline / elapsed:>8.1f}x "
            f"{report_s:>9.2f} {fold_s:>7.2f}  {verdict}"
        )


def rerun_figures(url: str) -> None:
    """Run the flow twice on an unchanged day; count requests reaching the mocked model."""
    import httpx
    import respx
    from prefect.testing.utilities import prefect_test_harness

    os.environ.update(
        {
            "CONDUCTOR_DATABASE_URL": url,
            "CONDUCTOR_LLM_MODEL": "openai/gpt-4o-mini",
            "CONDUCTOR_LLM_API_BASE": "http://llm.bench/v1",
            "CONDUCTOR_LLM_API_KEY": "sk-bench",
        }
    )
    reload_settings()
    from flows.daily_summary import daily_summary

    body = {
        "id": "bench",
        "object": "chat.completion",
        "created": 0,
        "model": "gpt-4o-mini",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "ENG-1 done."},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 2900, "completion_tokens": 150, "total_tokens": 3050},
    }
    with prefect_test_harness(server_startup_timeout=120), respx.mock() as router:
        route = router.post("http://llm.bench/v1/chat/completions").mock(
            side_effect=lambda request: httpx.Response(200, json=body)
        )
        router.route().pass_through()
        first = daily_summary(day=DAY)
        calls_first = route.call_count
        second = daily_summary(day=DAY)
        calls_second = route.call_count - calls_first
    print(
        f"first run: {calls_first} model call(s), {first['prompt_tokens']} prompt tokens, "
        f"${first['cost_usd']:.6f}, cached={first['cached']}"
    )
    print(
        f"unchanged rerun: {calls_second} model call(s), ${second['cost_usd']:.6f}, "
        f"cached={second['cached']}  {'ok' if calls_second == 0 else 'EXPECTED 0'}"
    )


if __name__ == "__main__":
    url = prompt_figures()
    facts_speed_figures()
    rerun_figures(url)
