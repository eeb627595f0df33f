"""Parsers of the text, date, people and relation property families.

Why a module of its own: these are the property types whose values are text or references
(titles, rich text with mentions, URLs, dates and timestamps, users, related pages, files), as
opposed to chosen options and numbers (`property_options`) and computed values (`properties`).
Each parser takes the property value object exactly as a page in
`POST /v1/data_sources/{id}/query` or `GET /v1/pages/{id}` carries it and keeps the contract
written in `property_values`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tasks.notion.property_values import (
    DateValue,
    PersonRef,
    PropertyParseError,
    RelationValue,
    as_list,
    guard,
    normalise_notion_id,
    optional_str,
    payload,
    wrong_value,
)

# --- dates and times -------------------------------------------------------------------------


def _zone(name: str, property_type: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise PropertyParseError(property_type, f"unknown time zone {name!r}") from None


def _iso_date_or_datetime(text: Any, zone: tzinfo | None, property_type: str) -> date | datetime:
    """`YYYY-MM-DD` stays a date; anything with a time becomes an aware datetime."""
    if not isinstance(text, str):
        raise wrong_value(property_type, "an ISO 8601 string", text)
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise PropertyParseError(property_type, f"{text!r} is not an ISO 8601 date") from None
    if zone is not None:
        return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment.astimezone(zone)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def date_object(value: Any, property_type: str) -> DateValue | None:
    """Read Notion's `{"start", "end", "time_zone"}` object, shared by date, formula, rollup."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise wrong_value(property_type, "a date object or null", value)
    time_zone = optional_str(value.get("time_zone"), property_type)
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
    for item in as_list(items, property_type):
        if not isinstance(item, dict):
            raise wrong_value(property_type, "rich text objects", item)
        text = item.get("plain_text")
        if text is None:
            content = item.get("text")
            text = content.get("content") if isinstance(content, dict) else None
        if text is None:
            continue
        if not isinstance(text, str):
            raise wrong_value(property_type, "plain_text as a string", text)
        parts.append(text)
    return "".join(parts)


@guard("title")
def parse_title(prop: Any) -> str:
    """The page title as plain text (`""` when empty)."""
    return _plain_text(payload(prop, "title"), "title")


@guard("rich_text")
def parse_rich_text(prop: Any) -> str:
    """A text property as plain text, with mentions rendered as Notion renders them."""
    return _plain_text(payload(prop, "rich_text"), "rich_text")


@guard("rich_text")
def parse_mentioned_people(prop: Any) -> list[PersonRef]:
    """Users @-mentioned inside a title or rich_text property, in text order.

    Kept apart from `parse_rich_text` so reading text stays cheap; call this when you want to
    learn people's names from what the page mentions.
    """
    if not isinstance(prop, dict) or prop.get("type") not in ("title", "rich_text"):
        raise PropertyParseError("rich_text", "expected a title or rich_text property")
    items = as_list(prop[prop["type"]], prop["type"])
    people: list[PersonRef] = []
    for item in items:
        if isinstance(item, dict) and item.get("type") == "mention":
            mention = item.get("mention")
            if isinstance(mention, dict) and mention.get("type") == "user":
                people.append(user_ref(mention.get("user"), "rich_text"))
    return people


@guard("url")
def parse_url(prop: Any) -> str | None:
    return optional_str(payload(prop, "url"), "url")


@guard("place")
def parse_place(prop: Any) -> str | None:
    """A place as one line of text: "name, address" (either alone if the other is missing).

    Notion's value is `{"lat", "lon", "name"?, "address"?, "google_place_id"?, …}` or null. A
    place with neither name nor address reads as its coordinates ("52.52, 13.405"), so a
    dropped pin still shows somewhere; the ids are lookup keys of map providers, not text.
    """
    value = payload(prop, "place")
    if value is None:
        return None
    if not isinstance(value, dict):
        raise wrong_value("place", "a place object or null", value)
    name = (optional_str(value.get("name"), "place") or "").strip()
    address = (optional_str(value.get("address"), "place") or "").strip()
    if name and address:
        return address if address.startswith(name) else f"{name}, {address}"
    if name or address:
        return name or address
    lat, lon = value.get("lat"), value.get("lon")
    if all(isinstance(c, int | float) and not isinstance(c, bool) for c in (lat, lon)):
        return f"{lat:g}, {lon:g}"
    raise wrong_value("place", "a name, an address or lat/lon numbers", value)


