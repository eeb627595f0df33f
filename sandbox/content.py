"""Pages that live under other pages, and the blocks inside them.

The sample workspace's pages are rows of data sources (`records.Page`); reports Conductor
publishes are ordinary pages with a *page* parent, whose body is a tree of blocks. This module
holds those records and their JSON form; `content_endpoints` serves them.

How Notion behaves here, and so how this behaves:

- A child page shows up in its parent's block children as a `child_page` block whose id *is*
  the page id; trashing the page (or deleting that block) removes it from the list.
- Blocks are listed in the order they were appended, paginated with a block id as the cursor.
- A trashed page is still readable (`GET /v1/pages/{id}` says `in_trash: true`, its blocks can
  be listed), but appending to it answers 400 `validation_error` ("Can't edit block that is
  archived"), as does deleting a block already deleted.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sandbox.protocol import _iso, _nodash
from sandbox.records import minute
from sandbox.rendering import DEFAULT_ANNOTATIONS
from sandbox.workspace import Workspace


@dataclass(slots=True)
class Block:
    """One block: `payload` is its type's object without `children` (those are `children`).

    A `child_page` block stands for a `ContentPage` with the same id."""

    id: str
    type: str
    payload: dict[str, Any]
    parent_id: str
    parent_is_page: bool
    created_time: datetime
    last_edited_time: datetime
    children: list[str] = field(default_factory=list)
    in_trash: bool = False


@dataclass(slots=True)
class ContentPage:
    """A page with a page parent (or the workspace as parent); `title` is rich-text input items."""

    id: str
    parent_page_id: str | None
    title: list[dict[str, Any]]
    created_time: datetime
    last_edited_time: datetime
    children: list[str] = field(default_factory=list)
    in_trash: bool = False


class PageContent:
    """Every content page and block of one sandbox; mutations hold the workspace lock."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.pages: dict[str, ContentPage] = {}
        self.blocks: dict[str, Block] = {}
        self._reports_page_id: str | None = None

    # --- set-up and inspection for tests -------------------------------------------------

    @property
    def reports_page_id(self) -> str:
        """A "Reports" page shared with the integration (created on first use)."""
        with self.workspace.lock:
            if self._reports_page_id is None:
                page = self.create_page(self.workspace.root_page_id, [_text_item("Reports")])
                self._reports_page_id = page.id
            return self._reports_page_id

    def child_pages(self, parent_id: str, *, include_trashed: bool = False) -> list[ContentPage]:
        """The pages directly under `parent_id`, in creation order."""
        return [
            page
            for page in self.pages.values()
            if page.parent_page_id == parent_id and (include_trashed or not page.in_trash)
        ]

    def outline(self, block_id: str) -> list[dict[str, Any]]:
        """The live blocks under `block_id` as `{"type", "text", "children"?}` (plain text of
        rich text, table rows as lists of cell texts): what a reader of the page sees."""
        result = []
        for child in self.live_children(block_id):
            entry: dict[str, Any] = {"type": child.type, "text": self.block_text(child)}
            if child.children:
                entry["children"] = self.outline(child.id)
            result.append(entry)
        return result

    def block_text(self, block: Block) -> Any:
        if block.type == "table_row":
            return ["".join(_plain(item) for item in cell) for cell in block.payload["cells"]]
        if block.type == "child_page":
            return block.payload.get("title", "")
        return "".join(_plain(item) for item in block.payload.get("rich_text", []))

    def trash(self, page_id: str) -> None:
        """Move a content page to the trash, as a user would in Notion's UI."""
        with self.workspace.lock:
            self.pages[page_id].in_trash = True
            if page_id in self.blocks:
                self.blocks[page_id].in_trash = True

    # --- mutations -----------------------------------------------------------------------

    def create_page(self, parent_page_id: str | None, title: list[dict[str, Any]]) -> ContentPage:
        now = minute(self.workspace.now())
        page = ContentPage(str(uuid.uuid4()), parent_page_id, title, now, now)
        self.pages[page.id] = page
        parent = self.pages.get(parent_page_id or "")
        if parent is not None:
            self.blocks[page.id] = Block(
                page.id,
                "child_page",
                {"title": "".join(_plain(item) for item in title)},
                parent.id,
                True,
                now,
                now,
            )
            parent.children.append(page.id)
            parent.last_edited_time = now
        return page

    def append(self, parent_id: str, blocks: list[dict[str, Any]]) -> list[Block]:
        """Append already-validated block inputs (with nested `children`) under `parent_id`."""
        now = minute(self.workspace.now())
        parent_is_page = parent_id in self.pages
        added = []
        for raw in blocks:
            kind = block_type(raw)
            payload = dict(raw[kind])
            nested = payload.pop("children", None) or []
            block = Block(str(uuid.uuid4()), kind, payload, parent_id, parent_is_page, now, now)
            self.blocks[block.id] = block
            self._children_list(parent_id).append(block.id)
            if nested:
                self.append(block.id, nested)
            added.append(block)
        self._touch(parent_id, now)
        return added

    def delete(self, block_id: str) -> Block:
        block = self.blocks[block_id]
        block.in_trash = True
        if block.type == "child_page" and block_id in self.pages:
            self.pages[block_id].in_trash = True
        self._touch(block.parent_id, minute(self.workspace.now()))
        return block

    def live_children(self, parent_id: str) -> list[Block]:
        return [
            self.blocks[child]
            for child in self._children_list(parent_id)
            if not self.blocks[child].in_trash
        ]

    def _children_list(self, parent_id: str) -> list[str]:
        if parent_id in self.pages:
            return self.pages[parent_id].children
        return self.blocks[parent_id].children

    def _touch(self, object_id: str, now: datetime) -> None:
        target = self.pages.get(object_id) or self.blocks.get(object_id)
        if target is not None:
            target.last_edited_time = now

    # --- rendering -----------------------------------------------------------------------

    def render_page(self, page: ContentPage) -> dict[str, Any]:
        bot = {"object": "user", "id": self.workspace.bot.id}
        title = self.render_rich_text(page.title)
        slug = "-".join("".join(_plain(i) for i in page.title).split())[:60]
        parent = (
            {"type": "page_id", "page_id": page.parent_page_id}
            if page.parent_page_id
            else {"type": "workspace", "workspace": True}
        )
        return {
            "object": "page",
            "id": page.id,
            "created_time": _iso(page.created_time),
            "last_edited_time": _iso(page.last_edited_time),
            "created_by": bot,
            "last_edited_by": bot,
            "cover": None,
            "icon": None,
            "parent": parent,
            "archived": page.in_trash,
            "in_trash": page.in_trash,
            "is_archived": page.in_trash,
            "is_locked": False,
            "properties": {"title": {"id": "title", "type": "title", "title": title}},
            "url": f"https://www.notion.so/{slug}-{_nodash(page.id)}",
            "public_url": None,
        }

    def render_block(self, block: Block) -> dict[str, Any]:
        bot = {"object": "user", "id": self.workspace.bot.id}
        payload = json.loads(json.dumps(block.payload))
        if "rich_text" in payload:
            payload["rich_text"] = self.render_rich_text(payload["rich_text"])
        if block.type == "table_row":
            payload["cells"] = [self.render_rich_text(cell) for cell in payload["cells"]]
        parent_key = "page_id" if block.parent_is_page else "block_id"
        return {
            "object": "block",
            "id": block.id,
            "parent": {"type": parent_key, parent_key: block.parent_id},
            "created_time": _iso(block.created_time),
            "last_edited_time": _iso(block.last_edited_time),
            "created_by": bot,
            "last_edited_by": bot,
            "has_children": bool(block.children),
            "archived": block.in_trash,
            "in_trash": block.in_trash,
            "type": block.type,
            block.type: payload,
        }

    def render_rich_text(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [self._render_item(item) for item in items]

    def _render_item(self, item: dict[str, Any]) -> dict[str, Any]:
        annotations = {**DEFAULT_ANNOTATIONS, **(item.get("annotations") or {})}
        if "mention" in item:
            page_id = item["mention"]["page"]["id"]
            return {
                "type": "mention",
                "mention": {"type": "page", "page": {"id": page_id}},
                "annotations": annotations,
                "plain_text": self._page_title(page_id),
                "href": f"https://www.notion.so/{_nodash(page_id)}",
            }
        text = item["text"]
        link = text.get("link")
        return {
            "type": "text",
            "text": {"content": text["content"], "link": link},
            "annotations": annotations,
            "plain_text": text["content"],
            "href": link["url"] if link else None,
        }

    def _page_title(self, page_id: str) -> str:
        row = self.workspace.page(page_id)
        if row is not None:
            return self.workspace.title(row) or "Untitled"
        page = self.pages.get(page_id)
        return "".join(_plain(i) for i in page.title) if page else "Untitled"


def block_type(raw: dict[str, Any]) -> str:
    """A block input's type: its `type`, or (as Notion allows) its one type-named key."""
    kind = raw.get("type")
    if isinstance(kind, str):
        return kind
    keys = [key for key in raw if key != "object"]
    return keys[0] if len(keys) == 1 else ""


def _plain(item: dict[str, Any]) -> str:
    if "mention" in item:
        return item.get("plain_text") or "@page"
    return str((item.get("text") or {}).get("content", ""))


def _text_item(content: str) -> dict[str, Any]:
    return {"type": "text", "text": {"content": content}}
