"""Put a titled page of blocks under a parent page, once: create it, or replace its content.

`publish_page` is idempotent over reruns, lost state and pages a user trashed:

1. A remembered page id is checked (`GET /v1/pages/{id}`); trashed or gone → forgotten. When its
   content hash matches what we would write, nothing is written (one request in all).
2. Without a live remembered page (a new or wiped database), the parent's child pages are
   listed and one with the same title is adopted, so a lost database never makes a second page.
3. Found → its blocks are deleted and the new ones appended; not found → the page is created
   with its first batch of blocks and the rest appended.

Notion has no bulk delete or replace, so an update costs one request per old top-level block:
blocks at the start that already read the same are kept, and only the rest is rewritten.
Batches respect Notion's request limits (≤ 100 blocks, ≤ 1,000 block elements, < 500 KB). A
failure half way leaves a half-written page that the next run rewrites.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from tasks.notion.blocks import Block, page_url
from tasks.notion.client import NotionGateway
from tasks.notion.errors import NotionAccessError

MAX_BLOCKS_PER_REQUEST = 100
MAX_ELEMENTS_PER_REQUEST = 1000
#: Below Notion's 500 KB payload limit, leaving room for the rest of the body.
MAX_BATCH_BYTES = 400_000

Action = Literal["created", "updated", "unchanged"]


@dataclass(frozen=True)
class Published:
    """What `publish_page` did: the page, how, and what it cost."""

    page_id: str
    url: str
    action: Action
    blocks: int
    requests: int
    content_hash: str


def content_hash(title: str, blocks: list[Block]) -> str:
    payload = json.dumps({"title": title, "blocks": blocks}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


def batches(blocks: list[Block]) -> Iterator[list[Block]]:
    """`blocks` in request-sized batches, in order (see the module docstring for the limits)."""
    batch: list[Block] = []
    elements = size = 0
    for item in blocks:
        item_elements = _elements(item)
        item_size = len(json.dumps(item, ensure_ascii=False).encode())
        if batch and (
            len(batch) == MAX_BLOCKS_PER_REQUEST
            or elements + item_elements > MAX_ELEMENTS_PER_REQUEST
            or size + item_size > MAX_BATCH_BYTES
        ):
            yield batch
            batch, elements, size = [], 0, 0
        batch.append(item)
        elements += item_elements
        size += item_size
    if batch:
        yield batch


def _elements(item: Block) -> int:
    payload = item.get(item["type"]) or {}
    return 1 + sum(_elements(child) for child in payload.get("children") or [])


def publish_page(
    gateway: NotionGateway,
    parent_page_id: str,
    title: str,
    blocks: list[Block],
    *,
    known_page_id: str | None = None,
    known_hash: str | None = None,
) -> Published:
    """Make the page titled `title` under `parent_page_id` hold exactly `blocks`."""
    start = gateway.stats.as_dict()["requests"]
    digest = content_hash(title, blocks)
    page = _live_page(gateway, known_page_id) if known_page_id else None
    page_id = str(page["id"]) if page is not None else None
    if page is not None and page_id is not None and _title_of(page) != title:
        gateway.set_page_title(page_id, _title_items(title))  # e.g. the sprint was renamed
    if page_id is not None and known_hash == digest:
        return _result(gateway, start, page_id, "unchanged", blocks, digest)
    if page_id is None:
        page_id = find_child_page(gateway, parent_page_id, title)
    if page_id is None:
        first, *rest = list(batches(blocks)) or [[]]
        page = gateway.create_child_page(parent_page_id, _title_items(title), first)
        page_id = str(page["id"])
        for batch in rest:
            gateway.append_block_children(page_id, batch)
        return _result(gateway, start, page_id, "created", blocks, digest)
    _replace_children(gateway, page_id, blocks)
    return _result(gateway, start, page_id, "updated", blocks, digest)


def find_child_page(gateway: NotionGateway, parent_page_id: str, title: str) -> str | None:
    """The first live child page of `parent_page_id` titled exactly `title`, or None."""
    for child in gateway.block_children(parent_page_id):
        is_page = child.get("type") == "child_page" and not child.get("in_trash")
        if is_page and (child.get("child_page") or {}).get("title") == title:
            return str(child["id"])
    return None


def _live_page(gateway: NotionGateway, page_id: str) -> dict[str, Any] | None:
    """The page object if the page exists and is not in the trash; None if gone or trashed."""
    try:
        page = gateway.retrieve_page(page_id)
    except NotionAccessError as exc:
        if exc.status == 404:
            return None
        raise
    if page.get("in_trash") or page.get("archived"):
        return None
    return page


def _title_of(page: dict[str, Any]) -> str:
    title = ((page.get("properties") or {}).get("title") or {}).get("title") or []
    return "".join(str(item.get("plain_text", "")) for item in title)


def _replace_children(gateway: NotionGateway, page_id: str, blocks: list[Block]) -> None:
    existing = gateway.block_children(page_id)
    keep = 0
    for old, new in zip(existing, blocks, strict=False):
        if old.get("has_children") or _reads(old) != _reads(new):
            break
        keep += 1
    for old in existing[keep:]:
        gateway.delete_block(str(old["id"]))
    for batch in batches(blocks[keep:]):
        gateway.append_block_children(page_id, batch)


def _reads(item: dict[str, Any]) -> tuple[Any, ...]:
    """What a block shows, comparable between what we send and what Notion returns."""
    kind = item.get("type")
    payload = (item.get(kind) or {}) if isinstance(kind, str) else {}
    if payload.get("children"):
        return (kind, "nested", id(item))  # never equal: nested content is not listed here
    text = []
    for part in payload.get("rich_text") or []:
        annotations = part.get("annotations") or {}
        flags = tuple(bool(annotations.get(name)) for name in ("bold", "italic", "code"))
        if part.get("type", "text") == "text":
            content = (part.get("text") or {}).get("content", "")
            link = ((part.get("text") or {}).get("link") or {}).get("url")
        else:
            content, link = json.dumps(part.get("mention"), sort_keys=True), None
        text.append((content, link, flags))
    return (kind, _merge(text))


def _merge(parts: list[tuple[str, str | None, tuple[bool, ...]]]) -> list[tuple[Any, ...]]:
    """Adjacent parts with the same link and annotations joined (Notion may re-cut them)."""
    merged: list[tuple[Any, ...]] = []
    for content, link, flags in parts:
        if merged and merged[-1][1:] == (link, flags):
            merged[-1] = (merged[-1][0] + content, link, flags)
        else:
            merged.append((content, link, flags))
    return merged


def _title_items(title: str) -> list[dict[str, Any]]:
    return [{"type": "text", "text": {"content": title[:2000]}}]


def _result(
    gateway: NotionGateway,
    start: int,
    page_id: str,
    action: Action,
    blocks: list[Block],
    digest: str,
) -> Published:
    return Published(
        page_id=page_id,
        url=page_url(page_id),
        action=action,
        blocks=len(blocks),
        requests=gateway.stats.as_dict()["requests"] - start,
        content_hash=digest,
    )
