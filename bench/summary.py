"""Benchmark the daily summary's two promises:

1. the prompt stays within 3,000 tokens however big the workspace (1k, 10k, 100k tickets, every
   one of them changing on the day), and
2. re-running an unchanged day makes no model call (a respx-mocked OpenAI-compatible endpoint
   counts the requests that reach it).

Run: `uv run python bench/summary.py` (about a minute; no network, temporary SQLite files).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

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
#: (status, category, event) by ticket number modulo 20: the day's mix of changes.
_KINDS = [("Blocked", "in_progress", "blocked")] * 2 + [("Done", "complete", "done")] * 10
_KINDS += [("In Progress", "in_progress", "started")] * 5 + [("Todo", "todo", "added")] * 3


def seed_workspace(url: str, size: int) -> None:
    """`size` tickets in one sprint, each with a change on DAY (blocked/done/started/added)."""
    at = datetime(DAY.year, DAY.month, DAY.day, 10, tzinfo=UTC)
    with Session(get_engine(url)) as session:
        upsert_sprints(
            session,
            [
                {
                    "id": SPRINT_ID,
                    "data_source_id": "33333333-3333-4333-8333-333333333333",
                    "name": "Sprint 42",
                    "start": DAY - timedelta(days=3),
                    "end": DAY + timedelta(days=10),
                    "status": "Active",
                    "url": None,
                    "created_time": at,
                    "last_edited_time": at,
                    "raw": {},
                    "parse_errors": [],
                }
            ],
        )
        tickets, events = [], []
        for n in range(1, size + 1):
            status, category, kind = _KINDS[n % len(_KINDS)]
            ticket_id = f"00000000-0000-4000-8000-{n:012d}"
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
                    "sprint_id": SPRINT_ID,
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
            event = {"ticket_id": ticket_id, "at": at, "derived": False, "observed_at": at}
            if kind == "added":
                event |= {"field": "sprint", "old_sprint_id": None, "new_sprint_id": SPRINT_ID}
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
    rerun_figures(url)
