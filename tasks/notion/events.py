"""Changes to tickets as `TicketEvent` rows: what stored and incoming values differ in.

Why a module of its own: the event rules are the history every sprint metric is computed from
(docs/design.md), and they are pure — a stored row and an incoming row in, event dicts out — so
they are kept apart from the SQL that reads and writes them (`writes.py`). A new ticket's past
is reconstructed from its timestamps (events marked `derived`); a known ticket gets one event
per mapped field that changed; a property that failed to parse keeps its stored value instead
of writing a change.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from models.base import as_utc
from models.tickets import TODO
from tasks.notion.rows import ParsedTicket


def _assignee_value(ids: Iterable[str]) -> str | None:
    joined = ",".join(sorted(set(ids)))
    return joined or None


def _points_value(points: float | None) -> str | None:
    return None if points is None else f"{points:g}"


def first_seen_events(row: dict[str, Any], now: datetime) -> list[dict[str, Any]]:
    """Reconstruct a new ticket's past from its timestamps (events marked `derived`)."""
    created = as_utc(row.get("created_time")) or as_utc(row.get("last_edited_time")) or now
    edited = as_utc(row.get("last_edited_time")) or created
    events = []
    if row.get("sprint_id"):
        events.append(
            ticket_event(
                row["id"],
                "sprint",
                created,
                now,
                new_sprint_id=row["sprint_id"],
                new_value=row["sprint_id"],
                derived=True,
            )
        )
    if row.get("points") is not None:
        events.append(
            ticket_event(
                row["id"],
                "points",
                created,
                now,
                new_value=_points_value(row["points"]),
                derived=True,
            )
        )
    category = row.get("status_category")
    if category in (None, TODO):
        events.append(
            ticket_event(
                row["id"],
                "status",
                created,
                now,
                new_value=row.get("status"),
                new_category=category,
                derived=True,
            )
        )
    else:
        events.append(
            ticket_event(
                row["id"], "status", created, now, new_value=None, new_category=TODO, derived=True
            )
        )
        events.append(
            ticket_event(
                row["id"],
                "status",
                edited,
                now,
                old_category=TODO,
                new_value=row.get("status"),
                new_category=category,
                derived=True,
            )
        )
    return events


def ticket_event(
    ticket_id: str, field_name: str, at: datetime, observed_at: datetime, **values: Any
) -> dict[str, Any]:
    """One `TicketEvent` row: `values` set the old/new columns, the rest stay None."""
    event = {
        "ticket_id": ticket_id,
        "field": field_name,
        "old_value": None,
        "new_value": None,
        "old_category": None,
        "new_category": None,
        "old_sprint_id": None,
        "new_sprint_id": None,
        "at": at,
        "observed_at": observed_at,
        "derived": False,
    }
    event.update(values)
    return event


def change_events(
    old: dict[str, Any], row: dict[str, Any], assignees: list[str], now: datetime
) -> list[dict[str, Any]]:
    """Events for the fields of a known ticket that changed since the last sync."""
    ticket_id = row["id"]
    at = as_utc(row.get("last_edited_time")) or now
    events = []
    if old["removed_at"] is not None:
        events.append(ticket_event(ticket_id, "removed", at, now, old_value="1", new_value=None))
    if (old["status"], old["status_category"]) != (row.get("status"), row.get("status_category")):
        events.append(
            ticket_event(
                ticket_id,
                "status",
                at,
                now,
                old_value=old["status"],
                new_value=row.get("status"),
                old_category=old["status_category"],
                new_category=row.get("status_category"),
            )
        )
    if old["points"] != row.get("points"):
        events.append(
            ticket_event(
                ticket_id,
                "points",
                at,
                now,
                old_value=_points_value(old["points"]),
                new_value=_points_value(row.get("points")),
            )
        )
    if old["sprint_id"] != row.get("sprint_id"):
        events.append(
            ticket_event(
                ticket_id,
                "sprint",
                at,
                now,
                old_value=old["sprint_id"],
                new_value=row.get("sprint_id"),
                old_sprint_id=old["sprint_id"],
                new_sprint_id=row.get("sprint_id"),
            )
        )
    if _assignee_value(old["assignees"]) != _assignee_value(assignees):
        events.append(
            ticket_event(
                ticket_id,
                "assignees",
                at,
                now,
                old_value=_assignee_value(old["assignees"]),
                new_value=_assignee_value(assignees),
            )
        )
    return events


#: Our mapped fields and the Ticket columns each one fills (assignees live in TicketAssignee).
FIELD_COLUMNS: dict[str, tuple[str, ...]] = {
    "title": ("title",),
    "description": ("description",),
    "status": ("status", "status_category"),
    "points": ("points",),
    "sprint": ("sprint_id",),
    "priority": ("priority",),
    "tags": ("tags",),
    "due": ("due_start", "due_end"),
    "key": ("key",),
    "assignees": (),
}


def keep_stored_values_of_unreadable_properties(ticket: ParsedTicket, old: dict[str, Any]) -> None:
    """A property that failed to parse keeps the value we already have.

    Otherwise one schema change in Notion (Points turned into a text formula, say) would blank
    every ticket's points and write a points→None event for each, rewriting sprint history.
    The failure stays recorded in `parse_errors`.
    """
    unreadable = {error.get("property") for error in ticket.row.get("parse_errors") or ()}
    for field_name, columns in FIELD_COLUMNS.items():
        if getattr(ticket.mapping, field_name, None) not in unreadable:
            continue
        for column in columns:
            ticket.row[column] = old[column]
        if field_name == "assignees":
            ticket.assignee_ids = list(old["assignees"])
