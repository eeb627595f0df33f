"""Which Notion property feeds which of our fields: the mapping detected from a schema.

Teams name their properties as they like ("Estimate", "Owner", "Cycle") and pick their own
types (Notion's Projects & Sprints template has story points as a select of "1", "2", "3"…),
so the mapping is detected from the data source schema (`GET /v1/data_sources/{id}` →
`properties`) by type and common names, and `CONDUCTOR_NOTION_PROPERTY_MAP` (our field →
property name) overrides any guess. Every choice remembers why it was made (`Choice`), which
is what `conductor doctor` prints. Detection runs once per sync; turning each page into a row
with the mapping is `tasks/notion/rows.py`, which must stay cheap. What each status means is
`tasks/notion/status_categories.py`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from models.errors import ConductorError
from models.settings import TICKET_FIELDS, PropertyRef
from tasks.notion.property_values import PropertyParseError, normalise_notion_id
from tasks.notion.status_categories import (
    DEFAULT_RULES,
    StatusCategory,
    StatusRules,
    explain_status_categories,
    guess_status_category,
    status_categories,
)

__all__ = [
    "FIELD_TYPES",
    "PROPERTY_MAP_ENV",
    "Choice",
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


@dataclass(frozen=True, slots=True)
class Choice:
    """Why a field reads the property it reads: `source` is "detected: …" or "override"."""

    property: str
    type: str
    source: str


# --- mappings --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TicketMapping:
    """Notion property names for each ticket field (None = not mapped).

    `status_categories` maps status option names to a category and `status_option_categories`
    does the same by option id, which survives renames; `status_rules` decides an option met
    only on a page (added after detection). `people_properties` are created_by/last_edited_by
    properties, read only to learn names. `choices` and `status_explained` say why (doctor).
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
    status_rules: StatusRules = field(default=DEFAULT_RULES, compare=False)
    choices: Mapping[str, Choice] = field(default_factory=dict, compare=False)
    status_explained: tuple[StatusCategory, ...] = field(default=(), compare=False)

    def category_of(self, name: str, option_id: str | None = None) -> str:
        """The category of a page's status option: by id, by name, else by the rules."""
        if option_id is not None and option_id in self.status_option_categories:
            return self.status_option_categories[option_id]
        known = self.status_categories.get(name)
        return known if known is not None else self.status_rules.decide(name)[0]


@dataclass(frozen=True, slots=True)
class SprintMapping:
    """Notion property names for each sprint field (None = not mapped).

    `dates` is one date-range property, or with `dates_end` set, the start of a pair of date
    properties (a "Start" and an "End" column).
    """

    title: str
    dates: str | None = None
    status: str | None = None
    dates_end: str | None = None
    choices: Mapping[str, Choice] = field(default_factory=dict, compare=False)


#: Types a field may be read from. Detection looks for the first (points: also a select of
#: numbers, a formula or a rollup named like points); the others are accepted from an override.
FIELD_TYPES: dict[str, tuple[str, ...]] = {
    "title": ("title", "rich_text", "formula"),
    "status": ("status", "select"),
    "points": ("number", "select", "formula", "rollup"),
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
    "status": ("status", "state", "task status"),
    "points": (
        "points",
        "story points",
        "story point",
        "estimate",
        "estimation",
        "effort",
        "sp",
        "size",
    ),
    "assignees": ("assignee", "assignees", "assigned", "assigned to", "owner", "person", "people"),
    "sprint": ("sprint", "sprints", "cycle", "iteration"),
    "priority": ("priority", "p"),
    "tags": ("tags", "labels"),
    "due": ("due", "due date", "deadline"),
    "description": ("description", "summary", "details"),
    "sprint_dates": ("dates", "sprint dates", "date", "period", "timeline", "date range"),
    "sprint_status": ("sprint status", "status", "state"),
}
_START_NAMES = ("start", "start date", "starts", "sprint start", "begin", "begins", "from")
_END_NAMES = ("end", "end date", "ends", "sprint end", "finish", "until", "to")


def _folded(name: str) -> str:
    return " ".join(name.casefold().split())


def _available(schema: Schema) -> str:
    return ", ".join(sorted(schema)) or "(none)"


def _of_type(schema: Schema, property_type: str) -> list[str]:
    return [name for name, prop in schema.items() if prop.get("type") == property_type]


def _named(schema: Schema, property_type: str, names: Iterable[str]) -> str | None:
    """The property of `property_type` whose name comes first in `names` (case-insensitive)."""
    by_name = {_folded(name): name for name in _of_type(schema, property_type)}
    for wanted in names:
        if wanted in by_name:
            return by_name[wanted]
    return None


