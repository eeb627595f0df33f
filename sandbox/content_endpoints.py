"""Routes for pages under pages and their blocks, mixed into `sandbox.server.Sandbox`.

`CONTENT_ROUTES` is matched before `endpoints._ROUTES`. The page routes it shares with data
source rows (`POST /v1/pages`, `GET`/`PATCH /v1/pages/{id}`) answer for content pages and hand
everything else to `endpoints.Endpoints`.
"""

from __future__ import annotations

import re
from typing import Any

from sandbox.content import Block, ContentPage, PageContent
from sandbox.content_limits import check_children, check_payload_size, check_rich_text
from sandbox.protocol import Query, _invalid, _not_found, id_cursor_page
from sandbox.records import normalize_id

CONTENT_ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    ("POST", re.compile(r"/v1/pages"), "_create_any_page"),
    ("GET", re.compile(r"/v1/pages/(?P<id>[^/]+)"), "_get_any_page"),
    ("PATCH", re.compile(r"/v1/pages/(?P<id>[^/]+)"), "_update_any_page"),
    ("GET", re.compile(r"/v1/blocks/(?P<id>[^/]+)/children"), "_list_block_children"),
    ("PATCH", re.compile(r"/v1/blocks/(?P<id>[^/]+)/children"), "_append_block_children"),
    ("GET", re.compile(r"/v1/blocks/(?P<id>[^/]+)"), "_get_block"),
    ("DELETE", re.compile(r"/v1/blocks/(?P<id>[^/]+)"), "_delete_block"),
]

_ARCHIVED = "Can't edit block that is archived. You must unarchive the block before editing."

Params = dict[str, str]


class ContentEndpoints:
    """Page-parented pages and blocks over `self.content`."""

    content: PageContent

    # Provided by `sandbox.endpoints.Endpoints`.
    _uuid: Any
    _create_page: Any
    _get_page: Any
    _update_page: Any

    @property
    def reports_page_id(self) -> str:
        """A "Reports" page shared with the integration, for `CONDUCTOR_NOTION_REPORTS_PAGE_ID`."""
        return self.content.reports_page_id

    def _content_page(self, raw: str) -> ContentPage | None:
        return self.content.pages.get(normalize_id(raw) or "")

    def _create_any_page(self, params: Params, query: Query, body: dict[str, Any]) -> Any:
        parent = body.get("parent")
        if not isinstance(parent, dict) or not isinstance(parent.get("page_id"), str):
            return self._create_page(params, query, body)
        parent_id = self._uuid(parent["page_id"], "page_id")
        parent_page = self.content.pages.get(parent_id)
        if parent_page is None:
            raise _not_found("page", parent_id)
        if parent_page.in_trash:
            raise _invalid(_ARCHIVED)
        check_payload_size(body)
        title = _title_input(body.get("properties"))
        children = body.get("children", [])
        check_children(children)
        page = self.content.create_page(parent_id, title)
        self.content.append(page.id, children)
        return self.content.render_page(page)

    def _get_any_page(self, params: Params, query: Query, body: dict[str, Any]) -> Any:
        page = self._content_page(params["id"])
        if page is None:
            return self._get_page(params, query, body)
        return self.content.render_page(page)

    def _update_any_page(self, params: Params, query: Query, body: dict[str, Any]) -> Any:
        page = self._content_page(params["id"])
        if page is None:
            return self._update_page(params, query, body)
        trash = body.get("in_trash", body.get("archived"))
        if trash is not None and not isinstance(trash, bool):
            raise _invalid("body failed validation: body.in_trash should be a boolean.")
        if page.in_trash and trash is not False:
            raise _invalid(_ARCHIVED)
        if trash is not None:
            page.in_trash = trash
            if page.id in self.content.blocks:
                self.content.blocks[page.id].in_trash = trash
        if body.get("properties"):
            page.title = _title_input(body["properties"])
            if page.id in self.content.blocks:
                self.content.blocks[page.id].payload["title"] = "".join(
                    item["text"]["content"] for item in page.title if "text" in item
                )
        return self.content.render_page(page)

    def _parent_for_children(self, raw: str, *, writing: bool) -> str:
        """The page or block id whose children are read or written; a trashed one can still
        be read, not written."""
        block_id = self._uuid(raw, "block_id")
        page = self.content.pages.get(block_id)
        block = self.content.blocks.get(block_id)
        if page is None and block is None:
            raise _not_found("block", block_id)
        trashed = (page is not None and page.in_trash) or (block is not None and block.in_trash)
        if writing and trashed:
            raise _invalid(_ARCHIVED)
        return block_id

    def _list_block_children(self, params: Params, query: Query, body: dict[str, Any]) -> Any:
        parent_id = self._parent_for_children(params["id"], writing=False)
        children = self.content.live_children(parent_id)
        chunk, next_cursor = id_cursor_page(children, [child.id for child in children], query)
        return self._block_list(chunk, next_cursor)

    def _append_block_children(self, params: Params, query: Query, body: dict[str, Any]) -> Any:
        parent_id = self._parent_for_children(params["id"], writing=True)
        check_payload_size(body)
        if "children" not in body:
            raise _invalid(
                "body failed validation: body.children should be defined, instead was `undefined`."
            )
        check_children(body["children"])
        return self._block_list(self.content.append(parent_id, body["children"]), None)

    def _block_list(self, blocks: list[Block], next_cursor: str | None) -> dict[str, Any]:
        """Notion's list envelope of blocks, as both children endpoints answer."""
        return {
            "object": "list",
            "results": [self.content.render_block(block) for block in blocks],
            "next_cursor": next_cursor,
            "has_more": next_cursor is not None,
            "type": "block",
            "block": {},
        }

    def _existing_block(self, raw: str) -> str:
        block_id = self._uuid(raw, "block_id")
        if block_id not in self.content.blocks:
            raise _not_found("block", block_id)
        return block_id

    def _get_block(self, params: Params, query: Query, body: dict[str, Any]) -> Any:
        return self.content.render_block(self.content.blocks[self._existing_block(params["id"])])

    def _delete_block(self, params: Params, query: Query, body: dict[str, Any]) -> Any:
        block_id = self._existing_block(params["id"])
        if self.content.blocks[block_id].in_trash:
            raise _invalid(_ARCHIVED)
        return self.content.render_block(self.content.delete(block_id))


def _title_input(properties: Any) -> list[dict[str, Any]]:
    """The rich-text items of a content page's `title` property (its only property)."""
    if not isinstance(properties, dict):
        raise _invalid("body failed validation: body.properties should be an object.")
    unknown = [key for key in properties if key != "title"]
    if unknown:
        raise _invalid(f"{unknown[0]} is not a property that exists.")
    value = properties.get("title")
    items = value.get("title") if isinstance(value, dict) else value
    check_rich_text(items, "body.properties.title.title")
    return list(items or [])
