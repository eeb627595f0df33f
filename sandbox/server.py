"""A local Notion-compatible HTTP server over the bundled sample workspace.

Why it exists: the demo must run with no network and no Notion account, and the tests must drive
the *real* `notion_client.Client` (retries, pagination, error classes) rather than mocks. So this
speaks the subset of Notion's REST API (Notion-Version 2025-09-03, databases holding data
sources) that Conductor uses, with Notion's JSON shapes, error bodies, auth and version checks,
the 25-item relation cap on page objects, minute-truncated timestamps, and an optional rate
limiter and fault injection for the unhappy paths.

    with start_sandbox(build_sample_workspace(n_tickets=120)) as sandbox:
        notion = Client(auth=sandbox.token, base_url=sandbox.base_url)
        notion.data_sources.query(sandbox.tickets_data_source_id)

Run it for a manual session with `python -m sandbox.server --port 8765`.

Behaviour worth knowing (each is how Notion behaves, or the closest honest approximation):

- Query cursors are opaque keyset cursors: paging stays consistent while pages are edited (an
  edited page may be seen twice, never skipped). Without `sorts`, results are ordered by
  `created_time` ascending. Trashed pages never appear in query results.
- Supported query filters: `timestamp` filters on `created_time` / `last_edited_time`, property
  filters on title, rich_text, number, unique_id, select, status, multi_select, people,
  created_by, relation and date, and `and` / `or` compounds of those. Date conditions: `equals`,
  `before`, `after`, `on_or_before`, `on_or_after`, `is_empty`, `is_not_empty`; a date-only value
  means that whole UTC day. Anything else is answered with 400 `validation_error`.
- Page objects carry at most 25 relation items (`has_more: true` beyond that); the full list
  comes from `GET /v1/pages/{id}/properties/{property_id}`.
- With `integration_can_read_users=False` (an integration without the "read user information"
  capability), `/v1/users` answers 403 and user objects inside pages are partial (`object`, `id`).
- Only `Notion-Version` 2025-09-03 (or later) is served; older versions get 400, since the
  sandbox cannot speak the pre-data-source shapes.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import bisect
import json
import math
import re
import socket
import sys
import threading
import time
import traceback
import uuid
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sandbox.sample import (
    READ_ONLY_TYPES,
    Database,
    DataSource,
    DateValue,
    Link,
    Option,
    Page,
    PropertySchema,
    User,
    UserMention,
    Workspace,
    WorkspaceError,
    build_sample_workspace,
    normalize_id,
    plain_text,
)

NOTION_VERSION = "2025-09-03"
DEFAULT_TOKEN = "secret_sandbox"
#: Notion computes page property values with at most 25 page references.
RELATION_LIMIT = 25
MAX_PAGE_SIZE = 100
#: Notion's limit for one rich-text object's `text.content`.
TEXT_CONTENT_LIMIT = 2000
_VERSION = re.compile(r"\d{4}-\d{2}-\d{2}")
_ORDERINGS_KEPT = 4

_DEFAULT_CODES = {
    400: "validation_error",
    401: "unauthorized",
    403: "restricted_resource",
    404: "object_not_found",
    409: "conflict_error",
    429: "rate_limited",
    500: "internal_server_error",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
    529: "service_unavailable",
}
_DEFAULT_MESSAGES = {
    "validation_error": "body failed validation.",
    "unauthorized": "API token is invalid.",
    "restricted_resource": "Insufficient permissions for this endpoint.",
    "object_not_found": "Could not find the requested object.",
    "conflict_error": "Conflict occurred while saving. Please try again.",
    "rate_limited": "You have been rate limited. Please try again in a few minutes.",
    "internal_server_error": "Unexpected error occurred.",
    "bad_gateway": "Bad gateway.",
    "service_unavailable": "Notion is unavailable, please try again later.",
    "gateway_timeout": "Notion timed out, please try again later.",
}
_SHARE_HINT = "Make sure the relevant pages and databases are shared with your integration."
_ANNOTATIONS = {
    "bold": False,
    "italic": False,
    "strikethrough": False,
    "underline": False,
    "code": False,
    "color": "default",
}
_TIMESTAMPS = ("created_time", "last_edited_time")


class ApiError(Exception):
    """An error answer in Notion's shape: `{"object": "error", "status", "code", "message"}`."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        return {
            "object": "error",
            "status": self.status,
            "code": self.code,
            "message": self.message,
        }


def _invalid(message: str) -> ApiError:
    return ApiError(400, "validation_error", message)


def _not_found(kind: str, object_id: str) -> ApiError:
    return ApiError(
        404, "object_not_found", f"Could not find {kind} with ID: {object_id}. {_SHARE_HINT}"
    )


_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
#: A str as a JSON string literal (the C fast path, without building an encoder).
_quote: Callable[[str], str] = encode_basestring


def _iso(moment: datetime) -> str:
    """Notion's timestamp form, at minute precision: `2026-11-24T09:13:00.000Z`."""
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return moment.isoformat()[:16] + ":00.000Z"


def _nodash(object_id: str) -> str:
    return object_id.replace("-", "")


_WORD = re.compile(r"[A-Za-z0-9]+")


def _encode_cursor(value: Any) -> str:
    raw = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: Any) -> Any:
    if not isinstance(cursor, str) or not cursor:
        raise _invalid(
            f"body failed validation: start_cursor should be a string, instead was `{cursor!r}`."
        )
    try:
        return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError) as error:
        raise _invalid(f"start_cursor provided is invalid: {cursor}") from error


def _page_size(raw: Any) -> int:
    if raw is None:
        return MAX_PAGE_SIZE
    try:
        size = int(raw)
    except (TypeError, ValueError):
        size = -1
    if isinstance(raw, bool) or not 1 <= size <= MAX_PAGE_SIZE:
        raise _invalid(
            f"body failed validation: body.page_size should be a number between 1 and "
            f"{MAX_PAGE_SIZE}, instead was `{raw!r}`."
        )
    return size


