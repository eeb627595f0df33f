"""Notion's request size limits for block and rich-text input, with its 400 answers.

From Notion's "Request limits" page: a rich-text `text.content` or a link URL holds at most
2,000 characters, a rich-text array at most 100 items, one append (or page create) at most 100
children, and a whole payload at most 1,000 block elements and 500 KB. Messages follow Notion's
`body failed validation: <path> should be …, instead was …` form.
"""

from __future__ import annotations

import json
from typing import Any

from sandbox.content import block_type
from sandbox.protocol import ApiError, _invalid
from sandbox.records import normalize_id

MAX_CHILDREN = 100
MAX_RICH_TEXT_ITEMS = 100
MAX_TEXT_CHARS = 2000
MAX_URL_CHARS = 2000
MAX_BLOCK_ELEMENTS = 1000
MAX_PAYLOAD_BYTES = 500 * 1000

#: Block types this sandbox stores; each holds `rich_text` unless listed in `_NO_RICH_TEXT`.
BLOCK_TYPES = frozenset(
    {
        "paragraph",
        "heading_1",
        "heading_2",
        "heading_3",
        "bulleted_list_item",
        "numbered_list_item",
        "quote",
        "callout",
        "to_do",
        "toggle",
        "divider",
        "table",
        "table_row",
    }
)
_NO_RICH_TEXT = frozenset({"divider", "table", "table_row"})


def _too_long(path: str, limit: int, actual: int) -> ApiError:
    return _invalid(
        f"body failed validation: {path}.length should be ≤ `{limit}`, instead was `{actual}`."
    )


def check_payload_size(body: dict[str, Any]) -> None:
    size = len(json.dumps(body, ensure_ascii=False).encode())
    if size > MAX_PAYLOAD_BYTES:
        raise _invalid(
            f"body failed validation: the request body is {size} bytes; "
            f"at most {MAX_PAYLOAD_BYTES} are allowed."
        )


def check_children(children: Any, path: str = "body.children") -> int:
    """Validate a children array (recursively); returns how many block elements it holds."""
    if not isinstance(children, list):
        raise _invalid(f"body failed validation: {path} should be an array.")
    if len(children) > MAX_CHILDREN:
        raise _too_long(path, MAX_CHILDREN, len(children))
    elements = 0
    for index, block in enumerate(children):
        elements += _check_block(block, f"{path}[{index}]")
    if path == "body.children" and elements > MAX_BLOCK_ELEMENTS:
        raise _invalid(
            f"body failed validation: the request has {elements} block elements; "
            f"at most {MAX_BLOCK_ELEMENTS} are allowed."
        )
    return elements


def _check_block(block: Any, path: str) -> int:
    kind = block_type(block) if isinstance(block, dict) else ""
    if kind not in BLOCK_TYPES or not isinstance(block.get(kind), dict):
        raise _invalid(
            f"body failed validation: {path} should be a block object of a supported type, "
            f"instead was `{json.dumps(block)[:100]}`."
        )
    payload = block[kind]
    where = f"{path}.{kind}"
    if kind not in _NO_RICH_TEXT:
        check_rich_text(payload.get("rich_text"), f"{where}.rich_text")
    if kind == "table_row":
        cells = payload.get("cells")
        if not isinstance(cells, list):
            raise _invalid(f"body failed validation: {where}.cells should be an array.")
        for index, cell in enumerate(cells):
            check_rich_text(cell, f"{where}.cells[{index}]")
    elements = 1
    if "children" in payload:
        elements += check_children(payload["children"], f"{where}.children")
    if kind == "table":
        width = payload.get("table_width")
        rows = payload.get("children") or []
        if not isinstance(width, int) or not rows:
            raise _invalid(
                f"body failed validation: {where} needs `table_width` and at least one row."
            )
        for index, row in enumerate(rows):
            cells = (row.get("table_row") or {}).get("cells", [])
            if block_type(row) != "table_row" or len(cells) != width:
                raise _invalid(
                    f"body failed validation: {where}.children[{index}] should be a "
                    f"table_row with {width} cells."
                )
    return elements


def check_rich_text(items: Any, path: str) -> None:
    """Validate one rich-text array: item count, text length, link URL length, mentions."""
    if not isinstance(items, list):
        raise _invalid(f"body failed validation: {path} should be an array.")
    if len(items) > MAX_RICH_TEXT_ITEMS:
        raise _too_long(path, MAX_RICH_TEXT_ITEMS, len(items))
    for index, item in enumerate(items):
        where = f"{path}[{index}]"
        if not isinstance(item, dict):
            raise _invalid(f"body failed validation: {where} should be an object.")
        if "mention" in item:
            page = (item["mention"] or {}).get("page") or {}
            if normalize_id(str(page.get("id", ""))) is None:
                raise _invalid(
                    f"body failed validation: {where}.mention.page.id should be a valid uuid."
                )
            continue
        text = item.get("text")
        if not isinstance(text, dict) or not isinstance(text.get("content"), str):
            raise _invalid(f"body failed validation: {where}.text.content should be a string.")
        if len(text["content"]) > MAX_TEXT_CHARS:
            raise _too_long(f"{where}.text.content", MAX_TEXT_CHARS, len(text["content"]))
        link = text.get("link")
        if link is not None:
            url = link.get("url") if isinstance(link, dict) else None
            if not isinstance(url, str) or not url:
                raise _invalid(f"body failed validation: {where}.text.link.url should be a URL.")
            if len(url) > MAX_URL_CHARS:
                raise _too_long(f"{where}.text.link.url", MAX_URL_CHARS, len(url))
