"""Notion property values: the contract every parser keeps, the value types and shared checks.

Why a module of its own: the parsers are split by family (`property_text`, `property_options`,
`properties` for computed values and dispatch), and all of them raise the same error, return
the same value types and check shapes the same way; those live here, imported by each family.

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
from datetime import date, datetime
from typing import Any, TypeVar

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


def guard(property_type: str) -> Callable[[Callable[[Any], T]], Callable[[Any], T]]:
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


def payload(prop: Any, property_type: str) -> Any:
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


def wrong_value(property_type: str, expected: str, value: Any) -> PropertyParseError:
    return PropertyParseError(property_type, f"expected {expected}, got {type(value).__name__}")


def optional_str(value: Any, property_type: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise wrong_value(property_type, "a string or null", value)


def as_list(value: Any, property_type: str) -> list[Any]:
    if isinstance(value, list):
        return value
    raise wrong_value(property_type, "a list", value)


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
