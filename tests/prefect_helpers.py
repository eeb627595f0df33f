"""Reading what flows published, and running a real Prefect server, for tests.

Prefect 3.8's `read_artifacts` client methods send `null` for unset filters, which its own
server rejects (422), so tests ask the REST endpoint directly.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import httpx

T = TypeVar("T")


class _RetryWhileBusy(httpx.HTTPTransport):
    """Retry the 503 a SQLite-backed Prefect server answers while its database is busy.

    Prefect's own client retries it (with backoff); a test talking REST directly must too, or a
    busy moment on a loaded machine fails a test about something else.
    """

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        for attempt in range(6):
            response = super().handle_request(request)
            if response.status_code != 503 or attempt == 5:
                return response
            response.close()
            time.sleep(0.5 * 2**attempt)
        raise AssertionError("unreachable")


def prefect_api(base_url: str, timeout: float = 30) -> httpx.Client:
    """An HTTP client for a Prefect server's REST API that rides out busy 503s."""
    return httpx.Client(base_url=base_url, timeout=timeout, transport=_RetryWhileBusy())


def read_artifacts(
    key: str | None = None, limit: int = 200, flow_run_id: str | None = None
) -> list[dict[str, Any]]:
    """Artifacts on the current Prefect API, newest first, optionally with one key or of one
    flow run."""
    body: dict[str, Any] = {"limit": limit, "offset": 0, "sort": "CREATED_DESC"}
    if key is not None:
        body["artifacts"] = {"key": {"any_": [key]}}
    if flow_run_id is not None:
        body["flow_runs"] = {"id": {"any_": [flow_run_id]}}
    return _filter("/artifacts/filter", body)


def read_task_runs(flow_run_id: str, limit: int = 200) -> list[dict[str, Any]]:
    """Task runs of one flow run, as the server has recorded them so far."""
    body = {"limit": limit, "offset": 0, "flow_runs": {"id": {"any_": [flow_run_id]}}}
    return _filter("/task_runs/filter", body)


def read_flow_run(flow_run_id: str) -> dict[str, Any]:
    """One flow run as the server recorded it (name, tags, state, …)."""
    [run] = _filter("/flow_runs/filter", {"limit": 1, "flow_runs": {"id": {"any_": [flow_run_id]}}})
    return run


def read_child_flow_runs(flow_run_id: str) -> list[dict[str, Any]]:
    """Flow runs started as subflows of `flow_run_id`."""
    body = {"limit": 200, "offset": 0, "flow_runs": {"parent_flow_run_id": {"any_": [flow_run_id]}}}
    return _filter("/flow_runs/filter", body)


def _filter(path: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        response = client.request("POST", path, json=body)
    response.raise_for_status()
    return response.json()


# --- a real, long-lived Prefect server in a subprocess ---------------------------------------


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check: Callable[[], T | None], timeout: float, what: str, every: float = 1) -> T:
    """Poll `check` until it returns something truthy; HTTP errors count as "not yet"."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = check()
        except httpx.HTTPError:
            value = None
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def clean_environment(**overrides: str) -> dict[str, str]:
    """This process's environment without Conductor's or Prefect's API settings, plus
    `overrides`: what a subprocess of the user's would start from."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("CONDUCTOR_") and k != "PREFECT_API_URL"
    }
    env.update(overrides)
    return env


@contextmanager
def running_prefect_server(home: Path) -> Iterator[str]:
    """`prefect server start` on a free port with its own PREFECT_HOME; yields the API URL.

    The server runs with Prefect's default service settings, so schedules are created by the
    same scheduler loops a user's server runs.
    """
    port = free_port()
    env = clean_environment(PREFECT_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false")
    log = (home / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    api = f"http://127.0.0.1:{port}/api"
    try:
        wait_for(
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


def flow_run_state(api: str, flow_run_id: str) -> dict[str, Any]:
    """The current state of one flow run, as the server has it."""
    with prefect_api(api) as client:
        return client.get(f"/flow_runs/{flow_run_id}").json()["state"]


def wait_for_final_state(api: str, flow_run_id: str, timeout: float) -> dict[str, Any]:
    """Wait until the run is in a terminal state; return that state."""

    def final() -> dict[str, Any] | None:
        state = flow_run_state(api, flow_run_id)
        return state if state["type"] in TERMINAL else None

    return wait_for(final, timeout, f"flow run {flow_run_id} to finish")


TERMINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}
