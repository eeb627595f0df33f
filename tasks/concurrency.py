"""Prefect global concurrency limits: creating them, and holding one as an exclusive lock.

Prefect's `concurrency()`/`rate_limit()` only warn and carry on when the named limit does not
exist, so limits are created (idempotently) before use and acquired with `strict=True`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

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


@contextmanager
def exclusive(name: str, lease_s: float = 3600) -> Iterator[None]:
    """Run the body while holding the only slot of limit `name`; other holders wait their turn.

    Slots are leased (`lease_s`), so a process that dies holding one frees it when the lease
    runs out instead of blocking every later run.
    """
    from prefect.concurrency.sync import concurrency

    if not ensure_limit(name, limit=1):
        yield
        return
    with concurrency(name, occupy=1, strict=True, lease_duration=lease_s):
        yield
