"""Parsers of the option and number property families: status, select, multi_select, number,
checkbox and unique_id.

Why a module of its own: these values are chosen from a fixed set or are numbers, read without
any text or date handling; `properties.parse_formula`/`parse_rollup` reuse `number_or_none`
for computed numbers. The contract is the one written in `property_values`.
"""

from __future__ import annotations

from typing import Any

from tasks.notion.property_values import (
    PropertyParseError,
    StatusValue,
    as_list,
    guard,
    optional_str,
    payload,
    wrong_value,
)

# --- options ---------------------------------------------------------------------------------


def _option(value: Any, property_type: str) -> StatusValue | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise wrong_value(property_type, "an option object or null", value)
    name = value.get("name")
    if not isinstance(name, str):
        raise wrong_value(property_type, "an option name", name)
    return StatusValue(
        id=optional_str(value.get("id"), property_type),
        name=name,
        color=optional_str(value.get("color"), property_type),
    )


@guard("status")
def parse_status(prop: Any) -> StatusValue | None:
    """The chosen status option, or None when the page has none."""
    return _option(payload(prop, "status"), "status")


@guard("select")
def parse_select(prop: Any) -> str | None:
    """The chosen option's name, or None."""
    option = _option(payload(prop, "select"), "select")
    return None if option is None else option.name


@guard("multi_select")
def parse_multi_select(prop: Any) -> list[str]:
    """Option names in the order the page shows them."""
    names: list[str] = []
    for item in as_list(payload(prop, "multi_select"), "multi_select"):
        option = _option(item, "multi_select")
        if option is None:
            raise PropertyParseError("multi_select", "null option in list")
        names.append(option.name)
    return names


# --- scalars ---------------------------------------------------------------------------------


def number_or_none(value: Any, property_type: str) -> float | None:
    # bool is an int subclass; a checkbox value in a number slot is a shape error.
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise wrong_value(property_type, "a number or null", value)
    return float(value)


@guard("number")
def parse_number(prop: Any) -> float | None:
    """The number as a float (`3` and `3.0` read the same), or None when empty."""
    return number_or_none(payload(prop, "number"), "number")


@guard("checkbox")
def parse_checkbox(prop: Any) -> bool:
    value = payload(prop, "checkbox")
    if not isinstance(value, bool):
        raise wrong_value("checkbox", "true or false", value)
    return value


@guard("unique_id")
def parse_unique_id(prop: Any) -> str | None:
    """`ENG-42` with a prefix, `42` without, None if Notion has not numbered the page yet."""
    value = payload(prop, "unique_id")
    if not isinstance(value, dict):
        raise wrong_value("unique_id", "an object", value)
    number = value.get("number")
    if number is None:
        return None
    if isinstance(number, bool) or not isinstance(number, int):
        raise wrong_value("unique_id", "an integer number", number)
    prefix = optional_str(value.get("prefix"), "unique_id")
    return f"{prefix}-{number}" if prefix else str(number)
