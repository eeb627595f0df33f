"""A workspace laid out as Notion's Projects & Sprints templates ingests with no property map.

The real client and sync run against the sandbox serving `sandbox.template_sample`'s layout
(story points a select of numbers, "Sprint status" a status, "Won't do" in the Complete
group); what is stored must equal the sandbox's own records, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from cli import app
from models import Sprint, Ticket, TicketEvent
from models.db import get_engine
from models.tickets import CANCELED, COMPLETE, IN_PROGRESS, TODO
from sandbox.server import Sandbox
from tests.sandboxes import point_environment_at, settings_for, sync
from tests.workspace_truth import expected, stored

N_TICKETS = 200

#: What each template status means; "Won't do" sits in Complete but is canceled work.
TEMPLATE_CATEGORIES = {
    "Backlog": TODO,
    "Not started": TODO,
    "In progress": IN_PROGRESS,
    "In review": IN_PROGRESS,
    "Blocked": IN_PROGRESS,
    "Done": COMPLETE,
    "Won't do": CANCELED,
}


def _stored_categories(db_url: str) -> dict[str, str | None]:
    with Session(get_engine(db_url)) as session:
        return {t.id: t.status_category for t in session.exec(select(Ticket))}


def _check_ingest_equals_the_sandbox(sandbox: Sandbox, db_url: str) -> None:
    stats = sync(settings_for(sandbox, db_url))
    ws = sandbox.workspace
    assert stats.quarantined == 0
    assert stats.fetched == len(ws.tickets()) + len(ws.sprints())
    assert stored(db_url) == expected(sandbox, points_property="Story points")
    pointed = [p for p in ws.tickets() if p.values.get("Story points") is not None]
    assert pointed, "the template sample must have pointed tickets"
    with Session(get_engine(db_url)) as session:
        tickets = session.exec(select(Ticket)).all()
        sprints = {s.id: s for s in session.exec(select(Sprint))}
    assert sum(t.points or 0 for t in tickets) == sum(
        float(p.values["Story points"]) for p in pointed
    )
    assert all(t.parse_errors == [] for t in tickets)
    categories = _stored_categories(db_url)
    assert {categories[p.id] for p in ws.tickets() if p.values["Status"] == "Won't do"} == {
        CANCELED
    }
    assert {p.id: categories[p.id] for p in ws.tickets()} == {
        p.id: TEMPLATE_CATEGORIES[p.values["Status"]] for p in ws.tickets()
    }
    assert {sid: (s.name, s.start, s.end, s.status) for sid, s in sprints.items()} == {
        page.id: (
            page.values["Sprint name"],
            date.fromisoformat(page.values["Dates"].start),
            date.fromisoformat(page.values["Dates"].end),
            page.values["Sprint status"],
        )
        for page in ws.sprints()
    }
    assert sum(1 for s in sprints.values() if s.status == "Current") == 1


@pytest.mark.sandbox(N_TICKETS, layout="template")
def test_template_workspace_ingests_with_no_property_map(sandbox: Sandbox, db_url: str) -> None:
    _check_ingest_equals_the_sandbox(sandbox, db_url)


@pytest.mark.sandbox(N_TICKETS, layout="template-select")
def test_template_with_a_select_status_ingests_with_no_property_map(
    sandbox: Sandbox, db_url: str
) -> None:
    """No groups: every category comes from the name guess and the canceled statuses."""
    _check_ingest_equals_the_sandbox(sandbox, db_url)


@pytest.mark.sandbox(N_TICKETS, layout="template")
def test_status_categories_setting_overrides_a_group(sandbox: Sandbox, db_url: str) -> None:
    sync(settings_for(sandbox, db_url, status_categories={"In review": "complete"}))
    categories = _stored_categories(db_url)
    in_review = [p.id for p in sandbox.workspace.tickets() if p.values["Status"] == "In review"]
    assert in_review
    assert {categories[i] for i in in_review} == {COMPLETE}


@pytest.mark.sandbox(N_TICKETS, layout="template")
def test_a_ticket_set_to_wont_do_records_a_canceled_status_event(
    sandbox: Sandbox, db_url: str
) -> None:
    settings = settings_for(sandbox, db_url)
    sync(settings)
    ws = sandbox.workspace
    page = next(p for p in ws.tickets() if p.values["Status"] == "In progress")
    ws.advance_clock(timedelta(minutes=10))
    ws.update_page(page.id, {"Status": "Won't do"})
    sync(settings)
    with Session(get_engine(db_url)) as session:
        events = session.exec(
            select(TicketEvent).where(
                TicketEvent.ticket_id == page.id,
                TicketEvent.field == "status",
                TicketEvent.derived == False,  # noqa: E712 (SQL, not Python)
            )
        ).all()
    assert [(e.old_value, e.new_value, e.old_category, e.new_category) for e in events] == [
        ("In progress", "Won't do", IN_PROGRESS, CANCELED)
    ]


@pytest.mark.sandbox(40, layout="template")
def test_doctor_shows_the_detected_mapping_and_the_status_categories(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    point_environment_at(sandbox, monkeypatch)
    monkeypatch.setattr("tasks.health.prefect_api_url", lambda: None)
    result = CliRunner().invoke(app, ["doctor", "--json"])
    payload = json.loads(result.stdout)
    assert {"config", "checks", "ok"} <= set(payload)
    mapping = payload["mapping"]
    assert mapping["error"] is None
    assert mapping["tickets"]["points"] == {
        "property": "Story points",
        "type": "select",
        "source": "detected: a select of numbers named like points",
    }
    assert mapping["tickets"]["assignees"]["property"] == "Assignee"
    assert mapping["sprints"]["sprint_dates"] == {
        "property": "Dates",
        "type": "date",
        "source": "detected: a date property named like sprint_dates",
    }
    assert mapping["sprints"]["sprint_status"]["type"] == "status"
    categories = {s["status"]: (s["category"], s["source"]) for s in mapping["status_categories"]}
    assert categories["Won't do"] == (CANCELED, "CONDUCTOR_CANCELED_STATUSES")
    assert categories["Done"] == (COMPLETE, "group")
    text = CliRunner().invoke(app, ["doctor"]).stdout
    assert "Notion mapping" in text and "Story points" in text and "Status categories" in text