# --- rendering -----------------------------------------------------------------------------


PropertyRenderer = Callable[[Page], str]


class RawJson(str):
    """An already-encoded JSON object. Page objects are rendered straight to text: building
    ~200 dicts per page and encoding them costs twice as much, and the short-lived dict trees
    trigger full garbage collections over a 100k-page workspace."""


_ANNOTATIONS_JSON = _dumps(_ANNOTATIONS)
_NULL_RICH_TEXT = "[]"


class _Renderer:
    """Workspace records → Notion JSON. Shared fragments (users, options, keys) are built once."""

    def __init__(self, workspace: Workspace, sandbox: Sandbox) -> None:
        self.workspace = workspace
        self.sandbox = sandbox
        self._users: dict[tuple[str, bool], str] = {}
        self._options: dict[tuple[int, str], str] = {}
        self._plans: dict[str, list[tuple[str, PropertySchema, PropertyRenderer]]] = {}
        self._texts: dict[str, str] = {}
        self._slugs: dict[str, str] = {}

    # users

    def user(self, user_id: str, *, full: bool | None = None) -> str:
        """A user object: full when the integration may read users, else `{object, id}`."""
        if full is None:
            full = self.sandbox.integration_can_read_users
        cached = self._users.get((user_id, full))
        if cached is None:
            user = self.workspace.user(user_id)
            fields: dict[str, Any] = {"object": "user", "id": user_id}
            if full and user is not None:
                fields.update(self._user_fields(user))
            cached = self._users[(user_id, full)] = _dumps(fields)
        return cached

    def user_dict(self, user_id: str, *, full: bool | None = None) -> dict[str, Any]:
        return json.loads(self.user(user_id, full=full))

    def _user_fields(self, user: User) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "name": user.name,
            "avatar_url": user.avatar_url,
            "type": user.type,
        }
        if user.type == "person":
            fields["person"] = {"email": user.email}
        else:
            fields["bot"] = {
                "owner": {"type": "workspace", "workspace": True},
                "workspace_name": self.workspace.name,
            }
        return fields

    def bot_user(self) -> dict[str, Any]:
        """`GET /v1/users/me`: the integration's bot, always fully visible to itself."""
        result = self.user_dict(self.workspace.bot.id, full=True)
        result["bot"]["workspace_limits"] = {"max_file_upload_size_in_bytes": 5_368_709_120}
        return result

    # rich text

    def rich_text(self, value: Any) -> str:
        """A JSON array of rich text objects; text over 2,000 characters is split as Notion does."""
        if not value:
            return _NULL_RICH_TEXT
        if isinstance(value, str):
            cached = self._texts.get(value)
            if cached is None:
                cached = "[" + self._text_objects(value, None) + "]"
                if len(self._texts) < 50_000:
                    self._texts[value] = cached
            return cached
        parts = []
        for segment in value:
            if isinstance(segment, str):
                parts.append(self._text_objects(segment, None))
            elif isinstance(segment, Link):
                parts.append(self._text_objects(segment.text, segment.url))
            elif isinstance(segment, UserMention):
                parts.append(self._mention(segment.user_id))
        return "[" + ",".join(p for p in parts if p) + "]"

    def rich_text_items(self, value: Any) -> list[dict[str, Any]]:
        return json.loads(self.rich_text(value))

    @staticmethod
    def _text_objects(content: str, url: str | None) -> str:
        link, href = (f'{{"url":{_quote(url)}}}', _quote(url)) if url else ("null", "null")
        return ",".join(
            f'{{"type":"text","text":{{"content":{quoted},"link":{link}}},'
            f'"annotations":{_ANNOTATIONS_JSON},"plain_text":{quoted},"href":{href}}}'
            for quoted in (
                _quote(content[i : i + TEXT_CONTENT_LIMIT])
                for i in range(0, len(content), TEXT_CONTENT_LIMIT)
            )
        )

    def _mention(self, user_id: str) -> str:
        user = self.workspace.user(user_id)
        visible = self.sandbox.integration_can_read_users and user is not None
        name = user.name if visible and user is not None else "Anonymous"
        return (
            f'{{"type":"mention","mention":{{"type":"user","user":{self.user(user_id)}}},'
            f'"annotations":{_ANNOTATIONS_JSON},"plain_text":{_quote("@" + name)},"href":null}}'
        )

    # pages

    def option(self, schema: PropertySchema, name: str) -> str:
        cached = self._options.get((id(schema), name))
        if cached is None:
            option = schema.option(name)
            cached = _dumps(
                {
                    "id": option.id if option else name,
                    "name": name,
                    "color": option.color if option else "default",
                }
            )
            self._options[(id(schema), name)] = cached
        return cached

    def _plan(self, data_source: DataSource) -> list[tuple[str, PropertySchema, PropertyRenderer]]:
        """Per property: the JSON text up to its value, and a function rendering the value.

        Built once per data source so rendering a page is one closure call per property.
        """
        plan = self._plans.get(data_source.id)
        if plan is None or len(plan) != len(data_source.properties):
            plan = [
                (
                    f'{_quote(s.name)}:{{"id":{_quote(s.id)},"type":"{s.type}","{s.type}":',
                    s,
                    self._value_renderer(s),
                )
                for s in data_source.properties.values()
            ]
            self._plans[data_source.id] = plan
        return plan

    def _value_renderer(self, schema: PropertySchema) -> PropertyRenderer:
        kind, name = schema.type, schema.name
        if kind in ("title", "rich_text"):
            return lambda page: self.rich_text(page.values.get(name))
        if kind in ("select", "status"):
            return lambda page: self.option(schema, v) if (v := page.values.get(name)) else "null"
        if kind == "multi_select":
            return lambda page: (
                "[" + ",".join([self.option(schema, n) for n in page.values.get(name, ())]) + "]"
            )
        if kind == "people":
            return lambda page: (
                "[" + ",".join([self.user(u) for u in page.values.get(name, ())]) + "]"
            )
        if kind == "relation":
            return lambda page: _relation_json(page.values.get(name, ()))
        if kind == "number":
            return lambda page: _number_text(page.values.get(name))
        if kind == "date":
            return lambda page: _date_text(page.values.get(name))
        if kind == "unique_id":
            prefix = f'{{"prefix":{_dumps(schema.prefix)},"number":'
            return lambda page: f"{prefix}{_number_text(page.unique_number)}}}"
        if kind == "created_by":
            return lambda page: self.user(page.created_by)
        if kind == "last_edited_by":
            return lambda page: self.user(page.last_edited_by)
        if kind in _TIMESTAMPS:
            return lambda page: f'"{_iso(getattr(page, kind))}"'
        return lambda page: _dumps(page.values.get(name))

    def property_dict(self, schema: PropertySchema, page: Page) -> dict[str, Any]:
        """`{"id", "type", <type>: value}` of one property (the property-item endpoint)."""
        data_source = self.workspace.data_sources[page.data_source_id]
        for prefix, candidate, render in self._plan(data_source):
            if candidate is schema:
                return json.loads("{" + prefix + render(page) + "}}")[schema.name]
        raise KeyError(schema.name)

    def page(self, page: Page, only: set[str] | None = None) -> RawJson:
        """A page object as `GET /v1/pages/{id}` and queries return it."""
        data_source = self.workspace.data_sources[page.data_source_id]
        properties = ",".join(
            [
                prefix + render(page) + "}"
                for prefix, schema, render in self._plan(data_source)
                if only is None or schema.name in only
            ]
        )
        title = page.values.get(data_source.title_property.name)
        trashed = "true" if page.in_trash else "false"
        return RawJson(
            f'{{"object":"page","id":"{page.id}","created_time":"{_iso(page.created_time)}",'
            f'"last_edited_time":"{_iso(page.last_edited_time)}",'
            f'"created_by":{{"object":"user","id":"{page.created_by}"}},'
            f'"last_edited_by":{{"object":"user","id":"{page.last_edited_by}"}},'
            f'"cover":null,"icon":null,"parent":{{"type":"data_source_id",'
            f'"data_source_id":"{data_source.id}","database_id":"{data_source.database_id}"}},'
            f'"archived":{trashed},"in_trash":{trashed},"is_locked":false,'
            f'"properties":{{{properties}}},'
            f'"url":"https://www.notion.so/{self._slug(title)}{_nodash(page.id)}",'
            f'"public_url":null}}'
        )

    def _slug(self, title: Any) -> str:
        """`Fix-login-bug-` for Notion's page URLs (ASCII words of the title), or ``."""
        text = plain_text(title)
        slug = self._slugs.get(text)
        if slug is None:
            words = "-".join(_WORD.findall(text))[:80].strip("-")
            slug = f"{words}-" if words else ""
            if len(self._slugs) < 50_000:
                self._slugs[text] = slug
        return slug

    # schemas

    def schema(self, schema: PropertySchema) -> dict[str, Any]:
        """A property of a data source's schema (`properties` of `GET /v1/data_sources/{id}`)."""
        kind = schema.type
        config: dict[str, Any] = {}
        if kind == "number":
            config = {"format": schema.number_format}
        elif kind in ("select", "multi_select", "status"):
            config = {"options": [_option_json(o) for o in schema.options]}
            if kind == "status":
                ids = {o.name: o.id for o in schema.options}
                config["groups"] = [
                    {
                        "id": g.id,
                        "name": g.name,
                        "color": g.color,
                        "option_ids": [ids[n] for n in g.option_names if n in ids],
                    }
                    for g in schema.groups
                ]
        elif kind == "relation":
            config = {
                "database_id": schema.relation_database_id,
                "data_source_id": schema.relation_data_source_id,
                "type": "single_property",
                "single_property": {},
            }
        elif kind == "unique_id":
            config = {"prefix": schema.prefix}
        return {
            "id": schema.id,
            "name": schema.name,
            "description": schema.description,
            "type": kind,
            kind: config,
        }

    def data_source(self, data_source: DataSource) -> dict[str, Any]:
        database = self.workspace.databases[data_source.database_id]
        return {
            "object": "data_source",
            "id": data_source.id,
            "created_time": _iso(data_source.created_time),
            "last_edited_time": _iso(data_source.last_edited_time),
            "created_by": {"object": "user", "id": data_source.created_by},
            "last_edited_by": {"object": "user", "id": data_source.created_by},
            "title": self.rich_text_items(data_source.title),
            "description": [],
            "icon": None,
            "cover": None,
            "properties": {n: self.schema(s) for n, s in data_source.properties.items()},
            "parent": {"type": "database_id", "database_id": database.id},
            "database_parent": {"type": "page_id", "page_id": database.parent_page_id},
            "is_inline": False,
            "archived": False,
            "in_trash": False,
            "url": f"https://www.notion.so/{_nodash(database.id)}",
            "public_url": None,
        }

    def database(self, database: Database) -> dict[str, Any]:
        return {
            "object": "database",
            "id": database.id,
            "created_time": _iso(database.created_time),
            "last_edited_time": _iso(database.last_edited_time),
            "created_by": {"object": "user", "id": database.created_by},
            "last_edited_by": {"object": "user", "id": database.created_by},
            "title": self.rich_text_items(database.title),
            "description": self.rich_text_items(database.description),
            "icon": None,
            "cover": None,
            "parent": {"type": "page_id", "page_id": database.parent_page_id},
            "is_inline": False,
            "in_trash": False,
            "archived": False,
            "is_locked": False,
            "data_sources": [
                {"id": ds_id, "name": self.workspace.data_sources[ds_id].title}
                for ds_id in database.data_source_ids
            ],
            "url": f"https://www.notion.so/{_nodash(database.id)}",
            "public_url": None,
        }


