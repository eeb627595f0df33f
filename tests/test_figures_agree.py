"""One sprint, every channel: the CLI (text and `--json`), the API, the HTML report, the Prefect
artifact, the email (HTML and text, both audiences) and the daily summary state the same numbers
and name the same tickets needing attention, in the same order — because each renders the one
computed sprint report. The sample workspace's current sprint is the data (it has blocked,
aging, unpointed, canceled and shared tickets)."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session
from typer.testing import CliRunner

from api import create_app
from cli.app import app
from models.db import get_engine
from models.settings import Settings
from models.sprints import find_sprint
from sandbox.server import Sandbox
from tasks.email.render import UpdateInputs, render_email
from tasks.metrics.html_report import render_sprint_html
from tasks.metrics.odds import odds_sentence
from tasks.metrics.report import sprint_report
from tasks.metrics.rollup import report_markdown
from tasks.summary.facts import daily_facts
from tasks.summary.template_summary import render_template_summary
from tests.factories import SAMPLE_TODAY
from tests.sandboxes import point_environment_at, synced

TOKEN = "api-token-figures-0123456789"


@pytest.fixture
def stored(sandbox: Sandbox, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The sample workspace, with one to-do of the current sprint dropped as "Won't Do" (in
    Notion's Complete group, as teams set it up) and one done ticket unpointed, synced."""
    workspace = sandbox.workspace
    current = workspace.current_sprint().id
    dropped = next(
        page
        for page in workspace.tickets()
        if current in (page.values.get("Sprint") or ()) and page.values.get("Status") == "Todo"
    )
    workspace.update_page(dropped.id, {"Status": "Won't Do"})
    # and one finished ticket never estimated: counted as unpointed, so listed as unpointed
    finished = next(
        page
        for page in workspace.tickets()
        if current in (page.values.get("Sprint") or ()) and page.values.get("Status") == "Done"
    )
    workspace.update_page(finished.id, {"Points": None})
    point_environment_at(sandbox, monkeypatch, CONDUCTOR_API_TOKEN=TOKEN)
    return synced(sandbox, db_url, api_token=TOKEN)


@pytest.fixture
def report(stored: Settings) -> dict[str, Any]:
    with Session(get_engine(stored.database_url)) as session:
        sprint = find_sprint(session, "current", SAMPLE_TODAY)
        assert sprint is not None
        return sprint_report(session, sprint, SAMPLE_TODAY, stored)


def figures(report: dict[str, Any]) -> dict[str, str]:
    """The headline figures as every channel must print them."""
    m = report["metrics"]
    return {
        "pct": f"{m['completion_pct']:g}%",
        "completed": f"{m['completed_points']:g}",
        "scope": f"{m['scope_points']:g}",
        "remaining": f"{m['remaining_points']:g}",
    }


def keys_in_order(text: str, keys: list[str]) -> list[str]:
    """`keys` sorted by where they first appear in `text` (each must appear)."""
    positions = {key: re.search(rf"\b{re.escape(key)}\b", text) for key in keys}
    missing = [key for key, found in positions.items() if found is None]
    assert not missing, f"not mentioned: {missing}"
    return sorted(keys, key=lambda key: positions[key].start())  # type: ignore[union-attr]


def test_the_sample_sprint_exercises_every_figure(report: dict[str, Any]) -> None:
    m = report["metrics"]
    assert m["blocked_count"] and m["unpointed_count"] and report["at_risk"]
    assert len(report["unpointed"]) == m["unpointed_count"]
    assert sum(row["count"] for row in report["by_status"].values()) == m["ticket_count"]
    loads = report["by_assignee"]
    assert round(sum(row["done_points"] for row in loads), 2) == m["completed_points"]
    assert round(sum(row["open_points"] for row in loads), 2) == m["remaining_points"]


def test_cli_and_api_state_the_reports_numbers(report: dict[str, Any], stored: Settings) -> None:
    runner = CliRunner()
    as_json = json.loads(runner.invoke(app, ["sprint", "--json"]).stdout)
    assert as_json["metrics"] == report["metrics"]
    assert [row["id"] for row in as_json["at_risk"]] == [row["id"] for row in report["at_risk"]]
    api = TestClient(create_app(stored)).get(
        "/sprint/current", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert api.status_code == 200 and api.json()["metrics"] == report["metrics"]

    text = runner.invoke(app, ["sprint"], env={"COLUMNS": "200"}).stdout
    f, m = figures(report), report["metrics"]
    assert f["pct"] in text
    assert (
        f"{m['ticket_count']} tickets · {m['done_count']} done · {m['blocked_count']} blocked"
        in text
    )
    assert odds_sentence(m, report["sprint"]["end"]) in text
    listed = [row["key"] for row in report["at_risk"][:10]]
    assert keys_in_order(text, listed) == listed


def test_report_artifact_email_and_summary_state_the_same_figures(
    report: dict[str, Any], stored: Settings
) -> None:
    f, m = figures(report), report["metrics"]
    attention = [row["key"] for row in report["at_risk"]]

    html = render_sprint_html(report, None)
    artifact = report_markdown(report, "chart.png", "report.html")
    for channel in (html, artifact):
        assert f["pct"] in channel
        assert f["completed"] in channel and f["scope"] in channel
    assert keys_in_order(html, attention) == attention
    odds = odds_sentence(m, report["sprint"]["end"])
    assert odds and odds in html

    inputs = UpdateInputs(report=report, today=SAMPLE_TODAY)
    for audience in ("stakeholders", "team"):
        update = render_email(inputs, audience)
        headline = f"{f['pct']} done: {f['completed']} of {f['scope']} points"
        assert headline in update.text, audience
        assert f"{m['done_count']} of {m['ticket_count']} tickets" in update.text
        assert f["pct"] in update.html and f["pct"] in update.subject
    shown = render_email(inputs, "stakeholders").text
    top = [key for key in attention if re.search(rf"\b{key}\b", shown)]
    assert top == attention[: len(top)] and top, "the email's risks are the report's first ones"

    with Session(get_engine(stored.database_url)) as session:
        facts = daily_facts(session, SAMPLE_TODAY, stored)
    summary = render_template_summary(facts)
    assert f"{f['completed']} of {f['scope']} points done ({f['pct']})" in summary
    assert odds in summary
    assert [item["key"] for item in facts["attention"]] == attention
    assert facts["counts"]["blocked"] <= m["blocked_count"]


def test_a_canceled_status_is_out_of_every_channels_completed(report: dict[str, Any]) -> None:
    m = report["metrics"]
    assert m["canceled_count"] == 1
    assert not any(name.lower().startswith("won") for name in report["by_status"])
    assert m["completed_points"] == report["by_status"].get("Done", {}).get("points", 0)


def test_the_date_the_figures_are_for_is_the_reports(report: dict[str, Any]) -> None:
    assert report["sprint"]["as_of"] == SAMPLE_TODAY.isoformat() == date(2026, 11, 24).isoformat()
