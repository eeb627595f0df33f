"""Queries: `filter` and `sorts` bodies compiled into predicates and sort keys over workspace
pages, with Notion's validation errors for what the sandbox does not support."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sandbox.protocol import (
    _TIMESTAMPS,
    _invalid,
)
from sandbox.records import (
    DataSource,
    DateValue,
    Page,
    normalize_id,
    plain_text,
)


class _Descending:
    """Inverts the order of a string sort component, so one tuple key serves mixed directions."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Descending) and self.value == other.value

    def __lt__(self, other: _Descending) -> bool:
        return self.value > other.value

    def __hash__(self) -> int:
        return hash(self.value)


Getter = Callable[[Page], Any]


class _SortKey:
    """Sort keys for a query. `raw` is JSON-able (it goes into cursors); `comparable` orders it.

    Every key ends with the page id, so keys are unique and a cursor names an exact position.
    Empty values sort last in both directions, as in Notion.
    """

    def __init__(self, parts: list[tuple[Getter, bool]]) -> None:
        self.parts = parts

    def raw(self, page: Page) -> list[Any]:
        return [getter(page) for getter, _ in self.parts] + [page.id]

    def comparable(self, raw: list[Any]) -> tuple[Any, ...]:
        key: list[Any] = []
        for (_, descending), value in zip(self.parts, raw, strict=False):
            if value is None:
                key.append((1, 0))
            elif isinstance(value, str):
                key.append((0, _Descending(value) if descending else value))
            else:
                key.append((0, -value if descending else value))
        key.append(raw[-1])
        return tuple(key)


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _date_moment(value: str) -> datetime:
    """A date property value as a UTC datetime (a date-only value is that day's midnight UTC)."""
    if len(value) == 10:
        return datetime.combine(date.fromisoformat(value), datetime.min.time(), UTC)
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _date_start(value: DateValue | None) -> datetime | None:
    if value is None:
        return None
    moment = _date_moment(value.start)
    if moment.tzinfo is None:
        try:
            zone = ZoneInfo(value.time_zone) if value.time_zone else UTC
        except ZoneInfoNotFoundError:
            zone = UTC
        moment = moment.replace(tzinfo=zone)
    return moment


def _compile_sorts(sorts: Any, data_source: DataSource) -> _SortKey:
    if sorts is None:
        sorts = []
    if not isinstance(sorts, list):
        raise _invalid("body failed validation: body.sorts should be an array.")
    parts: list[tuple[Getter, bool]] = []
    for index, sort in enumerate(sorts):
        if not isinstance(sort, dict):
            raise _invalid(f"body failed validation: body.sorts[{index}] should be an object.")
        direction = sort.get("direction", "ascending")
        if direction not in ("ascending", "descending"):
            raise _invalid(
                f"body failed validation: body.sorts[{index}].direction should be "
                f'"ascending" or "descending", instead was `{direction!r}`.'
            )
        parts.append((_sort_getter(sort, index, data_source), direction == "descending"))
    if not parts:
        parts.append((lambda page: _epoch(page.created_time), False))
    return _SortKey(parts)


def _sort_getter(sort: dict[str, Any], index: int, data_source: DataSource) -> Getter:
    if "timestamp" in sort:
        timestamp = sort["timestamp"]
        if timestamp not in _TIMESTAMPS:
            raise _invalid(
                f"body failed validation: body.sorts[{index}].timestamp should be "
                f'"created_time" or "last_edited_time", instead was `{timestamp!r}`.'
            )
        return lambda page: _epoch(getattr(page, timestamp))
    if "property" not in sort:
        raise _invalid(
            f"body failed validation: body.sorts[{index}] should have a `property` or `timestamp`."
        )
    schema = data_source.find_property(str(sort["property"]))
    if schema is None:
        raise _invalid(f"Could not find sort property with name or id: {sort['property']}")
    name, kind = schema.name, schema.type
    if kind in ("title", "rich_text"):
        return lambda page: plain_text(page.values.get(name)).casefold() or None
    if kind == "number":
        return lambda page: page.values.get(name)
    if kind == "unique_id":
        return lambda page: page.unique_number
    if kind in ("select", "status"):
        positions = {option.name: i for i, option in enumerate(schema.options)}
        return lambda page: positions.get(page.values.get(name, ""))
    if kind == "date":

        def date_getter(page: Page) -> Any:
            start = _date_start(page.values.get(name))
            return start.timestamp() if start else None

        return date_getter
    if kind in _TIMESTAMPS:
        return lambda page: _epoch(getattr(page, kind))
    raise _invalid(f"Sorting by a {kind} property is not supported by the sandbox.")


