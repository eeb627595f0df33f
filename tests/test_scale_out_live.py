"""The README's scale-out path, run as written, and what happens when a worker machine is lost.

`conductor server` (which also creates the zombie-run automation), `prefect work-pool create`,
`prefect deploy --all` from prefect.yaml, and a `prefect worker start --pool conductor`: a
triggered `conductor-pipeline` run completes with the stored tickets equal to the sandbox's.
Then a worker and the run it executes are killed outright, as a lost machine would be: the run
must be marked Crashed by itself and the next run must go through. Conductor's data is on
PostgreSQL, as the recipe has it.
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

from deployments import SPECS
from deployments.zombies import AUTOMATION_NAME
from sandbox.server import Sandbox
from tests.prefect_helpers import (
    clean_environment,
    flow_run_state,
    free_port,
    prefect_api,
    wait_for,
    wait_for_final_state,
)
from tests.workspace_truth import expected, stored

ROOT = Path(__file__).resolve().parent.parent
TZ = "Europe/Berlin"
ON_POSTGRESQL = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
PREFECT = [sys.executable, "-m", "prefect"]  # `uv run prefect` in this environment


@pytest.fixture(scope="module")
def conductor_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`conductor server` on a free port; stopped with SIGTERM, which must take the Prefect
    server it started down with it."""
    home = tmp_path_factory.mktemp("conductor-server")
    port = free_port()
    env = clean_environment(CONDUCTOR_HOME=str(home))
    env.pop("PREFECT_HOME", None)  # `conductor server` keeps Prefect's state under its home
    log = (home / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "cli", "server", "--port", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    api = f"http://127.0.0.1:{port}/api"
    try:
        wait_for(lambda: httpx.get(f"{api}/health", timeout=2).status_code == 200, 120, "server")
        yield api
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
        log.close()
        wait_for(lambda: not _listening(port), 30, "the Prefect server to go with it")


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _cli_environment(api: str, home: Path) -> dict[str, str]:
    return clean_environment(PREFECT_API_URL=api, PREFECT_HOME=str(home / "prefect-cli"))


def _run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip


@pytest.fixture(scope="module")
def deployed(conductor_server: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """Steps 3 of the recipe: the work pool and `prefect deploy --all`, as the README says."""
    home = tmp_path_factory.mktemp("deploy")
    env = _cli_environment(conductor_server, home)
    pool = _run([*PREFECT, "work-pool", "create", "conductor", "--type", "process"], env)
    assert pool.returncode == 0, pool.stdout + pool.stderr
    env.update(CONDUCTOR_PROJECT_DIR=str(ROOT), CONDUCTOR_TIMEZONE=TZ)
    deploy = _run([*PREFECT, "deploy", "--all"], env)
    assert deploy.returncode == 0, (deploy.stdout + deploy.stderr)[-4000:]
    listed = _run([*PREFECT, "deployment", "ls"], env)
    assert listed.returncode == 0, (listed.stdout + listed.stderr)[-2000:]
    with prefect_api(conductor_server) as api:
        found = api.post("/deployments/filter", json={}).json()
    return {d["name"]: d for d in found}


#: The `sandbox` fixture: enough tickets that a run at Notion's own average rate lasts long
#: enough to be killed in the middle.
pytestmark = pytest.mark.sandbox(600)


def _start_worker(
    api: str, db_url: str, sandbox: Sandbox, home: Path, rps: str
) -> subprocess.Popen:
    """Step 4: a worker (its own process group, so a lost machine can be simulated)."""
    env = _cli_environment(api, home) | {
        "CONDUCTOR_HOME": str(home / "home"),
        "CONDUCTOR_OUTPUT_DIR": str(home / "out"),
        "CONDUCTOR_DATABASE_URL": db_url,
        "CONDUCTOR_TIMEZONE": TZ,
        "CONDUCTOR_STAKEHOLDERS": "cto@example.com",
        "CONDUCTOR_NOTION_RATE_LIMIT_RPS": rps,
        **sandbox.conductor_environment(),
    }
    log = (home / f"worker-{time.monotonic_ns()}.log").open("w")
    return subprocess.Popen(
        [*PREFECT, "worker", "start", "--pool", "conductor", "--limit", "1"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip


def _stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(30)


def _descendants(pid: int) -> list[int]:
    """Every process below `pid`, from /proc (children first found, then theirs)."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, queue = [], [pid]
    while queue:
        children = parents.get(queue.pop(), [])
        found += children
        queue += children
    return found


def _trigger_pipeline(api: str, deployed: dict[str, dict]) -> str:
    deployment = deployed["conductor-pipeline"]["id"]
    with prefect_api(api) as client:
        response = client.post(f"/deployments/{deployment}/create_flow_run", json={})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def test_deploy_all_creates_every_deployment_on_the_pool_with_heartbeats_and_time_zone(
    deployed: dict[str, dict], conductor_server: str
) -> None:
    assert set(deployed) == {spec.name for spec in SPECS}
    for name, deployment in deployed.items():
        assert deployment["work_pool_name"] == "conductor", name
        assert deployment["job_variables"]["env"]["PREFECT_FLOWS_HEARTBEAT_FREQUENCY"] == "30"
        assert all(s["schedule"]["timezone"] == TZ for s in deployment["schedules"]), name
    with prefect_api(conductor_server) as api:
        automations = api.post("/automations/filter", json={}).json()
    assert AUTOMATION_NAME in {a["name"] for a in automations}


@ON_POSTGRESQL
def test_a_worker_runs_the_triggered_pipeline_to_completion(
    deployed: dict[str, dict], conductor_server: str, sandbox: Sandbox, db_url: str,
    tmp_path: Path,
) -> None:  # fmt: skip
    worker = _start_worker(conductor_server, db_url, sandbox, tmp_path, rps="1000")
    try:
        run_id = _trigger_pipeline(conductor_server, deployed)
        state = wait_for_final_state(conductor_server, run_id, 300)
    finally:
        _stop(worker)
    assert state["type"] == "COMPLETED", state
    assert stored(db_url) == expected(sandbox)


@ON_POSTGRESQL
def test_a_lost_worker_machine_leaves_a_crashed_run_and_the_next_run_goes_through(
    deployed: dict[str, dict], conductor_server: str, sandbox: Sandbox, db_url: str,
    tmp_path: Path,
) -> None:  # fmt: skip
    worker = _start_worker(conductor_server, db_url, sandbox, tmp_path, rps="3")
    try:
        doomed = _trigger_pipeline(conductor_server, deployed)
        wait_for(lambda: sandbox.count(path_contains="/query") >= 3, 180, "the sync to start")
        # A lost machine: the worker and every process under it (the flow run has a session
        # of its own) stop at the same instant, and nothing of them speaks again.
        for pid in [worker.pid, *_descendants(worker.pid)]:
            os.kill(pid, signal.SIGKILL)
        killed = time.monotonic()
    finally:
        _stop(worker)
    assert flow_run_state(conductor_server, doomed)["type"] == "RUNNING"

    following = _trigger_pipeline(conductor_server, deployed)
    worker = _start_worker(conductor_server, db_url, sandbox, tmp_path, rps="1000")
    try:
        crashed = wait_for(
            lambda: flow_run_state(conductor_server, doomed)["type"] == "CRASHED", 240, "Crashed"
        )
        crashed_after = time.monotonic() - killed
        wait_for(
            lambda: flow_run_state(conductor_server, following)["type"] != "SCHEDULED" or None,
            240,
            "the next run to start",
            every=0.5,
        )
        next_started_after = time.monotonic() - killed
        state = wait_for_final_state(conductor_server, following, 300)
    finally:
        _stop(worker)
    print(
        f"\nlost worker: run Crashed {crashed_after:.0f} s after the kill; "
        f"the next run started {next_started_after:.0f} s after it"
    )
    message = flow_run_state(conductor_server, doomed)["message"]
    print(f"lost worker: the dead run's state message: {message}")
    assert crashed and crashed_after < 60
    assert next_started_after < 60
    assert state["type"] == "COMPLETED", state
    assert stored(db_url) == expected(sandbox)