def _option_json(option: Option) -> dict[str, Any]:
    return {
        "id": option.id,
        "name": option.name,
        "color": option.color,
        "description": option.description,
    }


def _relation_json(related: tuple[str, ...]) -> str:
    """At most 25 items, then `has_more` (which closes the property object's value)."""
    items = ",".join([f'{{"id":"{page_id}"}}' for page_id in related[:RELATION_LIMIT]])
    return f'[{items}],"has_more":{"true" if len(related) > RELATION_LIMIT else "false"}'


def _number_text(value: float | None) -> str:
    return "null" if value is None else _dumps(value) if isinstance(value, float) else str(value)


def _date_text(value: DateValue | None) -> str:
    if value is None:
        return "null"
    end = _quote(value.end) if value.end else "null"
    zone = _quote(value.time_zone) if value.time_zone else "null"
    return f'{{"start":{_quote(value.start)},"end":{end},"time_zone":{zone}}}'


# --- querying ------------------------------------------------------------------------------


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


# --- writes --------------------------------------------------------------------------------


def _parse_write_value(schema: PropertySchema, raw: Any) -> Any:
    """A property value in Notion's write format → the workspace's simple value form."""
    kind, name = schema.type, schema.name
    if kind in READ_ONLY_TYPES:
        raise _invalid(f"{name} is a {kind} property and cannot be updated.")
    if not isinstance(raw, dict) or kind not in raw:
        raise _invalid(f"{name} is expected to be {kind}.")
    value = raw[kind]
    where = f"body.properties.{name}.{kind}"
    if kind in ("title", "rich_text"):
        return _parse_rich_text(value, where)
    if kind == "number":
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise _invalid(
                f"body failed validation: {where} should be a number or `null`, instead was `{json.dumps(value)}`."
            )
        return value
    if kind in ("select", "status"):
        if value is None:
            return None
        return _option_reference(schema, value, where)
    if kind == "multi_select":
        items = _list_of_objects(value, where)
        return tuple(
            _option_reference(schema, item, f"{where}[{i}]") for i, item in enumerate(items)
        )
    if kind in ("people", "relation"):
        items = _list_of_objects(value, where)
        ids = []
        for i, item in enumerate(items):
            if not isinstance(item.get("id"), str):
                raise _invalid(f"body failed validation: {where}[{i}].id should be defined.")
            ids.append(normalize_id(item["id"]) or item["id"])
        return tuple(ids)
    if kind == "date":
        if value is None:
            return None
        if not isinstance(value, dict) or not isinstance(value.get("start"), str):
            raise _invalid(f"body failed validation: {where}.start should be defined.")
        return DateValue(value["start"], value.get("end"), value.get("time_zone"))
    raise _invalid(f"{name}: writing {kind} properties is not supported by the sandbox.")


