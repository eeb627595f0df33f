"""Reading what flows published, for tests.

Prefect 3.8's `read_artifacts` client methods send `null` for unset filters, which its own
server rejects (422), so tests ask the REST endpoint directly.
"""

from __future__ import annotations

from typing import Any


def read_artifacts(key: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """Artifacts on the current Prefect API, newest first, optionally with one key."""
    from prefect.client.orchestration import get_client

    body: dict[str, Any] = {"limit": limit, "offset": 0, "sort": "CREATED_DESC"}
    if key is not None:
        body["artifacts"] = {"key": {"any_": [key]}}
    with get_client(sync_client=True) as client:
        response = client.request("POST", "/artifacts/filter", json=body)
    return response.json()
