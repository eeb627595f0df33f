"""Notion pages turned into `Ticket`/`Sprint` rows, through a detected mapping.

Why a module of its own: detection (`mapping.py`) runs once per sync and may be thorough;
`ticket_row`/`sprint_row` run once per page and are kept cheap (no copies of `raw`, no
validation models) because ingestion must do thousands a second.

A page whose property cannot be read is still turned into a row: the column stays empty and
the failure is listed in `parse_errors`, so one odd value never hides a ticket from a sprint.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any

from tasks.notion.mapping import FIELD_TYPES, SprintMapping, TicketMapping
from tasks.notion.properties import parse_property
from tasks.notion.property_text import parse_mentioned_people, parse_timestamp, parse_user
from tasks.notion.property_values import (
    DateValue,
    PersonRef,
    PropertyParseError,
    RelationValue,
    StatusValue,
    normalise_notion_id,
)

__all__ = [
    "MalformedPageError",
    "ParsedSprint",
    "ParsedTicket",
    "apply_full_relation",
    "sprint_row",
    "ticket_row",
]


#: Page objects carry at most this many references per relation or people property. Relations
#: say `has_more` beyond it; people say nothing, so a people list of exactly this length may be
#: cut and is read whole from the property item endpoint.
REFERENCE_LIMIT = 25


class MalformedPageError(ValueError):
    """A page object so broken (no id, no properties) that no row can be made; quarantine it."""


@dataclass(slots=True)
class ParsedTicket:
    """One page of the Tickets data source, ready to upsert.

    `row` has exactly the `Ticket` columns we own (not first_seen_at/removed_at/updated_at).
    `assignee_ids` are in property order (→ `TicketAssignee.position`). `people` are users met
    on the page worth upserting into `Person` (assignees, plus named creators, editors and
    mentions). `relation_overflow` names relation/people properties that Notion may have cut
    off at 25; fetch the rest and call `apply_full_relation`, which completes this object in
    place. `sprint_ids` is the sprint relation in Notion's order (whole once completed), from
    which `choose_latest_sprint` picks `row["sprint_id"]`. `removed` marks trashed/archived
    pages.
    """

    row: dict[str, Any]
    assignee_ids: list[str]
    people: list[PersonRef]
    relation_overflow: list[str]
    removed: bool
    mapping: TicketMapping
    sprint_ids: list[str]


@dataclass(frozen=True, slots=True)
class ParsedSprint:
    """One page of the Sprints data source, ready to upsert (`row` = `Sprint` columns)."""

    row: dict[str, Any]
    removed: bool


def _page_basics(page: Any) -> tuple[str, dict[str, Any]]:
    if not isinstance(page, dict):
        raise MalformedPageError(f"expected a page object, got {type(page).__name__}")
    properties = page.get("properties")
    try:
        page_id = normalise_notion_id(page.get("id"), "page")
    except PropertyParseError:
        raise MalformedPageError(f"page has no valid id ({page.get('id')!r})") from None
    if not isinstance(properties, dict):
        raise MalformedPageError(f"page {page_id} has no properties object")
    return page_id, properties


def _error(errors: list[dict[str, Any]], name: str, kind: Any, message: str) -> None:
    errors.append(
        {"property": name, "type": kind if isinstance(kind, str) else None, "error": message}
    )


def _read(
    properties: dict[str, Any], name: str | None, our_field: str, errors: list[dict[str, Any]]
) -> Any:
    """Parse one mapped property, recording (not raising) what goes wrong. None if unmapped.

    The page's own `type` is checked against what `our_field` accepts, because a property can
    change type in Notion between schema detection and this page.
    """
    if name is None:
        return None
    prop = properties.get(name)
    if prop is None:
        _error(errors, name, None, "property missing from page (schema changed since detection?)")
        return None
    kind = prop.get("type") if isinstance(prop, dict) else None
    if kind not in FIELD_TYPES[our_field]:
        _error(errors, name, kind, f"a {kind} property cannot feed {our_field!r}")
        return None
    try:
        return parse_property(prop)
    except PropertyParseError as exc:
        _error(errors, name, kind, exc.message)
        return None


def _coerce(
    value: Any,
    expected: type | tuple[type, ...],
    name: str,
    prop: Any,
    errors: list[dict[str, Any]],
) -> Any:
    """Keep `value` if it has the column's type; otherwise record why and drop it.

    Overrides may point a field at a formula or rollup, whose result type only shows per page.
    """
    if value is None or (isinstance(value, expected) and not isinstance(value, bool)):
        return value
    kind = prop.get("type") if isinstance(prop, dict) else None
    _error(errors, name, kind, f"{kind} value {type(value).__name__} does not fit this field")
    return None


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, StatusValue):
        return value.name
    if isinstance(value, list):  # rollup show_original of text, or a multi_select
        return ", ".join(str(v) for v in value if v is not None) or None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _points(properties: dict[str, Any], name: str, errors: list[dict[str, Any]]) -> float | None:
    """Story points from a number, a formula/rollup number, or a select of numbers ("5" → 5.0).

    A select option that is not a number ("XL", "?") leaves the points empty, with the reason
    in `parse_errors`; the ticket is stored all the same.
    """
    value = _read(properties, name, "points", errors)
    prop = properties.get(name)
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            number = float(value.strip().replace(",", "."))
            if math.isfinite(number):
                return number
        kind = prop.get("type") if isinstance(prop, dict) else None
        _error(errors, name, kind, f"{kind} value {value!r} is not a number of points")
        return None
    value = _coerce(value, (int, float), name, prop, errors)
    return None if value is None else float(value)


def _calendar_day(moment: date | datetime | None, tz: tzinfo | None) -> date | None:
    if moment is None or not isinstance(moment, datetime):
        return moment
    return (moment.astimezone(tz) if tz is not None else moment).date()


def _day_range(
    properties: dict[str, Any],
    name: str | None,
    our_field: str,
    errors: list[dict[str, Any]],
    tz: tzinfo | None,
) -> tuple[date | None, date | None]:
    """A date property as (start, end) calendar days in the team zone `tz`; (None, None) when
    the property is unmapped, empty or unreadable (the last recorded in `errors`)."""
    if name is None:
        return None, None
    value = _coerce(
        _read(properties, name, our_field, errors), DateValue, name, properties.get(name), errors
    )
    if value is None:
        return None, None
    return _calendar_day(value.start, tz), _calendar_day(value.end, tz)


def _page_time(page: dict[str, Any], key: str, errors: list[dict[str, Any]]) -> datetime | None:
    raw = page.get(key)
    if raw is None:
        return None
    try:
        return parse_timestamp(raw, key)
    except PropertyParseError as exc:
        _error(errors, key, key, exc.message)
        return None


def _content_hash(row: Mapping[str, Any], assignee_ids: Iterable[str]) -> str:
    """sha256 of the mapped fields and sorted assignees: same page content → same hash.

    `last_edited_time` and `raw` are left out on purpose: Notion bumps the time for edits to
    unmapped properties and page content, which are not changes to the ticket we track.
    """
    fingerprint = [
        row["key"],
        row["title"],
        row["description"],
        row["status"],
        row["status_category"],
        row["points"],
        row["sprint_id"],
        row["priority"],
        row["tags"],
        None if row["due_start"] is None else row["due_start"].isoformat(),
        None if row["due_end"] is None else row["due_end"].isoformat(),
        sorted(assignee_ids),
    ]
    encoded = json.dumps(fingerprint, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(encoded.encode("utf-8", "surrogatepass")).hexdigest()


def _remember(people: dict[str, PersonRef], person: PersonRef, always: bool = False) -> None:
    """Keep the most informative reference per user id."""
    if person.name is None and not always:
        return
    known = people.get(person.id)
    if known is None or (known.name is None and person.name is not None):
        people[person.id] = person


def _is_removed(page: dict[str, Any]) -> bool:
    return any(page.get(flag) is True for flag in ("in_trash", "archived", "is_archived"))


def ticket_row(
    page: Any,
    mapping: TicketMapping,
    data_source_id: str,
    tz: tzinfo | None = None,
) -> ParsedTicket:
    """Turn one page into a `ParsedTicket`.

    Properties that fail to parse leave their column empty and land in `parse_errors`; only a
    page without an id or properties raises (`MalformedPageError`). `tz`, when given, decides
    the calendar day of a due date that carries a time; otherwise the date's own zone does.
    """
    page_id, properties = _page_basics(page)
    errors: list[dict[str, Any]] = []
    overflow: list[str] = []
    people: dict[str, PersonRef] = {}

    title = _text(_read(properties, mapping.title, "title", errors)) or ""
    description = _text(_read(properties, mapping.description, "description", errors)) or ""
    key = _text(_read(properties, mapping.key, "key", errors))

    status_value = _read(properties, mapping.status, "status", errors)
    status: str | None = None
    status_category: str | None = None
    if isinstance(status_value, StatusValue):
        status = status_value.name
        status_category = mapping.category_of(status, status_value.id)
    elif isinstance(status_value, str):  # select-based status
        status, status_category = status_value, mapping.category_of(status_value)

    points = None
    if mapping.points is not None:
        points = _points(properties, mapping.points, errors)

    sprint_id: str | None = None
    sprint_ids: list[str] = []
    if mapping.sprint is not None:
        relation = _read(properties, mapping.sprint, "sprint", errors)
        if isinstance(relation, RelationValue):
            sprint_ids = list(relation.ids)
            sprint_id = relation.ids[0] if relation.ids else None
            if relation.has_more:
                overflow.append(mapping.sprint)

    assignee_ids: list[str] = []
    if mapping.assignees is not None:
        assignees = _read(properties, mapping.assignees, "assignees", errors) or []
        for person in assignees:
            assignee_ids.append(person.id)
            _remember(people, person, always=True)
        prop = properties.get(mapping.assignees)
        cut = len(assignee_ids) >= REFERENCE_LIMIT
        if cut or (isinstance(prop, dict) and prop.get("has_more") is True):
            overflow.append(mapping.assignees)

    priority = _text(_read(properties, mapping.priority, "priority", errors))

    tags: list[str] = []
    if mapping.tags is not None:
        tag_value = _read(properties, mapping.tags, "tags", errors)
        if isinstance(tag_value, list):
            tags = tag_value
        elif isinstance(tag_value, str):
            tags = [tag_value]

    due_start, due_end = _day_range(properties, mapping.due, "due", errors, tz)

    for name in (mapping.title, mapping.description):
        prop = properties.get(name) if name is not None else None
        if isinstance(prop, dict) and prop.get("type") in ("title", "rich_text"):
            try:
                for person in parse_mentioned_people(prop):
                    _remember(people, person)
            except PropertyParseError:
                pass  # the text itself was already read (or its error recorded) above
    for name in mapping.people_properties:
        prop = properties.get(name)
        if isinstance(prop, dict) and prop.get("type") in ("created_by", "last_edited_by"):
            # An unreadable creator/editor property is not a ticket field: no parse error.
            with contextlib.suppress(PropertyParseError):
                _remember(people, parse_property(prop))

    created_by_id: str | None = None
    for who in ("created_by", "last_edited_by"):
        if page.get(who) is None:
            continue
        try:
            person = parse_user(page[who])
        except PropertyParseError as exc:
            _error(errors, who, who, exc.message)
            continue
        _remember(people, person)
        if who == "created_by":
            created_by_id = person.id

    url = page.get("url")
    row: dict[str, Any] = {
        "id": page_id,
        "data_source_id": data_source_id,
        "key": key,
        "title": title,
        "description": description,
        "status": status,
        "status_category": status_category,
        "points": points,
        "sprint_id": sprint_id,
        "priority": priority,
        "tags": tags,
        "due_start": due_start,
        "due_end": due_end,
        "url": url if isinstance(url, str) else None,
        "created_by_id": created_by_id,
        "created_time": _page_time(page, "created_time", errors),
        "last_edited_time": _page_time(page, "last_edited_time", errors),
        "raw": properties,
        "parse_errors": errors,
        "content_hash": "",
    }
    row["content_hash"] = _content_hash(row, assignee_ids)
    return ParsedTicket(
        row=row,
        assignee_ids=assignee_ids,
        people=list(people.values()),
        relation_overflow=overflow,
        removed=_is_removed(page),
        mapping=mapping,
        sprint_ids=sprint_ids,
    )


def apply_full_relation(parsed: ParsedTicket, prop_name: str, ids: Iterable[str]) -> ParsedTicket:
    """Complete `parsed` in place with the full id list of an overflowing relation/people property.

    `ids` are the related page ids (sprint relation) or user ids (assignees) read from the page
    property endpoint, in Notion's order. `sprint_id`, `assignee_ids` and `content_hash` are
    recomputed and `prop_name` leaves `relation_overflow`; `raw` stays as Notion returned the
    page. Returns `parsed` for convenience.
    """
    full = [normalise_notion_id(i, "relation") for i in ids]
    if prop_name == parsed.mapping.sprint:
        parsed.sprint_ids = full
        parsed.row["sprint_id"] = full[0] if full else None
    if prop_name == parsed.mapping.assignees:
        parsed.assignee_ids = full
    parsed.row["content_hash"] = _content_hash(parsed.row, parsed.assignee_ids)
    parsed.relation_overflow = [name for name in parsed.relation_overflow if name != prop_name]
    return parsed


def sprint_row(page: Any, mapping: SprintMapping, data_source_id: str, tz: tzinfo) -> ParsedSprint:
    """Turn one page of the Sprints data source into a `ParsedSprint`.

    `start`/`end` are calendar days in the team zone `tz`: a date with a time is converted to
    `tz` before taking its day, so a sprint starting Monday 00:30 in Berlin starts on Monday.
    """
    page_id, properties = _page_basics(page)
    errors: list[dict[str, Any]] = []

    name = _text(_read(properties, mapping.title, "title", errors)) or ""
    start, end = _day_range(properties, mapping.dates, "sprint_dates", errors, tz)
    if mapping.dates_end is not None:  # a Start and an End property rather than one range
        end_start, end_end = _day_range(properties, mapping.dates_end, "sprint_dates", errors, tz)
        end = end_end or end_start
    status = _text(_read(properties, mapping.status, "sprint_status", errors))

    url = page.get("url")
    row: dict[str, Any] = {
        "id": page_id,
        "data_source_id": data_source_id,
        "name": name,
        "start": start,
        "end": end,
        "status": status,
        "url": url if isinstance(url, str) else None,
        "created_time": _page_time(page, "created_time", errors),
        "last_edited_time": _page_time(page, "last_edited_time", errors),
        "raw": properties,
        "parse_errors": errors,
    }
    return ParsedSprint(row=row, removed=_is_removed(page))