def _list_of_objects(value: Any, where: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise _invalid(f"body failed validation: {where} should be an array of objects.")
    return value


def _option_reference(schema: PropertySchema, value: Any, where: str) -> str:
    if not isinstance(value, dict):
        raise _invalid(f"body failed validation: {where} should be an object.")
    if isinstance(value.get("name"), str):
        return value["name"]
    if isinstance(value.get("id"), str):
        for option in schema.options:
            if option.id == value["id"]:
                return option.name
        raise _invalid(f"{schema.name}: option with id {value['id']} does not exist.")
    raise _invalid(f"body failed validation: {where}.name should be defined.")


def _parse_rich_text(value: Any, where: str) -> tuple[str | UserMention | Link, ...]:
    items = _list_of_objects(value, where)
    segments: list[str | UserMention | Link] = []
    for i, item in enumerate(items):
        here = f"{where}[{i}]"
        if isinstance(item.get("text"), dict):
            content = item["text"].get("content")
            if not isinstance(content, str):
                raise _invalid(f"body failed validation: {here}.text.content should be a string.")
            if len(content) > TEXT_CONTENT_LIMIT:
                raise _invalid(
                    f"body failed validation: {here}.text.content.length should be ≤ "
                    f"`{TEXT_CONTENT_LIMIT}`, instead was `{len(content)}`."
                )
            link = item["text"].get("link")
            url = link.get("url") if isinstance(link, dict) else None
            segments.append(Link(content, url) if isinstance(url, str) else content)
        elif isinstance(item.get("mention"), dict) and isinstance(
            item["mention"].get("user"), dict
        ):
            user_id = item["mention"]["user"].get("id")
            if not isinstance(user_id, str):
                raise _invalid(f"body failed validation: {here}.mention.user.id should be defined.")
            segments.append(UserMention(normalize_id(user_id) or user_id))
        else:
            raise _invalid(
                f"body failed validation: {here} should be a text object or a user mention "
                "(the sandbox supports no other rich text)."
            )
    return tuple(segments)


# --- the server ----------------------------------------------------------------------------


@dataclass(slots=True)
class _Fault:
    remaining: int
    status: int
    code: str
    message: str
    path_contains: str | None
    retry_after: int | None


class _TokenBucket:
    """Averages `rate` requests per second and allows a burst of about one second's worth."""

    def __init__(self, rate: float) -> None:
        if rate <= 0:
            raise ValueError("rate limit must be positive")
        self.rate = rate
        self.capacity = max(1.0, rate)
        self.tokens = self.capacity
        self.stamp = time.monotonic()

    def wait_needed(self) -> float:
        """0 if a request may go now (and takes a token), else seconds until one may."""
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate


Route = tuple[str, re.Pattern[str], str]
_ROUTES: list[Route] = [
    ("GET", re.compile(r"/v1/users"), "_list_users"),
    ("GET", re.compile(r"/v1/users/me"), "_me"),
    ("GET", re.compile(r"/v1/users/(?P<id>[^/]+)"), "_get_user"),
    ("GET", re.compile(r"/v1/databases/(?P<id>[^/]+)"), "_get_database"),
    ("GET", re.compile(r"/v1/data_sources/(?P<id>[^/]+)"), "_get_data_source"),
    ("POST", re.compile(r"/v1/data_sources/(?P<id>[^/]+)/query"), "_query"),
    ("POST", re.compile(r"/v1/pages"), "_create_page"),
    ("GET", re.compile(r"/v1/pages/(?P<id>[^/]+)"), "_get_page"),
    ("PATCH", re.compile(r"/v1/pages/(?P<id>[^/]+)"), "_update_page"),
    ("GET", re.compile(r"/v1/pages/(?P<id>[^/]+)/properties/(?P<prop>[^/]+)"), "_get_property"),
]

Query = dict[str, list[str]]


class Sandbox:
    """A running sandbox server. Use as a context manager, or call `stop()`.

    Thread-safe bookkeeping for tests: `requests` (every request as `(method, path)`, path
    without the query string, in arrival order), `count()`, `fail_next()` and `set_rate_limit()`.
    `integration_can_read_users` may be flipped while running.
    """

    def __init__(
        self,
        workspace: Workspace | None = None,
        *,
        token: str = DEFAULT_TOKEN,
        host: str = "127.0.0.1",
        port: int = 0,
        rate_limit_rps: float | None = None,
        integration_can_read_users: bool = True,
    ) -> None:
        self.workspace = workspace if workspace is not None else build_sample_workspace()
        self.token = token
        self.integration_can_read_users = integration_can_read_users
        self._renderer = _Renderer(self.workspace, self)
        self._state_lock = threading.Lock()
        self._log: list[tuple[str, str, int]] = []
        self._faults: list[_Fault] = []
        self._bucket = _TokenBucket(rate_limit_rps) if rate_limit_rps else None
        self._orderings: OrderedDict[tuple[Any, ...], _Ordering] = OrderedDict()
        handler = type("SandboxHandler", (_Handler,), {"sandbox": self})
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None
        bound_host, bound_port = self._server.server_address[:2]
        shown = "127.0.0.1" if bound_host in ("0.0.0.0", "") else bound_host
        self.base_url = f"http://{shown}:{bound_port}"

    # --- lifecycle -----------------------------------------------------------------------

    def start(self) -> Sandbox:
        """Serve in a daemon thread; returns self."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.1},
                name=f"notion-sandbox-{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port. Safe to call twice."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- convenience ---------------------------------------------------------------------

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def tickets_database_id(self) -> str:
        return self.workspace.tickets_database_id

    @property
    def sprints_database_id(self) -> str:
        return self.workspace.sprints_database_id

    @property
    def tickets_data_source_id(self) -> str:
        return self.workspace.tickets_data_source_id

    @property
    def sprints_data_source_id(self) -> str:
        return self.workspace.sprints_data_source_id

    def conductor_environment(self) -> dict[str, str]:
        """The `CONDUCTOR_NOTION_*` settings that point Conductor at this sandbox."""
        return {
            "CONDUCTOR_NOTION_BASE_URL": self.base_url,
            "CONDUCTOR_NOTION_TOKEN": self.token,
            "CONDUCTOR_NOTION_TICKETS_DATABASE_ID": self.tickets_database_id,
            "CONDUCTOR_NOTION_SPRINTS_DATABASE_ID": self.sprints_database_id,
        }

    # --- bookkeeping and fault injection -------------------------------------------------

    @property
    def requests(self) -> list[tuple[str, str]]:
        """Every request received so far as `(method, path)`, including rejected ones."""
        with self._state_lock:
            return [(method, path) for method, path, _ in self._log]

    def count(
        self,
        method: str | None = None,
        path_contains: str | None = None,
        status: int | None = None,
    ) -> int:
        """How many requests matched (method exactly, path by substring, answer status)."""
        with self._state_lock:
            return sum(
                1
                for m, p, s in self._log
                if (method is None or m == method.upper())
                and (path_contains is None or path_contains in p)
                and (status is None or s == status)
            )

    def reset_requests(self) -> None:
        """Forget the request log (e.g. between phases of a test)."""
        with self._state_lock:
            self._log.clear()

    def fail_next(
        self,
        n: int = 1,
        status: int = 500,
        path_contains: str | None = None,
        code: str | None = None,
        message: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        """Answer the next `n` requests (whose path contains `path_contains`) with an error.

        The body is Notion-shaped; `code` defaults from the status (500 `internal_server_error`,
        503/529 `service_unavailable`, 429 `rate_limited`, …). A 429 carries `Retry-After`
        (`retry_after` seconds, default 1). Queued faults apply in the order they were added.
        """
        resolved = code or _DEFAULT_CODES.get(status, "internal_server_error")
        if status == 429 and retry_after is None:
            retry_after = 1
        fault = _Fault(
            remaining=n,
            status=status,
            code=resolved,
            message=message or _DEFAULT_MESSAGES.get(resolved, "Unexpected error occurred."),
            path_contains=path_contains,
            retry_after=retry_after,
        )
        with self._state_lock:
            self._faults.append(fault)

    def clear_faults(self) -> None:
        with self._state_lock:
            self._faults.clear()

    def set_rate_limit(self, rps: float | None) -> None:
        """Limit to `rps` requests per second on average (token bucket); None turns it off."""
        with self._state_lock:
            self._bucket = _TokenBucket(rps) if rps else None

    # --- request handling ----------------------------------------------------------------

    def handle(
        self, method: str, raw_path: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, bytes, dict[str, str]]:
        """Answer one request: `(status, encoded JSON body, extra headers)`. Never raises."""
        request_id = str(uuid.uuid4())
        url = urlsplit(raw_path)
        path = url.path.rstrip("/") or "/"
        with self._state_lock:
            self._log.append((method, path, 0))
            entry = len(self._log) - 1
        extra: dict[str, str] = {"x-notion-request-id": request_id}
        try:
            self._pre_checks(path, headers)
            handler, params = self._route(method, path)
            payload = self._json_body(method, body)
            with self.workspace.lock:
                status, result = 200, handler(params, parse_qs(url.query), payload)
        except ApiError as error:
            status, result = error.status, error.body()
            extra.update(error.headers)
        except Exception:  # a sandbox bug must still look like an API answer
            traceback.print_exc(file=sys.stderr)
            status = 500
            result = ApiError(500, "internal_server_error", "Unexpected error occurred.").body()
        with self._state_lock:
            if entry < len(self._log):
                self._log[entry] = (method, path, status)
        return status, _encode(result, request_id), extra

    def _pre_checks(self, path: str, headers: Mapping[str, str]) -> None:
        with self._state_lock:
            fault = next(
                (f for f in self._faults if f.path_contains is None or f.path_contains in path),
                None,
            )
            if fault is not None:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
            wait = self._bucket.wait_needed() if self._bucket and fault is None else 0.0
        if fault is not None:
            fault_headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after else {}
            raise ApiError(fault.status, fault.code, fault.message, fault_headers)
        if wait > 0:
            raise ApiError(
                429,
                "rate_limited",
                _DEFAULT_MESSAGES["rate_limited"],
                {"Retry-After": str(max(1, math.ceil(wait)))},
            )
        if headers.get("Authorization") != f"Bearer {self.token}":
            raise ApiError(401, "unauthorized", "API token is invalid.")
        version = headers.get("Notion-Version")
        if not version:
            raise ApiError(
                400,
                "missing_version",
                "Notion-Version header failed validation: Notion-Version header should be "
                "defined, instead was `undefined`.",
            )
        if not _VERSION.fullmatch(version):
            raise _invalid(
                f"Notion-Version header failed validation: {version!r} should be a date like "
                f"{NOTION_VERSION}."
            )
        if version < NOTION_VERSION:
            raise _invalid(
                f"Notion-Version {version} is not served by this sandbox; it speaks "
                f"{NOTION_VERSION} (databases with data sources)."
            )

    def _route(
        self, method: str, path: str
    ) -> tuple[Callable[..., dict[str, Any] | RawJson], dict[str, str]]:
        for route_method, pattern, name in _ROUTES:
            match = pattern.fullmatch(path)
            if match and route_method == method:
                return getattr(self, name), match.groupdict()
        raise ApiError(400, "invalid_request_url", "Invalid request URL.")

    @staticmethod
    def _json_body(method: str, body: bytes) -> dict[str, Any]:
        if method == "GET" or not body.strip():
            return {}
        try:
            payload = json.loads(body)
        except ValueError as error:
            raise ApiError(400, "invalid_json", "Error parsing JSON body.") from error
        if not isinstance(payload, dict):
            raise _invalid("body failed validation: body should be an object.")
        return payload

    # --- lookups -------------------------------------------------------------------------

    @staticmethod
    def _uuid(raw: str, path_name: str) -> str:
        object_id = normalize_id(unquote(raw))
        if object_id is None:
            raise _invalid(
                f"path failed validation: path.{path_name} should be a valid uuid, "
                f'instead was `"{raw}"`.'
            )
        return object_id

    def _existing_page(self, raw: str) -> Page:
        page_id = self._uuid(raw, "page_id")
        page = self.workspace.pages.get(page_id)
        if page is None:
            raise _not_found("page", page_id)
        return page

    def _existing_data_source(self, raw: str) -> DataSource:
        data_source_id = self._uuid(raw, "data_source_id")
        data_source = self.workspace.data_sources.get(data_source_id)
        if data_source is None:
            raise _not_found("data_source", data_source_id)
        return data_source

    def _require_user_access(self) -> None:
        if not self.integration_can_read_users:
            raise ApiError(
                403, "restricted_resource", "Insufficient permissions for this endpoint."
            )

    # --- endpoints -----------------------------------------------------------------------

    def _list_users(
        self, params: dict[str, str], query: Query, body: dict[str, Any]
    ) -> dict[str, Any]:
        self._require_user_access()
        users = self.workspace.users
        size = _page_size(_first(query, "page_size"))
        start = 0
        cursor = _first(query, "start_cursor")
        if cursor:
            ids = [user.id for user in users]
            wanted = normalize_id(cursor)
            if wanted not in ids:
                raise _invalid(f"start_cursor provided is invalid: {cursor}")
            start = ids.index(wanted)
        chunk = users[start : start + size]
        more = start + size < len(users)
        return {
            "object": "list",
            "results": [self._renderer.user_dict(user.id, full=True) for user in chunk],
            "next_cursor": users[start + size].id if more else None,
            "has_more": more,
            "type": "user",
            "user": {},
        }

    def _me(self, params: dict[str, str], query: Query, body: dict[str, Any]) -> dict[str, Any]:
        return self._renderer.bot_user()

    def _get_user(
        self, params: dict[str, str], query: Query, body: dict[str, Any]
    ) -> dict[str, Any]:
        self._require_user_access()
        user_id = self._uuid(params["id"], "user_id")
        if self.workspace.user(user_id) is None:
            raise _not_found("user", user_id)
        return self._renderer.user_dict(user_id, full=True)

    def _get_database(
        self, params: dict[str, str], query: Query, body: dict[str, Any]
    ) -> dict[str, Any]:
        database_id = self._uuid(params["id"], "database_id")
        database = self.workspace.databases.get(database_id)
        if database is None:
            raise _not_found("database", database_id)
        return self._renderer.database(database)

    def _get_data_source(
        self, params: dict[str, str], query: Query, body: dict[str, Any]
    ) -> dict[str, Any]:
        return self._renderer.data_source(self._existing_data_source(params["id"]))

    def _query(self, params: dict[str, str], query: Query, body: dict[str, Any]) -> RawJson:
        data_source = self._existing_data_source(params["id"])
        size = _page_size(body.get("page_size"))
        ordering, sort_key = self._ordering(data_source, body.get("filter"), body.get("sorts"))
        start = 0
        cursor = body.get("start_cursor")
        if cursor is not None:
            raw = _decode_cursor(cursor)
            if not isinstance(raw, list) or len(raw) != len(sort_key.parts) + 1:
                raise _invalid(f"start_cursor provided is invalid: {cursor}")
            try:
                start = bisect.bisect_left(ordering.keys, sort_key.comparable(raw))
            except TypeError as error:
                raise _invalid(f"start_cursor provided is invalid: {cursor}") from error
        chunk = ordering.pages[start : start + size]
        more = start + size < len(ordering.pages)
        only = self._only_properties(data_source, query)
        results = ",".join(self._renderer.page(page, only) for page in chunk)
        rest = _dumps(
            {
                "next_cursor": _encode_cursor(sort_key.raw(ordering.pages[start + size]))
                if more
                else None,
                "has_more": more,
                "type": "page_or_data_source",
                "page_or_data_source": {},
            }
        )
        return RawJson(f'{{"object":"list","results":[{results}],{rest[1:]}')

    def _ordering(
        self, data_source: DataSource, spec: Any, sorts: Any
    ) -> tuple[_Ordering, _SortKey]:
        """The query's result order, cached per workspace version (paging reuses it)."""
        sort_key = _compile_sorts(sorts, data_source)
        cache_key = (
            data_source.id,
            self.workspace.version,
            json.dumps(spec, sort_keys=True),
            json.dumps(sorts, sort_keys=True),
        )
        ordering = self._orderings.get(cache_key)
        if ordering is None:
            predicate = _compile_filter(spec, data_source) if spec else None
            rows = self._sorted_rows(data_source, predicate, sort_key)
            ordering = _Ordering([key for key, _ in rows], [page for _, page in rows])
            # Orderings of older versions are dead (no cursor can need them): drop them, and
            # keep a few shapes of the current one (each may hold 100k keys).
            for stale in [k for k in self._orderings if k[1] != self.workspace.version]:
                del self._orderings[stale]
            self._orderings[cache_key] = ordering
            while len(self._orderings) > _ORDERINGS_KEPT:
                self._orderings.popitem(last=False)
        else:
            self._orderings.move_to_end(cache_key)
        return ordering, sort_key

    @staticmethod
    def _sorted_rows(
        data_source: DataSource, predicate: Predicate | None, sort_key: _SortKey
    ) -> list[tuple[tuple[Any, ...], Page]]:
        rows = [
            (sort_key.comparable(sort_key.raw(page)), page)
            for page in data_source.pages
            if not page.in_trash and (predicate is None or predicate(page))
        ]
        rows.sort(key=lambda row: row[0])
        return rows

    @staticmethod
    def _only_properties(data_source: DataSource, query: Query) -> set[str] | None:
        wanted = query.get("filter_properties", []) + query.get("filter_properties[]", [])
        if not wanted:
            return None
        names = set()
        for key in wanted:
            schema = data_source.find_property(key)
            if schema is not None:
                names.add(schema.name)
        return names

    def _get_page(self, params: dict[str, str], query: Query, body: dict[str, Any]) -> RawJson:
        page = self._existing_page(params["id"])
        data_source = self.workspace.data_sources[page.data_source_id]
        return self._renderer.page(page, self._only_properties(data_source, query))

    def _get_property(
        self, params: dict[str, str], query: Query, body: dict[str, Any]
    ) -> dict[str, Any]:
        page = self._existing_page(params["id"])
        data_source = self.workspace.data_sources[page.data_source_id]
        schema = data_source.find_property(unquote(params["prop"]))
        if schema is None:
            raise ApiError(
                404, "object_not_found", f"Could not find property with ID: {params['prop']}."
            )
        kind = schema.type
        if kind not in ("title", "rich_text", "people", "relation"):
            value = self._renderer.property_dict(schema, page)
            value.pop("has_more", None)
            return {"object": "property_item", **value}
        items = self._property_items(schema, page)
        size = _page_size(_first(query, "page_size"))
        start = 0
        cursor = _first(query, "start_cursor")
        if cursor:
            raw = _decode_cursor(cursor)
            if not isinstance(raw, int) or raw < 0:
                raise _invalid(f"start_cursor provided is invalid: {cursor}")
            start = raw
        more = start + size < len(items)
        next_cursor = _encode_cursor(start + size) if more else None
        next_url = (
            f"{self.base_url}/v1/pages/{page.id}/properties/{schema.id}?start_cursor={next_cursor}"
            if more
            else None
        )
        return {
            "object": "list",
            "results": [
                {"object": "property_item", "id": schema.id, "type": kind, kind: item}
                for item in items[start : start + size]
            ],
            "next_cursor": next_cursor,
            "has_more": more,
            "type": "property_item",
            "property_item": {"id": schema.id, "next_url": next_url, "type": kind, kind: {}},
        }

    def _property_items(self, schema: PropertySchema, page: Page) -> list[Any]:
        value = page.values.get(schema.name)
        if schema.type in ("title", "rich_text"):
            return self._renderer.rich_text_items(value)
        if schema.type == "people":
            return [self._renderer.user_dict(user_id) for user_id in value or ()]
        return [{"id": page_id} for page_id in value or ()]

    def _create_page(self, params: dict[str, str], query: Query, body: dict[str, Any]) -> RawJson:
        parent = body.get("parent")
        if not isinstance(parent, dict):
            raise _invalid(
                "body failed validation: body.parent should be defined, instead was `undefined`."
            )
        if isinstance(parent.get("data_source_id"), str):
            data_source = self._existing_data_source(parent["data_source_id"])
        elif isinstance(parent.get("database_id"), str):
            database_id = self._uuid(parent["database_id"], "database_id")
            database = self.workspace.databases.get(database_id)
            if database is None:
                raise _not_found("database", database_id)
            if len(database.data_source_ids) != 1:
                raise _invalid("Databases with multiple data sources need parent.data_source_id.")
            data_source = self.workspace.data_sources[database.data_source_ids[0]]
        else:
            raise _invalid(
                "body failed validation: body.parent.data_source_id should be defined, "
                "instead was `undefined`."
            )
        values = self._parse_properties(data_source, body.get("properties") or {})
        try:
            page_id = self.workspace.create_page(
                data_source.id, values, created_by=self.workspace.bot.id
            )
        except WorkspaceError as error:
            raise _invalid(str(error)) from error
        return self._renderer.page(self.workspace.pages[page_id])

    def _update_page(self, params: dict[str, str], query: Query, body: dict[str, Any]) -> RawJson:
        page = self._existing_page(params["id"])
        data_source = self.workspace.data_sources[page.data_source_id]
        trash = body.get("in_trash", body.get("archived"))
        if trash is not None and not isinstance(trash, bool):
            raise _invalid("body failed validation: body.in_trash should be a boolean.")
        values = self._parse_properties(data_source, body.get("properties") or {})
        bot = self.workspace.bot.id
        try:
            if trash is False:
                self.workspace.trash_page(page.id, in_trash=False, edited_by=bot)
            if values:
                self.workspace.update_page(page.id, values, edited_by=bot)
            if trash is True:
                self.workspace.trash_page(page.id, in_trash=True, edited_by=bot)
        except WorkspaceError as error:
            raise _invalid(str(error)) from error
        return self._renderer.page(page)

    def _parse_properties(self, data_source: DataSource, properties: Any) -> dict[str, Any]:
        if not isinstance(properties, dict):
            raise _invalid("body failed validation: body.properties should be an object.")
        values: dict[str, Any] = {}
        for key, raw in properties.items():
            schema = data_source.find_property(key)
            if schema is None:
                raise _invalid(f"{key} is not a property that exists.")
            values[schema.name] = _parse_write_value(schema, raw)
        return values


def _encode(result: dict[str, Any] | RawJson, request_id: str) -> bytes:
    """The response body, with the `request_id` Notion adds to every answer.

    A lone surrogate (valid in a JSON string someone wrote, not in UTF-8) goes out as its JSON
    escape `\\udXXX` rather than failing the response.
    """
    if isinstance(result, RawJson):
        text = f'{result[:-1]},"request_id":"{request_id}"}}'
    else:
        result["request_id"] = request_id
        text = _dumps(result)
    return text.encode("utf-8", "backslashreplace")


def _first(query: Query, name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


_TCP_QUICKACK: int | None = getattr(socket, "TCP_QUICKACK", None)


class _Handler(BaseHTTPRequestHandler):
    """HTTP plumbing only; `Sandbox.handle` does the work. Keep-alive, no access log."""

    protocol_version = "HTTP/1.1"
    server_version = "NotionSandbox/1.0"
    sandbox: Sandbox

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without this, Nagle + delayed ACK add
        # up to 40 ms to every keep-alive request.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._quick_ack()

    def _quick_ack(self) -> None:
        """ACK at once (Linux): clients such as httpx send headers and body in two writes, and
        with Nagle on their side the body waits for our ACK of the headers."""
        if _TCP_QUICKACK is not None:
            self.connection.setsockopt(socket.IPPROTO_TCP, _TCP_QUICKACK, 1)

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        status, data, headers = self.sandbox.handle(self.command, self.path, self.headers, body)
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
        self._quick_ack()  # the kernel drops quick-ACK mode after a while; re-arm it

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve


def start_sandbox(
    workspace: Workspace | None = None,
    *,
    token: str = DEFAULT_TOKEN,
    host: str = "127.0.0.1",
    port: int = 0,
    rate_limit_rps: float | None = None,
    integration_can_read_users: bool = True,
) -> Sandbox:
    """Start a sandbox serving `workspace` (default: the 400-ticket sample) on `host:port`.

    `port=0` picks a free port; read it back from `sandbox.base_url`. The rate limiter is off
    unless `rate_limit_rps` is given (Notion's documented average is 3 requests per second).
    """
    return Sandbox(
        workspace,
        token=token,
        host=host,
        port=port,
        rate_limit_rps=rate_limit_rps,
        integration_can_read_users=integration_can_read_users,
    ).start()


def main(argv: list[str] | None = None) -> int:
    """Run the sandbox in the foreground and print how to point Conductor at it."""
    parser = argparse.ArgumentParser(
        prog="python -m sandbox.server",
        description="Serve the bundled sample workspace over a local Notion-compatible API.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--tickets", type=int, default=400, help="number of tickets (default 400)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--today", type=date.fromisoformat, default=None, help="YYYY-MM-DD")
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument(
        "--rate-limit", type=float, default=None, help="requests per second (default: off)"
    )
    args = parser.parse_args(argv)
    workspace = build_sample_workspace(args.today, n_tickets=args.tickets, seed=args.seed)
    try:
        sandbox = start_sandbox(
            workspace,
            token=args.token,
            host=args.host,
            port=args.port,
            rate_limit_rps=args.rate_limit,
        )
    except OSError as error:
        print(
            f"error: cannot listen on {args.host}:{args.port} ({error}); try --port 0",
            file=sys.stderr,
        )
        return 1
    print(f"Notion sandbox serving {len(workspace.tickets())} tickets at {sandbox.base_url}")
    for name, value in sandbox.conductor_environment().items():
        print(f"{name}={value}")
    print("Press Ctrl+C to stop.", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
