"""The Notion report pages inside the flows: the pipeline publishes the summary and the sprint
report once however often it runs, and a failed publish fails its task run (visible in the UI)
but not the flow."""

from __future__ import annotations

import logging
import time

import pytest
from sqlmodel import Session

from models.db import get_engine
from models.publications import FAILED, NotionPublication
from models.settings import get_settings
from sandbox.server import Sandbox
from tests.factories import SAMPLE_TODAY
from tests.prefect_helpers import read_artifacts, read_task_runs
from tests.sandboxes import point_environment_at, sync


def _task_states(flow_run_id: str, names: set[str]) -> dict[str, str]:
    """Task name → state type of its run (run names are the task name plus a suffix), waiting
    briefly for the server to record them."""
    found: dict[str, str] = {}
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        runs = read_task_runs(flow_run_id)
        found = {
            name: run["state_type"]
            for run in runs
            for name in names
            if run["name"] == name or run["name"].startswith(f"{name}-")
        }
        if set(found) == names and all(s in ("COMPLETED", "FAILED") for s in found.values()):
            break
        time.sleep(0.5)
    return found


@pytest.mark.sandbox(60)
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_pipeline_publishes_each_report_once_over_two_runs(
    prefect_harness: None, db_url: str, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.conductor_pipeline import conductor_pipeline

    point_environment_at(
        sandbox, monkeypatch, CONDUCTOR_NOTION_REPORTS_PAGE_ID=sandbox.reports_page_id
    )
    state = conductor_pipeline(today=SAMPLE_TODAY, send_email=False, return_state=True)
    assert state.is_completed(), state.message
    conductor_pipeline(today=SAMPLE_TODAY, send_email=False)
    titles = sorted(
        "".join(item["text"]["content"] for item in page.title)
        for page in sandbox.content.child_pages(sandbox.reports_page_id)
    )
    sprint = sandbox.workspace.title(sandbox.workspace.current_sprint())
    assert titles == [f"Daily summary — {SAMPLE_TODAY.isoformat()}", f"Sprint report — {sprint}"]
    names = {"publish-summary-to-notion", "publish-sprint-report-to-notion"}
    states = _task_states(str(state.state_details.flow_run_id), names)
    assert states == dict.fromkeys(names, "COMPLETED")
    keys = {
        artifact["key"]
        for artifact in read_artifacts(flow_run_id=str(state.state_details.flow_run_id))
    }
    assert {"notion-daily-summary", "notion-sprint-report"} <= keys


@pytest.mark.sandbox(20)
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_failed_publish_fails_its_task_but_not_the_summary(
    prefect_harness: None,
    db_url: str,
    sandbox: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from flows.daily_summary import daily_summary

    missing = "0badc0de-0000-4000-8000-000000000000"
    point_environment_at(sandbox, monkeypatch, CONDUCTOR_NOTION_REPORTS_PAGE_ID=missing)
    sync(get_settings())
    caplog.set_level(logging.WARNING)
    state = daily_summary(day=SAMPLE_TODAY, return_state=True)
    assert state.is_completed(), state.message
    assert state.result()["generated_by"] == "template"
    warnings = [
        r.getMessage() for r in caplog.records if "not published to Notion" in r.getMessage()
    ]
    assert len(warnings) == 1 and "CONDUCTOR_NOTION_REPORTS_PAGE_ID" in warnings[0]
    states = _task_states(str(state.state_details.flow_run_id), {"publish-summary-to-notion"})
    assert states == {"publish-summary-to-notion": "FAILED"}
    with Session(get_engine(db_url)) as session:
        row = session.get(NotionPublication, f"daily-summary:{SAMPLE_TODAY.isoformat()}")
    assert row is not None and row.status == FAILED


@pytest.mark.sandbox(20)
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_summary_command_publishes_when_a_reports_page_is_set(
    prefect_harness: None, db_url: str, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from cli.app import app

    point_environment_at(
        sandbox, monkeypatch, CONDUCTOR_NOTION_REPORTS_PAGE_ID=sandbox.reports_page_id
    )
    sync(get_settings())
    day = SAMPLE_TODAY.isoformat()
    for _ in range(2):
        result = CliRunner().invoke(app, ["summary", "--date", day, "--json"])
        assert result.exit_code == 0, result.output
    [page] = sandbox.content.child_pages(sandbox.reports_page_id)
    assert page.title[0]["text"]["content"] == f"Daily summary — {day}"
    assert sandbox.content.outline(page.id)[0]["text"].startswith("Generated without an LLM")
