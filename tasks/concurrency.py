"""Prefect global concurrency limits: creating them before use.

Prefect's `concurrency()`/`rate_limit()` only warn and carry on when the named limit does not
exist, so limits are created (idempotently) before use and acquired with `strict=True`.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def ensure_limit(name: str, limit: int, slot_decay_per_second: float | None = None) -> bool:
    """Create or update the global concurrency limit `name`; False when the API is unreachable."""
    from prefect.client.orchestration import get_client

    try:
        with get_client(sync_client=True) as client:
            client.upsert_global_concurrency_limit_by_name(
                name, limit=limit, slot_decay_per_second=slot_decay_per_second
            )
    except Exception as exc:  # the Prefect API is optional for these guards: say so, go on
        log.warning("could not create Prefect concurrency limit %r: %s", name, exc)
        return False
    return True
