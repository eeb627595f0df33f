"""Read Notion page property values (Notion-Version 2025-09-03) into plain Python values.

One pure function per property type, each taking the property value object exactly as a page
in `POST /v1/data_sources/{id}/query` or `GET /v1/pages/{id}` carries it
(`{"id": "...", "type": "number", "number": 3}`). Nothing here knows about HTTP, our tables or
our field names; `tasks/notion/mapping.py` decides which property feeds which column.

Contract every parser keeps, because ingestion stores a ticket even when one property is odd:

* a value Notion leaves empty (`"number": null`, `"select": null`, `"date": null`, an empty
  `title` list) comes back as `None`, `""` or `[]`, never as an error;
* a value of the wrong shape (another `type`, a string where a list belongs, an unreadable ISO
  date, an unknown time zone) raises `PropertyParseError` and nothing else, so a caller can
  catch one exception type and record it in `parse_errors`.

Text is kept verbatim (HTML, control characters, emoji, right-to-left text): escaping is the
job of whatever renders it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "DateValue",
    "PersonRef",
    "PropertyParseError",
    "RelationValue",
    "StatusValue",
    "normalise_notion_id",
    "parse_button",
    "parse_checkbox",
    "parse_created_by",
    "parse_created_time",
    "parse_date",
    "parse_email",
    "parse_files",
    "parse_formula",
    "parse_last_edited_by",
    "parse_last_edited_time",
    "parse_mentioned_people",
    "parse_multi_select",
    "parse_number",
    "parse_people",
    "parse_phone_number",
    "parse_property",
    "parse_relation",
    "parse_rich_text",
    "parse_rollup",
    "parse_select",
    "parse_status",
    "parse_timestamp",
    "parse_title",
    "parse_unique_id",
    "parse_url",
    "parse_user",
    "parse_verification",
]

T = TypeVar("T")


class PropertyParseError(ValueError):
    """A property value whose shape is not what Notion documents for its type.

    `property_type` is the type we expected (or `"unknown"` when the value is not even an
    object); `message` says what was wrong, in words fit for `Ticket.parse_errors`.
    """

    def __init__(self, property_type: str, message: str) -> None:
        super().__init__(f"{property_type}: {message}")
        self.property_type = property_type
        self.message = message


@dataclass(frozen=True, slots=True)
class StatusValue:
    """The chosen option of a status (or select) property.

    The option `id` is kept because a status group lists its members by option id, so the id
    still finds the right category after someone renames the option.
    """

    id: str | None
    name: str
    color: str | None = None


@dataclass(frozen=True, slots=True)
class PersonRef:
    """A Notion user (or group) as a page property or mention shows it.

    `name` is None when Notion sent only `{"object": "user", "id": ...}` (a partial user, as in a
    page's top-level `created_by`); callers must not overwrite a known name with it. `email` is
    only present for people when the integration may read user emails. `type` is `person`,
    `bot`, `group`, or None for a partial user.
    """

    id: str
    name: str | None
    email: str | None
    type: str | None
    avatar_url: str | None


@dataclass(frozen=True, slots=True)
class DateValue:
    """A date property value.

    `start`/`end` are `date` when Notion sent a date without a time, otherwise *aware*
    `datetime`s: in `time_zone` when Notion named one, else with the offset Notion sent (UTC
    when it sent none). Nothing is converted to the team's zone here; that is a display concern.
    """

    start: date | datetime
    end: date | datetime | None
    time_zone: str | None


@dataclass(frozen=True, slots=True)
class RelationValue:
    """Related page ids (dashed, lowercase) in Notion's order.

    A page lists at most 25 related pages; `has_more` says the list was cut off and the rest
    must be read from `GET /v1/pages/{id}/properties/{property_id}`.
    """

    ids: tuple[str, ...]
    has_more: bool


def _guard(property_type: str) -> Callable[[Callable[[Any], T]], Callable[[Any], T]]:
    """Turn any stray KeyError/TypeError/... inside a parser into a `PropertyParseError`.

    Parsers check the shapes they expect explicitly, so this is a safety net that keeps the
    "one exception type" contract even for shapes nobody thought of.
    """

    def decorate(parse: Callable[[Any], T]) -> Callable[[Any], T]:
        @functools.wraps(parse)
        def guarded(prop: Any) -> T:
            try:
                return parse(prop)
            except PropertyParseError:
                raise
            except (KeyError, IndexError, TypeError, AttributeError, ValueError) as exc:
                raise PropertyParseError(
                    property_type, f"unexpected shape ({type(exc).__name__}: {exc})"
                ) from None

        return guarded

    return decorate


def _value(prop: Any, property_type: str) -> Any:
    """The type-specific payload of a property value, after checking `type` matches."""
    if not isinstance(prop, dict):
        raise PropertyParseError(
            property_type, f"expected a property value object, got {type(prop).__name__}"
        )
    actual = prop.get("type")
    if actual != property_type:
        raise PropertyParseError(property_type, f"property has type {actual!r}")
    if property_type not in prop:
        raise PropertyParseError(property_type, f"missing the {property_type!r} key")
    return prop[property_type]


def _wrong_value(property_type: str, expected: str, value: Any) -> PropertyParseError:
    return PropertyParseError(property_type, f"expected {expected}, got {type(value).__name__}")


def _optional_str(value: Any, property_type: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise _wrong_value(property_type, "a string or null", value)


def _list(value: Any, property_type: str) -> list[Any]:
    if isinstance(value, list):
        return value
    raise _wrong_value(property_type, "a list", value)


_HEX = frozenset("0123456789abcdef")


def normalise_notion_id(value: Any, property_type: str = "id") -> str:
    """Dashed lowercase UUID, the form we store, whatever dashes or case Notion sent."""
    if isinstance(value, str):
        if len(value) == 36 and value.islower() and value[8] == "-":
            return value
        compact = value.replace("-", "").lower()
        if len(compact) == 32 and _HEX.issuperset(compact):
            return f"{compact[:8]}-{compact[8:12]}-{compact[12:16]}-{compact[16:20]}-{compact[20:]}"
    raise PropertyParseError(property_type, f"{value!r} is not a Notion id")


# --- dates and times -------------------------------------------------------------------------


def _zone(name: str, property_type: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise PropertyParseError(property_type, f"unknown time zone {name!r}") from None


def _iso_date_or_datetime(text: Any, zone: tzinfo | None, property_type: str) -> date | datetime:
    """`YYYY-MM-DD` stays a date; anything with a time becomes an aware datetime."""
    if not isinstance(text, str):
        raise _wrong_value(property_type, "an ISO 8601 string", text)
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise PropertyParseError(property_type, f"{text!r} is not an ISO 8601 date") from None
    if zone is not None:
        return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment.astimezone(zone)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _date_object(value: Any, property_type: str) -> DateValue | None:
    """Read Notion's `{"start", "end", "time_zone"}` object, shared by date, formula, rollup."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _wrong_value(property_type, "a date object or null", value)
    time_zone = _optional_str(value.get("time_zone"), property_type)
    zone = _zone(time_zone, property_type) if time_zone else None
    end = value.get("end")
    return DateValue(
        start=_iso_date_or_datetime(value.get("start"), zone, property_type),
        end=None if end is None else _iso_date_or_datetime(end, zone, property_type),
        time_zone=time_zone,
    )


def parse_timestamp(text: Any, property_type: str = "timestamp") -> datetime:
    """An ISO 8601 timestamp (`2020-03-17T19:10:04.968Z`) as an aware UTC datetime.

    Also used for a page's top-level `created_time`/`last_edited_time`, which share the format.
    """
    moment = _iso_date_or_datetime(text, None, property_type)
    if not isinstance(moment, datetime):
        raise PropertyParseError(property_type, f"{text!r} has no time of day")
    return moment.astimezone(UTC)


# --- text ------------------------------------------------------------------------------------


def _plain_text(items: Any, property_type: str) -> str:
    """Concatenate the `plain_text` of rich text items, mentions and equations included.

    Responses always carry `plain_text`; request-shaped items (`{"text": {"content": ...}}`,
    as in Notion's own examples and some sandboxes) fall back to the text content.
    """
    parts: list[str] = []
    for item in _list(items, property_type):
        if not isinstance(item, dict):
            raise _wrong_value(property_type, "rich text objects", item)
        text = item.get("plain_text")
        if text is None:
            content = item.get("text")
            text = content.get("content") if isinstance(content, dict) else None
        if text is None:
            continue
        if not isinstance(text, str):
            raise _wrong_value(property_type, "plain_text as a string", text)
        parts.append(text)
    return "".join(parts)


@_guard("title")
def parse_title(prop: Any) -> str:
    """The page title as plain text (`""` when empty)."""
    return _plain_text(_value(prop, "title"), "title")


@_guard("rich_text")
def parse_rich_text(prop: Any) -> str:
    """A text property as plain text, with mentions rendered as Notion renders them."""
    return _plain_text(_value(prop, "rich_text"), "rich_text")


@_guard("rich_text")
def parse_mentioned_people(prop: Any) -> list[PersonRef]:
    """Users @-mentioned inside a title or rich_text property, in text order.

    Kept apart from `parse_rich_text` so reading text stays cheap; call this when you want to
    learn people's names from what the page mentions.
    """
    if not isinstance(prop, dict) or prop.get("type") not in ("title", "rich_text"):
        raise PropertyParseError("rich_text", "expected a title or rich_text property")
    items = _list(prop[prop["type"]], prop["type"])
    people: list[PersonRef] = []
    for item in items:
        if isinstance(item, dict) and item.get("type") == "mention":
            mention = item.get("mention")
            if isinstance(mention, dict) and mention.get("type") == "user":
                people.append(_user(mention.get("user"), "rich_text"))
    return people


# --- options ---------------------------------------------------------------------------------


def _option(value: Any, property_type: str) -> StatusValue | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _wrong_value(property_type, "an option object or null", value)
    name = value.get("name")
    if not isinstance(name, str):
        raise _wrong_value(property_type, "an option name", name)
    return StatusValue(
        id=_optional_str(value.get("id"), property_type),
        name=name,
        color=_optional_str(value.get("color"), property_type),
    )


@_guard("status")
def parse_status(prop: Any) -> StatusValue | None:
    """The chosen status option, or None when the page has none."""
    return _option(_value(prop, "status"), "status")


@_guard("select")
def parse_select(prop: Any) -> str | None:
    """The chosen option's name, or None."""
    option = _option(_value(prop, "select"), "select")
    return None if option is None else option.name


@_guard("multi_select")
def parse_multi_select(prop: Any) -> list[str]:
    """Option names in the order the page shows them."""
    names: list[str] = []
    for item in _list(_value(prop, "multi_select"), "multi_select"):
        option = _option(item, "multi_select")
        if option is None:
            raise PropertyParseError("multi_select", "null option in list")
        names.append(option.name)
    return names


# --- scalars ---------------------------------------------------------------------------------


def _number(value: Any, property_type: str) -> float | None:
    # bool is an int subclass; a checkbox value in a number slot is a shape error.
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _wrong_value(property_type, "a number or null", value)
    return float(value)


@_guard("number")
def parse_number(prop: Any) -> float | None:
    """The number as a float (`3` and `3.0` read the same), or None when empty."""
    return _number(_value(prop, "number"), "number")


@_guard("checkbox")
def parse_checkbox(prop: Any) -> bool:
    value = _value(prop, "checkbox")
    if not isinstance(value, bool):
        raise _wrong_value("checkbox", "true or false", value)
    return value


@_guard("url")
def parse_url(prop: Any) -> str | None:
    return _optional_str(_value(prop, "url"), "url")


@_guard("email")
def parse_email(prop: Any) -> str | None:
    return _optional_str(_value(prop, "email"), "email")


@_guard("phone_number")
def parse_phone_number(prop: Any) -> str | None:
    """The number as typed; Notion does not normalise phone numbers, nor do we."""
    return _optional_str(_value(prop, "phone_number"), "phone_number")


@_guard("date")
def parse_date(prop: Any) -> DateValue | None:
    """The date or range, or None when empty. See `DateValue` for zones."""
    return _date_object(_value(prop, "date"), "date")


@_guard("unique_id")
def parse_unique_id(prop: Any) -> str | None:
    """`ENG-42` with a prefix, `42` without, None if Notion has not numbered the page yet."""
    value = _value(prop, "unique_id")
    if not isinstance(value, dict):
        raise _wrong_value("unique_id", "an object", value)
    number = value.get("number")
    if number is None:
        return None
    if isinstance(number, bool) or not isinstance(number, int):
        raise _wrong_value("unique_id", "an integer number", number)
    prefix = _optional_str(value.get("prefix"), "unique_id")
    return f"{prefix}-{number}" if prefix else str(number)


@_guard("created_time")
def parse_created_time(prop: Any) -> datetime:
    """When the page was created, aware UTC."""
    return parse_timestamp(_value(prop, "created_time"), "created_time")


@_guard("last_edited_time")
def parse_last_edited_time(prop: Any) -> datetime:
    """When the page was last edited, aware UTC (Notion rounds this to the minute)."""
    return parse_timestamp(_value(prop, "last_edited_time"), "last_edited_time")


# --- people and relations --------------------------------------------------------------------


def _user(value: Any, property_type: str) -> PersonRef:
    """A full user, a partial user (`{"object": "user", "id"}`) or a group object."""
    if not isinstance(value, dict):
        raise _wrong_value(property_type, "a user object", value)
    user_id = normalise_notion_id(value.get("id"), property_type)
    kind = value.get("type")
    if kind is None and value.get("object") == "group":
        kind = "group"
    email = None
    if kind == "person":
        person = value.get("person")
        if isinstance(person, dict):
            email = _optional_str(person.get("email"), property_type)
    return PersonRef(
        id=user_id,
        name=_optional_str(value.get("name"), property_type),
        email=email,
        type=_optional_str(kind, property_type),
        avatar_url=_optional_str(value.get("avatar_url"), property_type),
    )


def parse_user(value: Any) -> PersonRef:
    """A bare user object, e.g. a page's top-level `created_by` (usually partial)."""
    try:
        return _user(value, "user")
    except PropertyParseError:
        raise
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise PropertyParseError("user", f"unexpected shape ({exc})") from None


@_guard("people")
def parse_people(prop: Any) -> list[PersonRef]:
    """People (and groups) in the order the page lists them.

    Like relations, a page shows at most 25; the property then has `"has_more": true`.
    """
    return [_user(item, "people") for item in _list(_value(prop, "people"), "people")]


@_guard("created_by")
def parse_created_by(prop: Any) -> PersonRef:
    return _user(_value(prop, "created_by"), "created_by")


@_guard("last_edited_by")
def parse_last_edited_by(prop: Any) -> PersonRef:
    return _user(_value(prop, "last_edited_by"), "last_edited_by")


@_guard("relation")
def parse_relation(prop: Any) -> RelationValue:
    """Related page ids; `has_more` is absent in some older payloads and then means False."""
    ids = []
    for item in _list(_value(prop, "relation"), "relation"):
        if not isinstance(item, dict):
            raise _wrong_value("relation", "page references", item)
        ids.append(normalise_notion_id(item.get("id"), "relation"))
    has_more = prop.get("has_more", False)
    if not isinstance(has_more, bool):
        raise _wrong_value("relation", "has_more as true or false", has_more)
    return RelationValue(ids=tuple(ids), has_more=has_more)


@_guard("files")
def parse_files(prop: Any) -> list[str]:
    """File URLs in page order.

    URLs of files uploaded to Notion (`type: "file"`) expire about an hour after the response;
    store them for display, not as stable identifiers.
    """
    urls: list[str] = []
    for item in _list(_value(prop, "files"), "files"):
        if not isinstance(item, dict):
            raise _wrong_value("files", "file objects", item)
        kind = item.get("type")
        holder = item.get(kind) if kind in ("file", "external") else None
        if not isinstance(holder, dict) or not isinstance(holder.get("url"), str):
            raise PropertyParseError("files", f"file of type {kind!r} has no url")
        urls.append(holder["url"])
    return urls


# --- computed values -------------------------------------------------------------------------


@_guard("formula")
def parse_formula(prop: Any) -> str | float | bool | DateValue | None:
    """The formula's result: str, float, bool or `DateValue`; None when empty or unsupported."""
    value = _value(prop, "formula")
    if not isinstance(value, dict):
        raise _wrong_value("formula", "a formula result object", value)
    kind = value.get("type")
    if kind == "string":
        return _optional_str(value.get("string"), "formula")
    if kind == "number":
        return _number(value.get("number"), "formula")
    if kind == "boolean":
        result = value.get("boolean")
        if result is None or isinstance(result, bool):
            return result
        raise _wrong_value("formula", "a boolean or null", result)
    if kind == "date":
        return _date_object(value.get("date"), "formula")
    if kind == "unsupported":
        return None
    raise PropertyParseError("formula", f"unknown formula result type {kind!r}")


@_guard("rollup")
def parse_rollup(prop: Any) -> float | DateValue | list[Any] | None:
    """A rollup's result: float, `DateValue`, or a list of parsed values (`show_original`).

    Array elements are property values without ids and are read with `parse_property`, so a
    rollup of titles gives strings and a rollup of numbers gives floats. Notion computes rollups
    over at most 25 related pages here; `unsupported`/`incomplete` results read as None.
    """
    value = _value(prop, "rollup")
    if not isinstance(value, dict):
        raise _wrong_value("rollup", "a rollup result object", value)
    kind = value.get("type")
    if kind == "number":
        return _number(value.get("number"), "rollup")
    if kind == "date":
        return _date_object(value.get("date"), "rollup")
    if kind == "array":
        return [parse_property(item) for item in _list(value.get("array"), "rollup")]
    if kind in ("unsupported", "incomplete"):
        return None
    raise PropertyParseError("rollup", f"unknown rollup result type {kind!r}")


@_guard("verification")
def parse_verification(prop: Any) -> str | None:
    """The verification state (`verified`, `expired`, `unverified`), or None."""
    value = _value(prop, "verification")
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _wrong_value("verification", "an object or null", value)
    return _optional_str(value.get("state"), "verification")


@_guard("button")
def parse_button(prop: Any) -> None:
    """Buttons carry no value; accepted so a schema with a button never fails a page."""
    _value(prop, "button")
    return None


_PARSERS: dict[str, Callable[[Any], Any]] = {
    "title": parse_title,
    "rich_text": parse_rich_text,
    "number": parse_number,
    "select": parse_select,
    "multi_select": parse_multi_select,
    "status": parse_status,
    "date": parse_date,
    "people": parse_people,
    "relation": parse_relation,
    "checkbox": parse_checkbox,
    "url": parse_url,
    "email": parse_email,
    "phone_number": parse_phone_number,
    "formula": parse_formula,
    "rollup": parse_rollup,
    "unique_id": parse_unique_id,
    "created_time": parse_created_time,
    "last_edited_time": parse_last_edited_time,
    "created_by": parse_created_by,
    "last_edited_by": parse_last_edited_by,
    "files": parse_files,
    "verification": parse_verification,
    "button": parse_button,
}


def parse_property(prop: Any) -> Any:
    """Parse any property value by its `type`; unknown types raise `PropertyParseError`."""
    if not isinstance(prop, dict):
        raise PropertyParseError(
            "unknown", f"expected a property value object, got {type(prop).__name__}"
        )
    kind = prop.get("type")
    parser = _PARSERS.get(kind) if isinstance(kind, str) else None
    if parser is None:
        raise PropertyParseError(str(kind), "unsupported property type")
    return parser(prop)