def _first_of_type(schema: Schema, property_type: str) -> str | None:
    return next(iter(_of_type(schema, property_type)), None)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _numeric_select(schema: Schema, name: str) -> bool:
    """A select whose options are mostly numbers ("1", "2", "3", "5", "8", maybe a "?")."""
    config = schema[name].get("select")
    options = config.get("options") if isinstance(config, dict) else None
    names = [o.get("name") for o in options or () if isinstance(o, dict)]
    numeric = sum(1 for n in names if isinstance(n, str) and _is_number(n))
    return numeric > 0 and numeric * 2 >= len(names)


class _Detector:
    """Collects the chosen property per field and the reason, for one schema."""

    def __init__(self, schema: Schema, overrides: Mapping[str, PropertyRef] | None) -> None:
        self.schema = schema
        self.overrides = overrides or {}
        self.choices: dict[str, Choice] = {}

    def take(self, our_field: str, name: str | None, why: str) -> str | None:
        if name is not None:
            self.choices[our_field] = Choice(name, str(self.schema[name].get("type")), why)
        return name

    def by_name(
        self, our_field: str, *types: str, names: Iterable[str] | None = None
    ) -> str | None:
        wanted = tuple(names if names is not None else _NAMES[our_field])
        for kind in types:
            found = _named(self.schema, kind, wanted)
            if found is not None:
                return self.take(
                    our_field, found, f"detected: a {kind} property named like {our_field}"
                )
        return None

    def overridden(self, our_field: str) -> bool:
        return our_field in self.overrides

    def override(self, our_field: str) -> str | None:
        """The property an override names, checked to exist and to have a readable type.

        An empty name maps the field to nothing on purpose (e.g. a sprint kept as a select).
        """
        name = self.overrides.get(our_field)
        if not isinstance(name, str) or name == "":
            return None
        return self.take(our_field, self.checked(our_field, name), "override")

    def checked(self, our_field: str, name: str) -> str:
        if name not in self.schema:
            raise MappingError(
                f"{PROPERTY_MAP_ENV} maps {our_field!r} to {name!r}, which is not a property of "
                f"the data source; available: {_available(self.schema)}"
            )
        kind = self.schema[name].get("type")
        if kind not in FIELD_TYPES[our_field]:
            raise MappingError(
                f"{PROPERTY_MAP_ENV} maps {our_field!r} to {name!r}, a {kind} property; "
                f"{our_field!r} needs one of: {', '.join(FIELD_TYPES[our_field])} "
                f"(change the property's type in Notion or map another property)"
            )
        return name


def _missing_required(our_field: str, schema: Schema) -> MappingError:
    return MappingError(
        f"the tickets data source has no {our_field} property; add one or set "
        f'{PROPERTY_MAP_ENV}=\'{{"{our_field}": "<property name>"}}\' '
        f"(available: {_available(schema)})"
    )


def _sprint_relation(schema: Schema, sprints_data_source_id: str | None) -> tuple[str | None, str]:
    """Prefer a relation both named like a sprint and pointing at the sprints data source."""
    named = _named(schema, "relation", _NAMES["sprint"])
    if not sprints_data_source_id:
        return named, "detected: a relation named like sprint"
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
        return named, "detected: a relation named like sprint, to the sprints data source"
    pointing = next((n for n in _of_type(schema, "relation") if points_at_sprints(n)), None)
    if pointing:
        return pointing, "detected: the relation to the sprints data source"
    return named, "detected: a relation named like sprint"


def _sprint_not_a_relation(schema: Schema) -> MappingError | None:
    """A sprint kept as a select or text column: say how to fix it rather than drop it."""
    for kind in ("select", "multi_select", "rich_text", "status"):
        name = _named(schema, kind, _NAMES["sprint"])
        if name is not None:
            return MappingError(
                f"the tickets' {name!r} property is a {kind}, but Conductor reads the sprint "
                f"from a relation to the sprints database: convert {name!r} to a relation "
                f"(Notion: property → Edit property → Type → Relation), or set "
                f'{PROPERTY_MAP_ENV}=\'{{"sprint": "<relation property>"}}\' '
                f'(or {{"sprint": ""}} to sync without sprints)'
            )
    return None


