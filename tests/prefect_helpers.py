"""Reading what flows published, for tests.

Prefect 3.8's `read_artifacts` client methods send `null` for unset filters, which its own
server rejects (422), so tests ask the REST endpoint directly.
"""

from __future__ import annotations

from typing import Any


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
