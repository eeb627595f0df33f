"""The `notion_ingest` flow and `conductor ingest` against the sandbox, under a real Prefect API."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from cli import app
from models.db import get_engine
from models.settings import get_settings, reload_settings
from sandbox.server import Sandbox
from tasks.metrics.state_spans import states_are_current
from tests.prefect_helpers import read_artifacts
from tests.sandboxes import point_environment_at

INGEST_KEYS = ["fetched", "created", "updated", "unchanged", "removed", "quarantined",
               "requests", "rate_limited", "retried", "duration_s"]  # fmt: skip


@pytest.fixture
def configured_sandbox(db_url: str, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    point_environment_at(sandbox, monkeypatch)
    return sandbox


def test_ingest_flow_syncs_and_publishes_a_counts_artifact(
    prefect_harness, configured_sandbox: Sandbox
) -> None:
    from flows.notion_ingest import notion_ingest

    counts = notion_ingest()
    assert list(counts) == INGEST_KEYS
    total = len(configured_sandbox.workspace.tickets()) + len(
        configured_sandbox.workspace.sprints()
    )
    assert counts["fetched"] == counts["created"] == total
    artifacts = read_artifacts("notion-ingest")
    assert artifacts and f"| created | {total} |" in artifacts[0]["data"]
    # The sprints' states are folded once the tickets are stored, so reports read them.
    with Session(get_engine(get_settings().database_url)) as session:
        assert states_are_current(session)


def test_shared_rate_limit_is_created_and_used_when_enabled(
    prefect_harness, configured_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prefect.client.orchestration import get_client

    from flows.notion_ingest import notion_ingest

    monkeypatch.setenv("CONDUCTOR_NOTION_SHARED_RATE_LIMIT", "true")
    reload_settings()
    notion_ingest()
    with get_client(sync_client=True) as client:
        limit = client.read_global_concurrency_limit_by_name("notion-api")
    assert limit.slot_decay_per_second == 1000


def test_cli_ingest_json_prints_only_the_counts(
    prefect_harness, configured_sandbox: Sandbox
) -> None:
    runner = CliRunner()
    first = runner.invoke(app, ["ingest", "--json"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["created"] > 0
    second = json.loads(runner.invoke(app, ["ingest", "--json"]).stdout)
    assert second["created"] == 0 and second["updated"] == 0
    tickets = json.loads(runner.invoke(app, ["tickets", "--json"]).stdout)
    assert len(tickets) == len(configured_sandbox.workspace.tickets())


def test_cli_ingest_without_configuration_names_the_variables(db_url: str) -> None:
    result = CliRunner().invoke(app, ["ingest"])
    assert result.exit_code != 0
    assert "CONDUCTOR_NOTION_TOKEN" in str(result.exception)