Predicate = Callable[[Page], bool]

_DATE_CONDITIONS = (
    "equals",
    "before",
    "after",
    "on_or_before",
    "on_or_after",
    "is_empty",
    "is_not_empty",
)


def _single_condition(condition: Any, path: str, allowed: tuple[str, ...]) -> tuple[str, Any]:
    if not isinstance(condition, dict) or len(condition) != 1:
        raise _invalid(f"body failed validation: {path} should be an object with one condition.")
    ((operator, operand),) = condition.items()
    if operator not in allowed:
        raise _invalid(
            f"body failed validation: {path}.{operator} is not supported; use one of "
            f"{', '.join(allowed)}."
        )
    return operator, operand


def _date_predicate(
    moment_of: Callable[[Page], datetime | None], condition: Any, path: str
) -> Predicate:
    """A date/timestamp condition; a date-only operand covers that whole UTC day."""
    operator, operand = _single_condition(condition, path, _DATE_CONDITIONS)
    if operator == "is_empty":
        return lambda page: moment_of(page) is None
    if operator == "is_not_empty":
        return lambda page: moment_of(page) is not None
    if not isinstance(operand, str):
        raise _invalid(f"body failed validation: {path}.{operator} should be an ISO 8601 string.")
    try:
        bound = _date_moment(operand)
    except ValueError as error:
        raise _invalid(
            f"body failed validation: {path}.{operator} should be a valid ISO 8601 date string, "
            f"instead was `{operand!r}`."
        ) from error
    if bound.tzinfo is None:
        bound = bound.replace(tzinfo=UTC)
    if len(operand) == 10:
        day_start, day_end = bound, bound + timedelta(days=1)
        tests: dict[str, Callable[[datetime], bool]] = {
            "equals": lambda m: day_start <= m < day_end,
            "before": lambda m: m < day_start,
            "after": lambda m: m >= day_end,
            "on_or_before": lambda m: m < day_end,
            "on_or_after": lambda m: m >= day_start,
        }
    else:
        tests = {
            "equals": lambda m: m == bound,
            "before": lambda m: m < bound,
            "after": lambda m: m > bound,
            "on_or_before": lambda m: m <= bound,
            "on_or_after": lambda m: m >= bound,
        }
    test = tests[operator]

    def predicate(page: Page) -> bool:
        moment = moment_of(page)
        return moment is not None and test(moment)

    return predicate


def _compile_filter(spec: Any, data_source: DataSource, path: str = "body.filter") -> Predicate:
    if not isinstance(spec, dict):
        raise _invalid(f"body failed validation: {path} should be an object.")
    for compound in ("and", "or"):
        if compound in spec:
            items = spec[compound]
            if not isinstance(items, list) or len(spec) != 1:
                raise _invalid(f"body failed validation: {path}.{compound} should be an array.")
            if path.count(".and") + path.count(".or") >= 2:
                raise _invalid(f"body failed validation: {path} is nested too deeply (max 2).")
            predicates = [
                _compile_filter(item, data_source, f"{path}.{compound}[{i}]")
                for i, item in enumerate(items)
            ]
            if compound == "and":
                return lambda page: all(p(page) for p in predicates)
            return lambda page: any(p(page) for p in predicates)
    if "timestamp" in spec:
        timestamp = spec["timestamp"]
        if timestamp not in _TIMESTAMPS:
            raise _invalid(
                f"body failed validation: {path}.timestamp should be "
                f'"created_time" or "last_edited_time", instead was `{timestamp!r}`.'
            )
        return _date_predicate(
            lambda page: getattr(page, timestamp), spec.get(timestamp), f"{path}.{timestamp}"
        )
    if "property" in spec:
        return _property_predicate(spec, data_source, path)
    raise _invalid(
        f"body failed validation: {path} should have `property`, `timestamp`, `and` or `or`."
    )


_TEXT_CONDITIONS = (
    "equals",
    "does_not_equal",
    "contains",
    "does_not_contain",
    "starts_with",
    "ends_with",
    "is_empty",
    "is_not_empty",
)
_NUMBER_CONDITIONS = (
    "equals",
    "does_not_equal",
    "greater_than",
    "less_than",
    "greater_than_or_equal_to",
    "less_than_or_equal_to",
    "is_empty",
    "is_not_empty",
)
_CHOICE_CONDITIONS = ("equals", "does_not_equal", "is_empty", "is_not_empty")
_LIST_CONDITIONS = ("contains", "does_not_contain", "is_empty", "is_not_empty")
_FILTER_KEYS = {
    "title": ("title", "rich_text"),
    "rich_text": ("rich_text", "title"),
    "unique_id": ("unique_id", "number"),
}