def detect_ticket_mapping(
    schema: Schema,
    overrides: Mapping[str, PropertyRef] | None = None,
    sprints_data_source_id: str | None = None,
    status_rules: StatusRules = DEFAULT_RULES,
) -> TicketMapping:
    """Work out the ticket mapping from a data source schema.

    `overrides` is `Settings.notion_property_map`; it wins over detection, and an override
    naming a missing or unreadable property raises `MappingError` rather than silently falling
    back. `status_rules` (`StatusRules.from_settings`) carry the team's status settings. Title
    and status are required; everything else may be unmapped, except that a sprint kept as a
    select or text column is an error naming the fix.
    """
    d = _Detector(schema, overrides)
    found: dict[str, str | None] = {}
    for our_field in TICKET_FIELDS:
        if d.overridden(our_field):
            found[our_field] = d.override(our_field)
    if "title" not in found:
        found["title"] = d.take("title", _first_of_type(schema, "title"), "detected: the title")
    if "status" not in found:
        found["status"] = d.by_name("status", "status") or (
            d.take("status", _first_of_type(schema, "status"), "detected: the status property")
            or d.by_name("status", "select")
        )
    if "points" not in found:
        numeric_select = _named(schema, "select", _NAMES["points"])
        found["points"] = (
            d.by_name("points", "number")
            or (
                d.take("points", numeric_select, "detected: a select of numbers named like points")
                if numeric_select is not None and _numeric_select(schema, numeric_select)
                else None
            )
            or d.by_name("points", "formula", "rollup")
        )
    if "assignees" not in found:
        people = _of_type(schema, "people")
        found["assignees"] = d.by_name("assignees", "people") or (
            d.take("assignees", people[0], "detected: the only people property")
            if len(people) == 1
            else None
        )
    if "sprint" not in found:
        relation, why = _sprint_relation(schema, sprints_data_source_id)
        if relation is None and (error := _sprint_not_a_relation(schema)) is not None:
            raise error
        found["sprint"] = d.take("sprint", relation, why)
    if "priority" not in found:
        found["priority"] = d.by_name("priority", "select")
    if "tags" not in found:
        found["tags"] = d.by_name("tags", "multi_select")
    if "due" not in found:
        found["due"] = d.by_name("due", "date")
    if "key" not in found:
        found["key"] = d.take("key", _first_of_type(schema, "unique_id"), "detected: the ID")
    if "description" not in found:
        found["description"] = d.by_name("description", "rich_text")
    title_name, status_name = found["title"], found["status"]
    if title_name is None:
        raise _missing_required("title", schema)
    if status_name is None:
        raise _missing_required("status", schema)
    explained = tuple(explain_status_categories(schema[status_name], status_rules))
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
        status_categories={s.name: s.category for s in explained},
        status_option_categories={
            s.option_id: s.category for s in explained if s.option_id is not None
        },
        people_properties=tuple(
            name
            for name, prop in schema.items()
            if prop.get("type") in ("created_by", "last_edited_by")
        ),
        status_rules=status_rules,
        choices=dict(d.choices),
        status_explained=explained,
    )


def _sprint_dates(d: _Detector) -> tuple[str | None, str | None]:
    """One date-range property, or a start/end pair of date properties."""
    override = d.overrides.get("sprint_dates")
    if isinstance(override, tuple):
        start, end = (d.checked("sprint_dates", name) for name in override)
        d.take("sprint_dates", start, "override (start)")
        d.choices["sprint_dates_end"] = Choice(
            end, str(d.schema[end].get("type")), "override (end)"
        )
        return start, end
    if d.overridden("sprint_dates"):
        return d.override("sprint_dates"), None
    named = d.by_name("sprint_dates", "date")
    if named is not None:
        return named, None
    start = _named(d.schema, "date", _START_NAMES)
    end = _named(d.schema, "date", _END_NAMES)
    if start is not None and end is not None and start != end:
        d.take("sprint_dates", start, "detected: a date named like a start")
        d.choices["sprint_dates_end"] = Choice(end, "date", "detected: a date named like an end")
        return start, end
    dates = _of_type(d.schema, "date")
    if len(dates) == 1:
        return d.take("sprint_dates", dates[0], "detected: the only date property"), None
    return d.by_name("sprint_dates", "formula", "rollup"), None


def detect_sprint_mapping(
    schema: Schema, overrides: Mapping[str, PropertyRef] | None = None
) -> SprintMapping:
    """Work out the sprint mapping; only the `sprint_dates`/`sprint_status` overrides apply.

    The `title` override is the tickets' title; a sprint's name is always its title property.
    """
    d = _Detector(schema, overrides)
    title = d.take("title", _first_of_type(schema, "title"), "detected: the title")
    if title is None:
        raise MappingError(
            f"the sprints data source has no title property; check "
            f"CONDUCTOR_NOTION_SPRINTS_DATABASE_ID (available: {_available(schema)})"
        )
    dates, dates_end = _sprint_dates(d)
    if d.overridden("sprint_status"):
        status = d.override("sprint_status")
    else:
        status = (
            d.by_name("sprint_status", "status")
            or d.take(
                "sprint_status",
                _first_of_type(schema, "status"),
                "detected: the status property",
            )
            or d.by_name("sprint_status", "select")
        )
    return SprintMapping(
        title=title, dates=dates, status=status, dates_end=dates_end, choices=dict(d.choices)
    )
