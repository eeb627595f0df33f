"""The Prefect task that emits Conductor's announcements (`tasks.announcements`) as Prefect
events, shared by the flows that detect them."""

from __future__ import annotations

from collections.abc import Sequence

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.events import emit_event

from tasks.announcements import Announcement


@task(name="announce-events", task_run_name="announce {label}", retries=1, cache_policy=NO_CACHE)
def announce(announcements: Sequence[Announcement], label: str) -> int:
    """Emit each announcement; returns how many. Ids are deterministic, so a retry re-sends
    the same events instead of new ones."""
    for item in announcements:
        emit_event(
            event=item.event,
            resource=item.resource,
            occurred=item.occurred,
            related=item.related or None,
            payload=item.payload,
            id=item.id,
        )
    return len(announcements)
