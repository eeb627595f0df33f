"""Schedules that fire: a real `prefect server`, `conductor serve`, and the server's scheduler.

Registration is not the point here: these tests wait for what a user relies on. The server's
own scheduler must create upcoming runs for every cron deployment (it stopped doing so under
SQLAlchemy 2.1, silently), a schedule must actually start a run that completes, and a run
triggered through the API must complete. The server runs with Prefect's default settings.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from deployments import EMAIL_CRON, INGEST_CRON, SUMMARY_CRON
from sandbox.server import Sandbox
from tests.prefect_helpers import (
    clean_environment,
    prefect_api,
    running_prefect_server,
    wait_for,
    wait_for_final_state,
)
from tests.sandboxes import serving

ROOT = Path(__file__).resolve().parent.parent
TZ = "Europe/Berlin"
CRON_DEPLOYMENTS = ("notion-ingest", "daily-summary", "stakeholder-email")


@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_prefect_server(tmp_path_factory.mktemp("prefect-server")) as api:
        yield api


@pytest.fixture(scope="module")
def served(
    prefect_server: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[httpx.Client, dict[str, dict], Sandbox]]:
    """`conductor serve` in a subprocess against the server and a sandbox workspace; yields an
    API client and the five deployments by name once they are registered."""
    home = tmp_path_factory.mktemp("served")
    with serving(120) as sandbox:
        env = clean_environment(
            PREFECT_API_URL=prefect_server,
            CONDUCTOR_HOME=str(home / "home"),
            CONDUCTOR_OUTPUT_DIR=str(home / "out"),
            CONDUCTOR_DATABASE_URL=f"sqlite:///{home / 'conductor.db'}",
            CONDUCTOR_TIMEZONE=TZ,
            CONDUCTOR_NOTION_RATE_LIMIT_RPS="1000",
            CONDUCTOR_STAKEHOLDERS="cto@example.com",
            **sandbox.conductor_environment(),
        )
        log = (home / "serve.log").open("w")
        process = subprocess.Popen(
            [sys.executable, "-m", "cli", "serve"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        client = prefect_api(prefect_server)

        def deployments() -> dict[str, dict] | None:
            found = {d["name"]: d for d in client.post("/deployments/filter", json={}).json()}
            return found if len(found) >= 5 else None

        try:
            yield client, wait_for(deployments, 120, "five served deployments"), sandbox
        finally:
            process.send_signal(signal.SIGINT)
            try:
                code = process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                code = None
            log.close()
            output = (home / "serve.log").read_text()
            assert code == 0, (
                f"serve did not shut down cleanly on Ctrl-C (exit {code}):\n{output[-3000:]}"
            )
            assert "Stopped serving" in output


def _scheduler_runs(client: httpx.Client, deployment_id: str, *states: str) -> list[dict]:
    """Runs of the deployment in `states` that the server's scheduler created (not triggered)."""
    body = {
        "limit": 50,
        "sort": "EXPECTED_START_TIME_ASC",
        "deployments": {"id": {"any_": [deployment_id]}},
        "flow_runs": {"state": {"type": {"any_": list(states)}}},
    }
    response = client.post("/flow_runs/filter", json=body)
    response.raise_for_status()
    return [run for run in response.json() if run["auto_scheduled"]]


def test_served_deployments_have_the_design_schedules_and_concurrency(served) -> None:
    _client, by_name, _sandbox = served
    schedules = {
        name: sorted((s["schedule"]["cron"], s["schedule"]["timezone"]) for s in d["schedules"])
        for name, d in by_name.items()
    }
    assert schedules == {
        "notion-ingest": [(INGEST_CRON, TZ)],
        "sprint-rollup": [],
        "daily-summary": [(SUMMARY_CRON, TZ)],
        "stakeholder-email": [(EMAIL_CRON, TZ)],
        "conductor-pipeline": [],
    }
    limits = {
        name: (
            d["global_concurrency_limit"]["limit"],
            d["concurrency_options"]["collision_strategy"],
        )
        for name, d in by_name.items()
    }
    assert limits["notion-ingest"] == (1, "CANCEL_NEW")
    assert {limits[n] for n in limits if n != "notion-ingest"} == {(1, "ENQUEUE")}
    assert by_name["notion-ingest"]["parameters"] == {"rollup_after": True, "if_busy": "skip"}


def test_the_servers_scheduler_creates_upcoming_runs_for_every_cron_deployment(served) -> None:
    client, by_name, _sandbox = served

    def upcoming() -> dict[str, list[dict]] | None:
        found = {
            name: _scheduler_runs(client, by_name[name]["id"], "SCHEDULED")
            for name in CRON_DEPLOYMENTS
        }
        return found if all(found.values()) else None

    runs = wait_for(upcoming, 120, "the scheduler to create runs for every cron deployment")
    zone = ZoneInfo(TZ)

    def starts(name: str) -> list[datetime]:
        return [
            datetime.fromisoformat(run["expected_start_time"]).astimezone(zone)
            for run in runs[name]
        ]

    assert all(t.minute % 15 == 0 and t.second == 0 for t in starts("notion-ingest"))
    assert all((t.hour, t.minute) == (9, 0) and t.weekday() < 5 for t in starts("daily-summary"))
    assert all((t.weekday(), t.hour, t.minute) == (4, 16, 0) for t in starts("stakeholder-email"))


def test_a_short_schedule_starts_a_run_by_itself_and_it_completes(served) -> None:
    """A 15-second interval added to `sprint-rollup`: nobody triggers anything, and a run the
    scheduler created is picked up by `conductor serve` and completes."""
    client, by_name, _sandbox = served
    deployment_id = by_name["sprint-rollup"]["id"]
    created = client.post(
        f"/deployments/{deployment_id}/schedules",
        json=[{"schedule": {"interval": 15}, "active": True}],
    )
    assert created.status_code == 201, created.text
    schedule_id = created.json()[0]["id"]
    try:

        def completed_by_schedule() -> dict | None:
            done = _scheduler_runs(client, deployment_id, "COMPLETED", "FAILED", "CRASHED")
            return done[0] if done else None

        run = wait_for(completed_by_schedule, 180, "a scheduled sprint-rollup run to finish")
    finally:
        client.delete(f"/deployments/{deployment_id}/schedules/{schedule_id}")
    assert run["state"]["type"] == "COMPLETED", run["state"]
    assert run["auto_scheduled"] is True and "conductor" in run["tags"]


def test_a_pipeline_run_triggered_through_the_api_completes(served) -> None:
    client, by_name, _sandbox = served
    run = client.post(
        f"/deployments/{by_name['conductor-pipeline']['id']}/create_flow_run", json={}
    ).json()
    state = wait_for_final_state(str(client.base_url).rstrip("/"), run["id"], 240)
    assert state["type"] == "COMPLETED", state


def test_doctor_reports_the_prefect_api_and_its_work_pools(
    prefect_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from models.settings import load_settings
    from tasks.health import check_prefect

    with prefect_api(prefect_server) as api:
        api.post("/work_pools/", json={"name": "conductor", "type": "process"})
    monkeypatch.setenv("PREFECT_API_URL", prefect_server)
    check = check_prefect(load_settings())
    assert check.state == "ok"
