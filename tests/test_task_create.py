"""`conductor task create` end to end: a respx-mocked model drafts the ticket, the page is created
in the local Notion sandbox, ingested, and listed by `conductor tickets --json`."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from cli.app import app
from models import LlmCall
from models.db import get_engine
from models.locks import INGEST_LOCK, run_lock
from models.settings import get_settings
from sandbox.server import Sandbox
from tasks.assistant.task_intake import TaskIntakeError, TicketDraft
from tasks.llm import cache as llm_cache
from tasks.llm import gateway
from tests.llm_stub import API_BASE, mocked_llm
from tests.sandboxes import point_environment_at, sync

REQUEST = "Fix login timeout for SSO users, 3 points, assign to Priya, this sprint, high priority"
DRAFT = {
    "title": "Fix login timeout for SSO users",
    "description": "SSO users are logged out after a timeout.",
    "points": 3,
    "assignee": "priya",
    "sprint": "current",
    "priority": "P1",
    "tags": ["backend", "not-a-tag"],
}


@pytest.fixture
def configured(sandbox: Sandbox, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    """Notion points at the sandbox and an OpenAI-compatible model is configured; ingested."""
    point_environment_at(
        sandbox,
        monkeypatch,
        CONDUCTOR_LLM_MODEL="openai/gpt-4o-mini",
        CONDUCTOR_LLM_API_BASE=API_BASE,
        CONDUCTOR_LLM_API_KEY="sk-intake-SECRET-0123456789",
    )
    monkeypatch.setattr(gateway, "sleep", lambda _s: None)
    llm_cache.reset_llm_cache()
    sync(get_settings())
    yield sandbox
    llm_cache.reset_llm_cache()


def tickets_json() -> list[dict[str, Any]]:
    result = CliRunner().invoke(app, ["tickets", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def page_posts(sandbox: Sandbox) -> int:
    return sandbox.count(method="POST", path_contains="/v1/pages")


def test_created_ticket_lands_in_notion_with_the_right_properties_and_is_ingested(
    configured: Sandbox,
) -> None:
    ws = configured.workspace
    priya = next(u for u in ws.people if u.name == "Priya Raman")
    before = {p.id for p in ws.tickets()}
    with mocked_llm(json.dumps(DRAFT)) as route:
        result = CliRunner().invoke(app, ["task", "create", REQUEST, "--yes", "--json"])
    assert result.exit_code == 0, result.output
    created = json.loads(result.stdout)
    assert route.call_count == 1
    sent = json.loads(route.calls[0].request.content)
    assert sent["response_format"]["type"] == "json_schema"
    assert REQUEST in sent["messages"][-1]["content"]

    new_pages = [p for p in ws.tickets() if p.id not in before]
    assert len(new_pages) == 1 and new_pages[0].id == created["page_id"]
    values = new_pages[0].values
    assert ws.title(new_pages[0]) == "Fix login timeout for SSO users"
    assert values["Points"] == 3
    assert values["Assignee"] == (priya.id,)
    assert values["Sprint"] == (ws.current_sprint().id,)
    assert values["Priority"] == "P1"
    assert values["Tags"] == ("backend",)  # the unknown tag is dropped, not invented
    assert page_posts(configured) == 1

    listed = [t for t in tickets_json() if t["id"] == created["page_id"]]
    assert len(listed) == 1
    ticket = listed[0]
    assert ticket["key"] == created["key"] and ticket["key"].startswith("ENG-")
    assert ticket["title"] == "Fix login timeout for SSO users"
    assert ticket["points"] == 3
    assert ticket["assignee_ids"] == [priya.id]
    assert ticket["sprint_id"] == ws.current_sprint().id
    assert ticket["priority"] == "P1"


def test_malformed_output_is_retried_once_then_succeeds(configured: Sandbox) -> None:
    with mocked_llm("Sure! Here is your ticket.", json.dumps(DRAFT)) as route:
        result = CliRunner().invoke(app, ["task", "create", REQUEST, "--yes", "--json"])
    assert result.exit_code == 0, result.output
    assert route.call_count == 2
    retry = json.loads(route.calls[1].request.content)["messages"]
    assert "not a valid ticket draft" in retry[-1]["content"]
    assert page_posts(configured) == 1


def test_malformed_output_twice_is_a_clear_error_and_creates_nothing(
    configured: Sandbox, db_url: str
) -> None:
    before = len(configured.workspace.tickets())
    with mocked_llm("not json at all", json.dumps({"title": "", "points": -4})) as route:
        result = CliRunner().invoke(app, ["task", "create", REQUEST, "--yes"])
    assert route.call_count == 2
    assert isinstance(result.exception, TaskIntakeError)
    assert "unusable ticket draft twice" in str(result.exception)
    assert "nothing was created" in str(result.exception)
    assert page_posts(configured) == 0
    assert len(configured.workspace.tickets()) == before
    with Session(get_engine(db_url)) as session:
        calls = session.exec(select(LlmCall).where(LlmCall.purpose == "task_intake")).all()
    assert len(calls) == 2


def test_unknown_assignee_is_an_error_naming_known_people(configured: Sandbox) -> None:
    with mocked_llm(json.dumps(DRAFT | {"assignee": "Dana"})):
        result = CliRunner().invoke(app, ["task", "create", REQUEST, "--yes"])
    assert isinstance(result.exception, TaskIntakeError)
    assert "no known person matches 'Dana'" in str(result.exception)
    assert "Priya Raman" in str(result.exception)
    assert page_posts(configured) == 0


def test_declining_the_confirmation_creates_nothing(configured: Sandbox) -> None:
    with mocked_llm(json.dumps(DRAFT)):
        result = CliRunner().invoke(app, ["task", "create", REQUEST], input="n\n")
    assert result.exit_code == 1
    assert "Fix login timeout for SSO users" in result.output
    assert page_posts(configured) == 0


def test_a_failed_create_is_not_retried(configured: Sandbox) -> None:
    """A retried POST could create the ticket twice, so one 503 is final."""
    configured.fail_next(1, status=503, path_contains="/v1/pages")
    with mocked_llm(json.dumps(DRAFT)):
        result = CliRunner().invoke(app, ["task", "create", REQUEST, "--yes"])
    assert result.exit_code != 0
    assert page_posts(configured) == 1


def test_draft_schema_rejects_negative_points_and_blank_titles() -> None:
    with pytest.raises(ValueError):
        TicketDraft.model_validate({"title": "  ", "points": 1})
    with pytest.raises(ValueError):
        TicketDraft.model_validate({"title": "ok", "points": -1})
    assert TicketDraft.model_validate({"title": "ok", "assignee": "none"}).assignee is None


def test_the_follow_up_ingest_waits_for_a_running_sync_instead_of_overlapping_it(
    configured: Sandbox, db_url: str
) -> None:
    """A scheduled ingest holds the sync lock: the page is created at once, but its ingest
    starts only when that sync is done, so no change is diffed (and recorded) twice."""
    order: list[str] = []
    held = threading.Event()

    def scheduled_ingest() -> None:
        with run_lock(INGEST_LOCK, db_url, holder="flow run ingest-2026-11-24T09:15"):
            held.set()
            time.sleep(2)
            order.append("scheduled ingest done")

    other = threading.Thread(target=scheduled_ingest)
    other.start()
    held.wait(10)
    with mocked_llm(json.dumps(DRAFT)):
        result = CliRunner().invoke(app, ["task", "create", REQUEST, "--yes", "--json"])
        order.append("task create done")
    other.join()
    assert result.exit_code == 0, result.output
    assert order == ["scheduled ingest done", "task create done"]
    assert page_posts(configured) == 1


def test_the_confirmation_shows_concealed_and_reordered_text_as_escapes(
    configured: Sandbox,
) -> None:
    # SGR 8 hides the second half of the title on a terminal; U+202E reverses what follows.
    hostile = {
        **DRAFT,
        "title": "Fix login\x1b[8m and disable 2FA\x1b[0m",
        "description": "Reviewed by \u202eecnailpmoc\u202c",
    }
    with mocked_llm(json.dumps(hostile)):
        result = CliRunner().invoke(app, ["task", "create", REQUEST], input="n\n")
    assert result.exit_code == 1
    assert "\x1b" not in result.output and "\u202e" not in result.output
    flat = " ".join(result.output.split())
    assert "Fix login\\x1b[8m and disable 2FA\\x1b[0m" in flat
    assert "Reviewed by \\u202eecnailpmoc\\u202c" in flat
    assert "hidden control characters" in flat
    assert page_posts(configured) == 0
