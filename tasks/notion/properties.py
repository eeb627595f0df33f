"""Read any Notion page property value (Notion-Version 2025-09-03) into a plain Python value.

`parse_property` dispatches on the property's `type` to one pure parser per type; the parsers
live by family in `property_text` (text, dates, people, relations) and `property_options`
(options, numbers), with their shared contract and value types in `property_values`. This
module holds the computed values (formula, rollup, verification, button), because a rollup's
elements are themselves parsed through the dispatcher. Nothing here knows about HTTP, our
tables or our field names; `tasks/notion/mapping.py` decides which property feeds which column.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tasks.notion.property_options import (
    number_or_none,
    parse_checkbox,
    parse_multi_select,
    parse_number,
    parse_select,
    parse_status,
    parse_unique_id,
)
from tasks.notion.property_text import (
    date_object,
    parse_created_by,
    parse_created_time,
    parse_date,
    parse_email,
    parse_files,
    parse_last_edited_by,
    parse_last_edited_time,
    parse_people,
    parse_phone_number,
    parse_place,
    parse_relation,
    parse_rich_text,
    parse_title,
    parse_url,
)
from tasks.notion.property_values import (
    DateValue,
    PropertyParseError,
    as_list,
    guard,
    optional_str,
    payload,
    wrong_value,
)

# --- computed values -------------------------------------------------------------------------


@guard("formula")
def parse_formula(prop: Any) -> str | float | bool | DateValue | None:
    """The formula's result: str, float, bool or `DateValue`; None when empty or unsupported."""
    value = payload(prop, "formula")
    if not isinstance(value, dict):
        raise wrong_value("formula", "a formula result object", value)
    kind = value.get("type")
    if kind == "string":
        return optional_str(value.get("string"), "formula")
    if kind == "number":
        return number_or_none(value.get("number"), "formula")
    if kind == "boolean":
        result = value.get("boolean")
        if result is None or isinstance(result, bool):
            return result
        raise wrong_value("formula", "a boolean or null", result)
    if kind == "date":
        return date_object(value.get("date"), "formula")
    if kind == "unsupported":
        return None
    raise PropertyParseError("formula", f"unknown formula result type {kind!r}")


@guard("rollup")
def parse_rollup(prop: Any) -> float | DateValue | list[Any] | None:
    """A rollup's result: float, `DateValue`, or a list of parsed values (`show_original`).

    Array elements are property values without ids and are read with `parse_property`, so a
    rollup of titles gives strings and a rollup of numbers gives floats. Notion computes rollups
    over at most 25 related pages here; `unsupported`/`incomplete` results read as None.
    """
    value = payload(prop, "rollup")
    if not isinstance(value, dict):
        raise wrong_value("rollup", "a rollup result object", value)
    kind = value.get("type")
    if kind == "number":
        return number_or_none(value.get("number"), "rollup")
    if kind == "date":
        return date_object(value.get("date"), "rollup")
    if kind == "array":
        return [parse_property(item) for item in as_list(value.get("array"), "rollup")]
    if kind in ("unsupported", "incomplete"):
        return None
    raise PropertyParseError("rollup", f"unknown rollup result type {kind!r}")


@guard("verification")
def parse_verification(prop: Any) -> str | None:
    """The verification state (`verified`, `expired`, `unverified`), or None."""
    value = payload(prop, "verification")
    if value is None:
        return None
    if not isinstance(value, dict):
        raise wrong_value("verification", "an object or null", value)
    return optional_str(value.get("state"), "verification")


@guard("button")
def parse_button(prop: Any) -> None:
    """Buttons carry no value; accepted so a schema with a button never fails a page."""
    payload(prop, "button")
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
    "place": parse_place,
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