@guard("email")
def parse_email(prop: Any) -> str | None:
    return optional_str(payload(prop, "email"), "email")


@guard("phone_number")
def parse_phone_number(prop: Any) -> str | None:
    """The number as typed; Notion does not normalise phone numbers, nor do we."""
    return optional_str(payload(prop, "phone_number"), "phone_number")


@guard("date")
def parse_date(prop: Any) -> DateValue | None:
    """The date or range, or None when empty. See `DateValue` for zones."""
    return date_object(payload(prop, "date"), "date")


@guard("created_time")
def parse_created_time(prop: Any) -> datetime:
    """When the page was created, aware UTC."""
    return parse_timestamp(payload(prop, "created_time"), "created_time")


@guard("last_edited_time")
def parse_last_edited_time(prop: Any) -> datetime:
    """When the page was last edited, aware UTC (Notion rounds this to the minute)."""
    return parse_timestamp(payload(prop, "last_edited_time"), "last_edited_time")


# --- people and relations --------------------------------------------------------------------


def user_ref(value: Any, property_type: str) -> PersonRef:
    """A full user, a partial user (`{"object": "user", "id"}`) or a group object."""
    if not isinstance(value, dict):
        raise wrong_value(property_type, "a user object", value)
    user_id = normalise_notion_id(value.get("id"), property_type)
    kind = value.get("type")
    if kind is None and value.get("object") == "group":
        kind = "group"
    email = None
    if kind == "person":
        person = value.get("person")
        if isinstance(person, dict):
            email = optional_str(person.get("email"), property_type)
    return PersonRef(
        id=user_id,
        name=optional_str(value.get("name"), property_type),
        email=email,
        type=optional_str(kind, property_type),
        avatar_url=optional_str(value.get("avatar_url"), property_type),
    )


def parse_user(value: Any) -> PersonRef:
    """A bare user object, e.g. a page's top-level `created_by` (usually partial)."""
    try:
        return user_ref(value, "user")
    except PropertyParseError:
        raise
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise PropertyParseError("user", f"unexpected shape ({exc})") from None


@guard("people")
def parse_people(prop: Any) -> list[PersonRef]:
    """People (and groups) in the order the page lists them.

    Like relations, a page shows at most 25; the property then has `"has_more": true`.
    """
    return [user_ref(item, "people") for item in as_list(payload(prop, "people"), "people")]


@guard("created_by")
def parse_created_by(prop: Any) -> PersonRef:
    return user_ref(payload(prop, "created_by"), "created_by")


@guard("last_edited_by")
def parse_last_edited_by(prop: Any) -> PersonRef:
    return user_ref(payload(prop, "last_edited_by"), "last_edited_by")


@guard("relation")
def parse_relation(prop: Any) -> RelationValue:
    """Related page ids; `has_more` is absent in some older payloads and then means False."""
    ids = []
    for item in as_list(payload(prop, "relation"), "relation"):
        if not isinstance(item, dict):
            raise wrong_value("relation", "page references", item)
        ids.append(normalise_notion_id(item.get("id"), "relation"))
    has_more = prop.get("has_more", False)
    if not isinstance(has_more, bool):
        raise wrong_value("relation", "has_more as true or false", has_more)
    return RelationValue(ids=tuple(ids), has_more=has_more)


@guard("files")
def parse_files(prop: Any) -> list[str]:
    """File URLs in page order.

    URLs of files uploaded to Notion (`type: "file"`) expire about an hour after the response;
    store them for display, not as stable identifiers.
    """
    urls: list[str] = []
    for item in as_list(payload(prop, "files"), "files"):
        if not isinstance(item, dict):
            raise wrong_value("files", "file objects", item)
        kind = item.get("type")
        holder = item.get(kind) if kind in ("file", "external") else None
        if not isinstance(holder, dict) or not isinstance(holder.get("url"), str):
            raise PropertyParseError("files", f"file of type {kind!r} has no url")
        urls.append(holder["url"])
    return urls
