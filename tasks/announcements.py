"""What Conductor announces as Prefect events, for automations a user builds in the Prefect UI
(notify a channel, run a flow) without code: `conductor.sprint.health-changed` when a sprint's
forecast moves, `conductor.ticket.blocked` when a sync sees a ticket move into a blocked status.

Plain data here (`Announcement`); the flows emit them (`prefect.events.emit_event`). Each
announcement has a deterministic id derived from what it announces, so a retried task sends the
same event again rather than a second one, and Prefect's event store keeps it once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from models import Ticket, TicketEvent
from models.health import HealthChange
from models.tickets import fold_status

HEALTH_CHANGED = "conductor.sprint.health-changed"
TICKET_BLOCKED = "conductor.ticket.blocked"
#: One sync announces at most this many newly blocked tickets (a bulk edit must not flood the
#: event stream; the rest are in the daily summary).
MAX_BLOCKED_PER_RUN = 100
_NAMESPACE = uuid.UUID("5d6f8a9e-3c1b-4e8f-9a47-c0dc70b0e1a1")


@dataclass(frozen=True)
class Announcement:
    """The arguments of one `emit_event` call."""

    event: str
    resource: dict[str, str]
    payload: dict[str, Any]
    occurred: datetime
    id: uuid.UUID
    related: list[dict[str, str]] = field(default_factory=list)


def sprint_resource(sprint_id: str, name: str) -> dict[str, str]:
    """The Prefect resource of a sprint: `conductor.sprint.<notion page id>`, named."""
    return {"prefect.resource.id": f"conductor.sprint.{sprint_id}", "prefect.resource.name": name}


def health_changed(change: HealthChange, report: dict[str, Any]) -> Announcement:
    """`conductor.sprint.health-changed` for `change`, with the figures behind the new health."""
    sprint, metrics = report["sprint"], report["metrics"]
    return Announcement(
        event=HEALTH_CHANGED,
        resource=sprint_resource(change.sprint_id, sprint["name"]),
        payload={
            "from": change.before,
            "to": change.after,
            "remaining_points": metrics["remaining_points"],
            "scope_points": metrics["scope_points"],
            "completion_pct": metrics["completion_pct"],
            "forecast_probability": metrics.get("forecast_probability"),
            "as_of": sprint["as_of"],
        },
        occurred=change.changed_at,
        id=uuid.uuid5(_NAMESPACE, f"health:{change.sprint_id}:{change.changed_at.isoformat()}"),
    )


def tickets_blocked(
    session: Session, observed_since: datetime, blocked_statuses: list[str]
) -> list[Announcement]:
    """`conductor.ticket.blocked` for each status change into a blocked status that a sync
    observed at or after `observed_since` (changes reconstructed on first sight are not news)."""
    blocked = [fold_status(name) for name in blocked_statuses]
    if not blocked:
        return []
    folded = func.lower(func.coalesce(TicketEvent.new_value, ""))
    was = func.lower(func.coalesce(TicketEvent.old_value, ""))
    rows = session.exec(
        select(TicketEvent.id, TicketEvent.at, TicketEvent.old_value, TicketEvent.new_value, Ticket)
        .join(Ticket, Ticket.id == TicketEvent.ticket_id)
        .where(
            TicketEvent.field == "status",
            TicketEvent.derived.is_(False),  # type: ignore[attr-defined]
            TicketEvent.observed_at >= observed_since,
            folded.in_(blocked),
            was.not_in(blocked),
        )
        .order_by(TicketEvent.id)
        .limit(MAX_BLOCKED_PER_RUN)
    ).all()
    announcements = []
    for event_id, at, old, new, ticket in rows:
        resource = {
            "prefect.resource.id": f"conductor.ticket.{ticket.id}",
            "prefect.resource.name": ticket.key or ticket.title[:80],
        }
        related = (
            [
                {
                    "prefect.resource.id": f"conductor.sprint.{ticket.sprint_id}",
                    "prefect.resource.role": "sprint",
                }
            ]
            if ticket.sprint_id
            else []
        )
        announcements.append(
            Announcement(
                event=TICKET_BLOCKED,
                resource=resource,
                payload={"from": old, "to": new, "key": ticket.key, "url": ticket.url},
                occurred=at,
                id=uuid.uuid5(_NAMESPACE, f"blocked:{event_id}"),
                related=related,
            )
        )
    return announcements
