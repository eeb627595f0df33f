"""The read endpoints over stored data: `/users`, `/tickets` (and its filters), `/sprint/current`
and `/summaries/latest`, in their docs/design.md §3 JSON shapes."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlmodel import Session

from models import Summary
from models.db import get_engine
from models.settings import Settings
from sandbox.server import Sandbox
from tests.api.conftest import AUTH
from tests.factories import TICKET_JSON_KEYS

TICKET_KEYS = set(TICKET_JSON_KEYS)


def test_read_endpoints_return_the_design_shapes(client: TestClient, sandbox: Sandbox) -> None:
    ws = sandbox.workspace
    users = client.get("/users", headers=AUTH).json()
    assert {u["id"] for u in users} >= {p.id for p in ws.people}
    assert set(users[0]) == {"id", "name", "email", "type"}

    tickets = client.get("/tickets", headers=AUTH).json()
    assert len(tickets) == len(ws.tickets())
    assert set(tickets[0]) == TICKET_KEYS

    current = client.get("/tickets", params={"sprint": "current"}, headers=AUTH).json()
    assert current and all(t["sprint_id"] == ws.current_sprint().id for t in current)
    blocked = client.get("/tickets", params={"status": "Blocked"}, headers=AUTH).json()
    assert blocked and all(t["status"] == "Blocked" for t in blocked)
    priya = next(p for p in ws.people if p.name == "Priya Raman")
    hers = client.get("/tickets", params={"assignee": "priya"}, headers=AUTH).json()
    assert hers and all(priya.id in t["assignee_ids"] for t in hers)
    by_email = client.get("/tickets", params={"assignee": priya.email}, headers=AUTH).json()
    assert by_email == hers
    nobody = client.get("/tickets", params={"assignee": "Nobody"}, headers=AUTH)
    assert nobody.status_code == 404
    unknown_sprint = client.get("/tickets", params={"sprint": "Sprint 9999"}, headers=AUTH)
    assert unknown_sprint.status_code == 404
    assert "no sprint named" in unknown_sprint.json()["detail"]

    sprint = client.get("/sprint/current", headers=AUTH).json()
    assert set(sprint) >= {"sprint", "metrics", "by_status", "by_assignee", "burndown", "blocked"}
    assert sprint["sprint"]["id"] == ws.current_sprint().id
    assert set(sprint["metrics"]) >= {
        "scope_points",
        "committed_points",
        "completed_points",
        "remaining_points",
        "completion_pct",
        "forecast",
        "blocked_count",
    }


def test_latest_summary_is_404_until_one_exists(client: TestClient, settings: Settings) -> None:
    missing = client.get("/summaries/latest", headers=AUTH)
    assert missing.status_code == 404 and "conductor summary" in missing.json()["detail"]
    with Session(get_engine(settings.database_url)) as session:
        session.add(Summary(day=date(2026, 1, 5), text="old", generated_by="template"))
        session.add(
            Summary(
                day=date(2026, 1, 6),
                text="Sprint on track.",
                generated_by="openai/gpt-4o-mini",
                facts={"done": 3},
                prompt_tokens=120,
                completion_tokens=30,
                cost_usd=0.0004,
            )
        )
        session.commit()
    latest = client.get("/summaries/latest", headers=AUTH).json()
    assert latest == {
        "date": "2026-01-06",
        "text": "Sprint on track.",
        "generated_by": "openai/gpt-4o-mini",
        "facts": {"done": 3},
        "prompt_tokens": 120,
        "completion_tokens": 30,
        "cost_usd": 0.0004,
        "cached": False,
    }
