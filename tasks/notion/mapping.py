"""Which Notion property feeds which of our fields: the mapping detected from a schema.

Teams name their properties as they like ("Estimate", "Owner", "Cycle"), so the mapping is
detected from the data source schema (`GET /v1/data_sources/{id}` → `properties`) by type and
common names, and `CONDUCTOR_NOTION_PROPERTY_MAP` (our field → property name) overrides any
guess. Detection runs once per sync; turning each page into a row with the mapping is
`tasks/notion/rows.py`, which must stay cheap because it runs thousands of times a second.
Status options are sorted into our three categories here too, since that is read from the
schema's status groups.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from models.errors import ConductorError
from models.settings import TICKET_FIELDS
from models.tickets import COMPLETE, IN_PROGRESS, TODO
from tasks.notion.property_values import PropertyParseError, normalise_notion_id

__all__ = [
    "FIELD_TYPES",
    "PROPERTY_MAP_ENV",
    "MappingError",
    "SprintMapping",
    "TicketMapping",
    "detect_sprint_mapping",
    "detect_ticket_mapping",
    "guess_status_category",
    "status_categories",
]

PROPERTY_MAP_ENV = "CONDUCTOR_NOTION_PROPERTY_MAP"

Schema = Mapping[str, Mapping[str, Any]]


class MappingError(ConductorError):
    """The data source schema does not fit our fields; the message is one line with the fix."""


# --- mappings --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TicketMapping:
    """Notion property names for each ticket field (None = not mapped).

    `status_categories` maps status option names to TODO/IN_PROGRESS/COMPLETE and
    `status_option_categories` does the same by option id, which survives renames.
    `people_properties` are created_by/last_edited_by properties, read only to learn names.
    """

    title: str
    status: str
    points: str | None = None
    assignees: str | None = None
    sprint: str | None = None
    priority: str | None = None
    tags: str | None = None
    due: str | None = None
    key: str | None = None
    description: str | None = None
    status_categories: Mapping[str, str] = field(default_factory=dict)
    status_option_categories: Mapping[str, str] = field(default_factory=dict)
    people_properties: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SprintMapping:
    """Notion property names for each sprint field (None = not mapped)."""

    title: str
    dates: str | None = None
    status: str | None = None


#: Types a field may be read from. The first is what detection looks for; the others are
#: accepted through an override (e.g. points computed by a formula).
FIELD_TYPES: dict[str, tuple[str, ...]] = {
    "title": ("title", "rich_text", "formula"),
    "status": ("status", "select"),
    "points": ("number", "formula", "rollup"),
    "assignees": ("people",),
    "sprint": ("relation",),
    "priority": ("select", "status", "formula"),
    "tags": ("multi_select", "select"),
    "due": ("date", "formula", "rollup"),
    "key": ("unique_id", "rich_text", "formula", "title"),
    "description": ("rich_text", "title"),
    "sprint_dates": ("date", "formula", "rollup"),
    "sprint_status": ("status", "select"),
}

_NAMES: dict[str, tuple[str, ...]] = {
    "status": ("status", "state"),
    "points": ("points", "estimate", "story points", "sp", "size"),
    "assignees": ("assignee", "assignees", "owner", "assigned to"),
    "sprint": ("sprint", "cycle", "iteration"),
    "priority": ("priority", "p"),
    "tags": ("tags", "labels"),
    "due": ("due", "due date", "deadline"),
    "description": ("description", "summary", "details"),
    "sprint_dates": ("dates", "date", "period", "timeline"),
    "sprint_status": ("status", "state"),
}


def _folded(name: str) -> str:
    return " ".join(name.casefold().split())


def _available(schema: Schema) -> str:
    return ", ".join(sorted(schema)) or "(none)"


def _named(schema: Schema, property_type: str, names: Iterable[str]) -> str | None:
    """The property of `property_type` whose name comes first in `names` (case-insensitive)."""
    by_name = {
        _folded(name): name for name, prop in schema.items() if prop.get("type") == property_type
    }
    for wanted in names:
        if wanted in by_name:
            return by_name[wanted]
    return None


def _first_of_type(schema: Schema, property_type: str) -> str | None:
    return next((name for name, prop in schema.items() if prop.get("type") == property_type), None)


def _override(schema: Schema, overrides: Mapping[str, str], our_field: str) -> str | None:
    """The property an override names, checked to exist and to have a readable type."""
    name = overrides.get(our_field)
    if name is None:
        return None
    if name not in schema:
        raise MappingError(
            f"{PROPERTY_MAP_ENV} maps {our_field!r} to {name!r}, which is not a property of the "
            f"data source; available: {_available(schema)}"
        )
    kind = schema[name].get("type")
    if kind not in FIELD_TYPES[our_field]:
        raise MappingError(
            f"{PROPERTY_MAP_ENV} maps {our_field!r} to {name!r}, a {kind} property; "
            f"{our_field!r} needs one of: {', '.join(FIELD_TYPES[our_field])}"
        )
    return name


def _missing_required(our_field: str, schema: Schema) -> MappingError:
    return MappingError(
        f"the tickets data source has no {our_field} property; add one or set "
        f'{PROPERTY_MAP_ENV}=\'{{"{our_field}": "<property name>"}}\' '
        f"(available: {_available(schema)})"
    )


def _sprint_relation(schema: Schema, sprints_data_source_id: str | None) -> str | None:
    """Prefer a relation both named like a sprint and pointing at the sprints data source."""
    named = _named(schema, "relation", _NAMES["sprint"])
    if not sprints_data_source_id:
        return named
    try:
        target = normalise_notion_id(sprints_data_source_id)
    except PropertyParseError:
        raise MappingError(
            f"{sprints_data_source_id!r} is not a Notion data source id; "
            "check CONDUCTOR_NOTION_SPRINTS_DATABASE_ID"
        ) from None

    def points_at_sprints(name: str) -> bool:
        relation = schema[name].get("relation")
        if not isinstance(relation, dict) or not relation.get("data_source_id"):
            return False
        try:
            return normalise_notion_id(relation["data_source_id"]) == target
        except PropertyParseError:
            return False

    if named and points_at_sprints(named):
        return named
    pointing = next(
        (n for n, p in schema.items() if p.get("type") == "relation" and points_at_sprints(n)),
        None,
    )
    return pointing or named


def detect_ticket_mapping(
    schema: Schema,
    overrides: Mapping[str, str] | None = None,
    sprints_data_source_id: str | None = None,
) -> TicketMapping:
    """Work out the ticket mapping from a data source schema.

    `overrides` is `Settings.notion_property_map`; it wins over detection, and an override
    naming a missing property raises `MappingError` rather than silently falling back. Title
    and status are required; everything else may be unmapped.
    """
    overrides = overrides or {}
    found: dict[str, str | None] = {
        "title": _first_of_type(schema, "title"),
        "status": _named(schema, "status", _NAMES["status"])
        or _first_of_type(schema, "status")
        or _named(schema, "select", _NAMES["status"]),
        "points": _named(schema, "number", _NAMES["points"]),
        "assignees": _named(schema, "people", _NAMES["assignees"]),
        "sprint": _sprint_relation(schema, sprints_data_source_id),
        "priority": _named(schema, "select", _NAMES["priority"]),
        "tags": _named(schema, "multi_select", _NAMES["tags"]),
        "due": _named(schema, "date", _NAMES["due"]),
        "key": _first_of_type(schema, "unique_id"),
        "description": _named(schema, "rich_text", _NAMES["description"]),
    }
    for our_field in TICKET_FIELDS:
        chosen = _override(schema, overrides, our_field)
        if chosen is not None:
            found[our_field] = chosen
    title_name, status_name = found["title"], found["status"]
    if title_name is None:
        raise _missing_required("title", schema)
    if status_name is None:
        raise _missing_required("status", schema)
    by_name, by_id = status_categories(schema[status_name])
    return TicketMapping(
        title=title_name,
        status=status_name,
        points=found["points"],
        assignees=found["assignees"],
        sprint=found["sprint"],
        priority=found["priority"],
        tags=found["tags"],
        due=found["due"],
        key=found["key"],
        description=found["description"],
        status_categories=by_name,
        status_option_categories=by_id,
        people_properties=tuple(
            name
            for name, prop in schema.items()
            if prop.get("type") in ("created_by", "last_edited_by")
        ),
    )


def detect_sprint_mapping(
    schema: Schema, overrides: Mapping[str, str] | None = None
) -> SprintMapping:
    """Work out the sprint mapping; only the `sprint_dates`/`sprint_status` overrides apply.

    The `title` override is the tickets' title; a sprint's name is always its title property.
    """
    overrides = overrides or {}
    title = _first_of_type(schema, "title")
    if title is None:
        raise MappingError(
            f"the sprints data source has no title property; check "
            f"CONDUCTOR_NOTION_SPRINTS_DATABASE_ID (available: {_available(schema)})"
        )
    dates = _override(schema, overrides, "sprint_dates") or _named(
        schema, "date", _NAMES["sprint_dates"]
    )
    status = (
        _override(schema, overrides, "sprint_status")
        or _named(schema, "status", _NAMES["sprint_status"])
        or _named(schema, "select", _NAMES["sprint_status"])
    )
    return SprintMapping(title=title, dates=dates, status=status)


# --- status categories -----------------------------------------------------------------------

_GROUP_CATEGORIES = {
    "to-do": TODO,
    "to do": TODO,
    "todo": TODO,
    "not started": TODO,
    "in progress": IN_PROGRESS,
    "complete": COMPLETE,
    "completed": COMPLETE,
    "done": COMPLETE,
}
_COMPLETE_WORDS = (
    "done",
    "closed",
    "complete",
    "won't do",
    "wont do",
    "shipped",
    "released",
    "resolved",
    "cancelled",
    "canceled",
)
_IN_PROGRESS_WORDS = ("in progress", "review", "blocked", "doing", "in dev", "testing", "qa")


def guess_status_category(name: str) -> str:
    """Category of a status known only by name (select-based status, or an unknown option).

    Done/Closed/Complete/Won't do → complete; In progress/Review/Blocked/Doing → in progress;
    anything else, and anything negated ("Not done", "Not started"), → to do.
    """
    folded = _folded(name).replace("\u2019", "'")
    if folded.startswith("not ") or " not " in folded:
        return TODO
    if any(word in folded for word in _COMPLETE_WORDS):
        return COMPLETE
    if any(word in folded for word in _IN_PROGRESS_WORDS):
        return IN_PROGRESS
    return TODO


def status_categories(status_property: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """`(name → category, option id → category)` for a status or select schema property.

    Status properties carry groups (To-do / In progress / Complete) listing option ids; group
    names are matched case-insensitively, and three unrecognised groups (a localised
    workspace) are taken in Notion's fixed order. Options outside any group, and every option
    of a select, fall back to `guess_status_category`.
    """
    kind = status_property.get("type")
    config = status_property.get(kind) if isinstance(kind, str) else None
    if not isinstance(config, dict):
        return {}, {}
    options = [o for o in config.get("options") or () if isinstance(o, dict)]
    groups = (
        [g for g in config.get("groups") or () if isinstance(g, dict)] if kind == "status" else []
    )
    group_category: list[str | None] = [
        _GROUP_CATEGORIES.get(_folded(str(g.get("name", "")))) for g in groups
    ]
    if len(groups) == 3 and None in group_category:
        group_category = [TODO, IN_PROGRESS, COMPLETE]
    by_id: dict[str, str] = {}
    for group, category in zip(groups, group_category, strict=True):
        if category is None:
            continue
        for option_id in group.get("option_ids") or ():
            by_id[str(option_id)] = category
    by_name: dict[str, str] = {}
    for option in options:
        name = option.get("name")
        if not isinstance(name, str):
            continue
        option_id = option.get("id")
        category = by_id.get(str(option_id)) if option_id is not None else None
        by_name[name] = category or guess_status_category(name)
        if option_id is not None and category is None:
            by_id[str(option_id)] = by_name[name]
    return by_name, by_id
