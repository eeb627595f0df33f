"""A real local Prefect server, `conductor serve`, and a pipeline run triggered through the API.

Runs once per session (~1 minute): it is the proof that the deployments a user serves are the
ones DESIGN §6 schedules, that they run to Completed, and that `doctor` sees the server.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from deployments import EMAIL_CRON, INGEST_CRON, SUMMARY_CRON
from tasks.notion.sample_workspace import build_sample_workspace
from tasks.notion.sandbox import Sandbox, start_sandbox
from tests.factories import SAMPLE_TODAY

ROOT = Path(__file__).resolve().parent.parent
TZ = "Europe/Berlin"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(check, timeout: float, what: str):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = check()
        except httpx.HTTPError:
            value = None
        if value:
            return value
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("prefect-server")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API_URL")}
    env.update({"PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"})
    log = (home / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    api = f"http://127.0.0.1:{port}/api"
    try:
        _wait_for(
            lambda: httpx.get(f"{api}/health", timeout=2).status_code == 200,
            120,
            "the Prefect server",
        )
        yield api
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture
def served(prefect_server: str, db_url: str, tmp_path: Path) -> Iterator[tuple[str, Sandbox]]:
    """`conductor serve` in a subprocess, against the server and a sandbox workspace."""
    with start_sandbox(build_sample_workspace(SAMPLE_TODAY, n_tickets=120)) as sandbox:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CONDUCTOR_")}
        env.update(
            {
                "PREFECT_API_URL": prefect_server,
                "CONDUCTOR_HOME": str(tmp_path / "home"),
                "CONDUCTOR_OUTPUT_DIR": str(tmp_path / "out"),
                "CONDUCTOR_DATABASE_URL": db_url,
                "CONDUCTOR_TIMEZONE": TZ,
                **sandbox.conductor_environment(),
                "CONDUCTOR_NOTION_RATE_LIMIT_RPS": "1000",
                "CONDUCTOR_STAKEHOLDERS": "cto@example.com",
            }
        )
        log = (tmp_path / "serve.log").open("w")
        process = subprocess.Popen(
            [sys.executable, "-m", "cli", "serve"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            yield prefect_server, sandbox
        finally:
            process.send_signal(signal.SIGINT)
            try:
                code = process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                code = None
            log.close()
            output = (tmp_path / "serve.log").read_text()
            assert code == 0, (
                f"serve did not shut down cleanly on Ctrl-C (exit {code}):\n{output[-3000:]}"
            )
            assert "Stopped serving" in output


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_served_deployments_have_the_design_schedules_and_the_pipeline_completes(
    served: tuple[str, Sandbox],
) -> None:
    api, _sandbox = served
    client = httpx.Client(base_url=api, timeout=10)

    def deployments() -> dict[str, dict] | None:
        found = {d["name"]: d for d in client.post("/deployments/filter", json={}).json()}
        return found if len(found) >= 5 else None

    by_name = _wait_for(deployments, 120, "five served deployments")
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

    run = client.post(
        f"/deployments/{by_name['conductor-pipeline']['id']}/create_flow_run", json={}
    ).json()

    def finished() -> dict | None:
        state = client.get(f"/flow_runs/{run['id']}").json()["state"]
        return state if state["type"] in {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"} else None

    state = _wait_for(finished, 240, "the pipeline run to finish")
    assert state["type"] == "COMPLETED", state


def test_doctor_reports_the_prefect_api_and_its_work_pools(
    prefect_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from models.settings import load_settings
    from tasks.health import check_prefect

    httpx.post(
        f"{prefect_server}/work_pools/", json={"name": "conductor", "type": "process"}, timeout=10
    )
    monkeypatch.setenv("PREFECT_API_URL", prefect_server)
    check = check_prefect(load_settings())
    assert check.state == "ok"
    assert "work pools: conductor (process" in check.detail