def _property_predicate(spec: dict[str, Any], data_source: DataSource, path: str) -> Predicate:
    schema = data_source.find_property(str(spec["property"]))
    if schema is None:
        raise _invalid(f"Could not find property with name or id: {spec['property']}")
    kind, name = schema.type, schema.name
    keys = [key for key in spec if key != "property"]
    accepted = _FILTER_KEYS.get(kind, (kind,))
    if len(keys) != 1 or keys[0] not in accepted:
        raise _invalid(
            f"body failed validation: {path} for property {name!r} of type {kind} should have "
            f"one `{kind}` condition."
        )
    condition, where = spec[keys[0]], f"{path}.{keys[0]}"

    if kind in ("title", "rich_text"):
        operator, operand = _single_condition(condition, where, _TEXT_CONDITIONS)
        text_of: Callable[[Page], str] = lambda page: plain_text(page.values.get(name))  # noqa: E731
        return _text_predicate(text_of, operator, operand)
    if kind in ("number", "unique_id"):
        operator, operand = _single_condition(condition, where, _NUMBER_CONDITIONS)
        if kind == "unique_id":
            return _number_predicate(lambda page: page.unique_number, operator, operand)
        return _number_predicate(lambda page: page.values.get(name), operator, operand)
    if kind in ("select", "status"):
        operator, operand = _single_condition(condition, where, _CHOICE_CONDITIONS)
        tests = {
            "equals": lambda v: v == operand,
            "does_not_equal": lambda v: v != operand,
            "is_empty": lambda v: v is None,
            "is_not_empty": lambda v: v is not None,
        }
        test = tests[operator]
        return lambda page: test(page.values.get(name))
    if kind in ("multi_select", "people", "relation", "created_by"):
        operator, operand = _single_condition(condition, where, _LIST_CONDITIONS)
        if kind == "created_by":
            items_of: Callable[[Page], tuple[Any, ...]] = lambda page: (page.created_by,)  # noqa: E731
        else:
            items_of = lambda page: page.values.get(name, ())  # noqa: E731
        if kind != "multi_select" and isinstance(operand, str):
            operand = normalize_id(operand) or operand
        list_tests = {
            "contains": lambda items: operand in items,
            "does_not_contain": lambda items: operand not in items,
            "is_empty": lambda items: not items,
            "is_not_empty": lambda items: bool(items),
        }
        list_test = list_tests[operator]
        return lambda page: list_test(items_of(page))
    if kind == "date":
        return _date_predicate(lambda page: _date_start(page.values.get(name)), condition, where)
    raise _invalid(f"Filtering on a {kind} property is not supported by the sandbox.")


def _text_predicate(text_of: Callable[[Page], str], operator: str, operand: Any) -> Predicate:
    if operator in ("is_empty", "is_not_empty"):
        empty = operator == "is_empty"
        return lambda page: (text_of(page) == "") == empty
    if not isinstance(operand, str):
        raise _invalid(f"body failed validation: the {operator} operand should be a string.")
    needle = operand.casefold()
    tests: dict[str, Callable[[str], bool]] = {
        "equals": lambda t: t == needle,
        "does_not_equal": lambda t: t != needle,
        "contains": lambda t: needle in t,
        "does_not_contain": lambda t: needle not in t,
        "starts_with": lambda t: t.startswith(needle),
        "ends_with": lambda t: t.endswith(needle),
    }
    test = tests[operator]
    return lambda page: test(text_of(page).casefold())


def _number_predicate(number_of: Callable[[Page], Any], operator: str, operand: Any) -> Predicate:
    if operator in ("is_empty", "is_not_empty"):
        empty = operator == "is_empty"
        return lambda page: (number_of(page) is None) == empty
    if isinstance(operand, bool) or not isinstance(operand, int | float):
        raise _invalid(f"body failed validation: the {operator} operand should be a number.")
    tests: dict[str, Callable[[Any], bool]] = {
        "equals": lambda n: n == operand,
        "does_not_equal": lambda n: n != operand,
        "greater_than": lambda n: n > operand,
        "less_than": lambda n: n < operand,
        "greater_than_or_equal_to": lambda n: n >= operand,
        "less_than_or_equal_to": lambda n: n <= operand,
    }
    test = tests[operator]
    if operator == "does_not_equal":
        return lambda page: number_of(page) is None or test(number_of(page))
    return lambda page: (n := number_of(page)) is not None and test(n)


@dataclass(slots=True)
class _Ordering:
    """The filtered, sorted pages of one query shape at one workspace version."""

    keys: list[tuple[Any, ...]]
    pages: list[Page]
