"""The mapping a sync would use, explained: for `conductor doctor`.

Why: with zero-config detection the first question after a surprising number is "which
property did it read?". This reads both schemas exactly as a sync does (same resolution,
same detection, same settings) and reports every field — the property, its type, and whether
it was detected (and by which rule) or overridden — and each status with its category and
where that category came from. Reads two schemas; writes nothing.
"""

from __future__ import annotations

from typing import Any

from models.errors import ConductorError
from models.settings import TICKET_FIELDS, Settings
from tasks.notion.client import NotionGateway
from tasks.notion.mapping import (
    Choice,
    SprintMapping,
    TicketMapping,
    detect_sprint_mapping,
    detect_ticket_mapping,
)
from tasks.notion.plan import resolve_data_source
from tasks.notion.status_categories import StatusRules

__all__ = ["SPRINT_FIELDS", "describe_mapping", "mapping_summary"]

#: Sprint fields in the order doctor lists them (`sprint_dates_end` only for a start/end pair).
SPRINT_FIELDS = ("title", "sprint_dates", "sprint_dates_end", "sprint_status")


def _fields(choices: dict[str, Choice], order: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    return {
        name: (
            {"property": c.property, "type": c.type, "source": c.source}
            if (c := choices.get(name)) is not None
            else {"property": None, "type": None, "source": "not mapped"}
        )
        for name in order
        if name in choices or name != "sprint_dates_end"
    }


def mapping_summary(tickets: TicketMapping, sprints: SprintMapping) -> dict[str, Any]:
    """The JSON `doctor --json` prints under `mapping` for two detected mappings."""
    return {
        "tickets": _fields(dict(tickets.choices), TICKET_FIELDS),
        "sprints": _fields(dict(sprints.choices), SPRINT_FIELDS),
        "status_categories": [
            {"status": s.name, "category": s.category, "source": s.source}
            for s in tickets.status_explained
        ],
        "error": None,
    }


def describe_mapping(settings: Settings) -> dict[str, Any] | None:
    """The mapping of the configured workspace, or None when Notion is not configured.

    A problem (an unreachable API, a schema that does not fit) is reported as
    `{"error": "<one line>"}` rather than raised: doctor shows every finding at once.
    """
    if not settings.notion_configured:
        return None
    try:
        with NotionGateway.from_settings(settings) as gateway:
            sprints_id, sprints_schema = resolve_data_source(
                gateway, settings.notion_sprints_database_id or ""
            )
            _, tickets_schema = resolve_data_source(
                gateway,
                settings.notion_tickets_database_id or "",
                settings.notion_tickets_data_source_id,
            )
        sprints = detect_sprint_mapping(sprints_schema, settings.notion_property_map)
        tickets = detect_ticket_mapping(
            tickets_schema,
            settings.notion_property_map,
            sprints_id,
            StatusRules.from_settings(settings),
        )
    except ConductorError as exc:
        return {"error": str(exc).splitlines()[0]}
    return mapping_summary(tickets, sprints)
