"""The endpoints: one method per Notion route (`_ROUTES`), and the lookups they share.

`Endpoints` is mixed into `sandbox.server.Sandbox`, which owns the state the methods read; every
method runs under the workspace lock and answers a dict or `RawJson` (or raises `ApiError`).
"""

from __future__ import annotations

import bisect
import json
import re
from collections import OrderedDict
from typing import Any
from urllib.parse import unquote

from sandbox.protocol import (
    ApiError,
    Query,
    RawJson,
    _decode_cursor,
    _dumps,
    _encode_cursor,
    _first,
    _invalid,
    _not_found,
    _page_size,
    id_cursor_page,
)
from sandbox.query import (
    Predicate,
    _compile_filter,
    _compile_sorts,
    _Ordering,
    _SortKey,
)
from sandbox.records import (
    DataSource,
    Page,
    PropertySchema,
    WorkspaceError,
    normalize_id,
)
from sandbox.rendering import _Renderer
from sandbox.workspace import Workspace
from sandbox.writes import _parse_write_value

_ORDERINGS_KEPT = 4

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


class Endpoints:
    """Notion's endpoints over `self.workspace`; see `sandbox.server.Sandbox` for the state."""

    workspace: Workspace
    base_url: str
    integration_can_read_users: bool
    query_result_limit: int
    partial_page_ids: set[str]
    _renderer: _Renderer
    _orderings: OrderedDict[tuple[Any, ...], _Ordering]

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
        chunk, next_cursor = id_cursor_page(users, [user.id for user in users], query)
        more = next_cursor is not None
        return {
            "object": "list",
            "results": [self._renderer.user_dict(user.id, full=True) for user in chunk],
            "next_cursor": next_cursor,
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
        # Notion stops a query at `query_result_limit` results: the pages past it are never
        # served, pagination ends with has_more false, and every page of the response says so.
        capped = len(ordering.pages) > self.query_result_limit
        end = min(len(ordering.pages), self.query_result_limit)
        chunk = ordering.pages[start : min(start + size, end)]
        more = start + size < end
        only = self._only_properties(data_source, query)
        results = ",".join(
            self._renderer.partial_page(page)
            if page.id in self.partial_page_ids
            else self._renderer.page(page, only)
            for page in chunk
        )
        tail: dict[str, Any] = {
            "next_cursor": _encode_cursor(sort_key.raw(ordering.pages[start + size]))
            if more
            else None,
            "has_more": more,
            "type": "page_or_data_source",
            "page_or_data_source": {},
        }
        if capped:
            tail["request_status"] = {
                "type": "incomplete",
                "incomplete_reason": "query_result_limit_reached",
            }
        rest = _dumps(tail)
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
