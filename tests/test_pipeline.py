"""`conductor demo` and the pipeline flow under a real (ephemeral) Prefect API."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
from sqlmodel import Session, func, select
from typer.testing import CliRunner

from cli import app
from models import OutboxEmail, SprintSnapshot, Summary, Ticket
from models.db import get_engine
from models.settings import reload_settings
from sandbox.server import Sandbox
from tasks.email.outbox import weekly_period
from tests.factories import SAMPLE_TODAY
from tests.prefect_helpers import read_artifacts, read_child_flow_runs, read_task_runs
from tests.sandboxes import point_environment_at, serving

PIPELINE_KEYS = {"ingest", "embeddings", "rollup", "summary", "email"}


def _counts(db_url: str) -> tuple[int, int, int, int]:
    with Session(get_engine(db_url)) as session:
        return (
            session.exec(select(func.count()).select_from(Ticket)).one(),
            session.exec(select(func.count()).select_from(SprintSnapshot)).one(),
            session.exec(select(func.count()).select_from(Summary)).one(),
            session.exec(select(func.count()).select_from(OutboxEmail)).one(),
        )


def _point_at(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings for a pipeline against `sandbox`: limiter lifted, one stakeholder."""
    point_environment_at(sandbox, monkeypatch, CONDUCTOR_STAKEHOLDERS="cto@example.com")


def test_demo_runs_the_whole_pipeline_offline_and_tells_the_story(
    prefect_harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONDUCTOR_DATABASE_URL", f"sqlite:///{tmp_path / 'demo.db'}")
    reload_settings()
    result = CliRunner().invoke(app, ["demo", "--tickets", "120"])
    assert result.exit_code == 0, result.output
    story = result.stdout
    assert "Synced" in story and "Sprint" in story and "forecast" in story
    assert "Daily summary by template (no LLM configured" in story
    assert "Stakeholder email written" in story
    out = tmp_path / "out"
    assert len(list((out / "outbox").glob("*.eml"))) == 1
    assert (out / "reports" / "latest.html").is_file()
    assert list((out / "summaries").glob("*.md"))
    assert list((out / "charts").glob("*.png"))

    again = CliRunner().invoke(app, ["demo", "--tickets", "120", "--json"])
    assert again.exit_code == 0, again.output
    rerun = json.loads(again.stdout)
    assert set(rerun) == PIPELINE_KEYS
    assert rerun["ingest"]["created"] == 0
    assert rerun["email"]["status"] == "already_sent"
    assert len(list((out / "outbox").glob("*.eml"))) == 1


def test_two_pipelines_started_together_give_the_data_of_one(
    prefect_harness, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.conductor_pipeline import conductor_pipeline

    with serving(120) as sandbox:
        _point_at(sandbox, monkeypatch)
        conductor_pipeline(today=SAMPLE_TODAY)
        once = _counts(db_url)

        results: list[dict] = []
        errors: list[BaseException] = []

        def run() -> None:
            try:
                results.append(conductor_pipeline(today=SAMPLE_TODAY))
            except BaseException as exc:  # surfaced below
                errors.append(exc)

        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
    assert not errors, errors
    assert len(results) == 2
    assert _counts(db_url) == once
    assert once[0] == len(sandbox.workspace.tickets()) and once[3] == 1
    assert sorted(r["email"]["status"] for r in results) == ["already_sent", "already_sent"]


def test_the_pipeline_is_one_flow_run_with_every_steps_tasks_and_artifacts(
    prefect_harness, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The UI story of one pipeline run: no subflows (each would cost a flow run, and on the
    SQLite-backed server sometimes a 2 s client back-off), every step's task runs by name, one
    `sync-tickets-page` per page of 100 results, and every step's artifact on the run."""
    from flows.conductor_pipeline import conductor_pipeline

    with serving(250) as sandbox:
        _point_at(sandbox, monkeypatch)
        state = conductor_pipeline(today=SAMPLE_TODAY, return_state=True)
    assert state.is_completed(), state.message
    run_id = str(state.state_details.flow_run_id)

    assert read_child_flow_runs(run_id) == []
    day, week = SAMPLE_TODAY.isoformat(), weekly_period(SAMPLE_TODAY)
    sprint = "Sprint 46"
    # one naming style, "what it does — what about", and no random suffix on any task run
    expected = {
        "sync people",
        "plan sync — sprints",
        "sync page — sprints",
        "plan sync — tickets",
        "sync page — tickets",
        "fold ticket states",  # the ingest folds the new history; the rollup then finds none
        f"fingerprint stored data — {day}",
        f"record sprint snapshots — {day}",
        "compute sprint report — Sprint 45",  # ended 11-22: recently ended sprints are still reported
        f"compute sprint report — {sprint}",
        f"publish sprint report — {sprint}",
        f"gather facts — {day}",
        f"store summary — {day}",
        f"publish summary — {day}",
        f"collect update inputs — stakeholders, {day}",
        "render update — stakeholders",
        f"deliver update — {week}",
    }

    names: list[str] = []
    deadline = time.monotonic() + 30  # the server records task runs from events, shortly after
    while time.monotonic() < deadline:
        names = [run["name"] for run in read_task_runs(run_id)]
        if expected <= set(names) and names.count("sync page — tickets") == 3:
            break
        time.sleep(0.5)
    assert set(names) == expected, sorted(names)
    assert names.count("sync page — tickets") == 3, "250 tickets are 3 pages of 100"
    keys = {artifact["key"] for artifact in read_artifacts(flow_run_id=run_id)}
    assert {"notion-ingest", "daily-summary", "stakeholder-email-stakeholders"} <= keys
    assert any(key.startswith("sprint-report-") for key in keys)
