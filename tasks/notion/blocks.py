"""Markdown (the daily summary) and plain facts → Notion block objects, within Notion's limits.

Pure functions, no I/O. What a caller must know:

- **Links come from our tickets only.** A ticket key (`ENG-12`) becomes a link to that ticket's
  Notion page only when `tickets` (key → Notion page id, from our database) knows it; the URL is
  built from the page id, never taken from the text. Markdown links in model output keep their
  text and lose their URL, so a model cannot place a link in the team's workspace. A look-alike
  (`ENG-12a`, `XENG-12`, a key we never stored) stays plain text.
- **Size limits** (Notion's "Request limits"): each text item holds ≤ 2,000 characters and a
  block ≤ 100 rich-text items, so long text is cut into several items and, past 100 items, into
  several blocks of the same type. Batching blocks per request is `publish.batches`.
- Supported Markdown: `#`/`##`/`###` headings, `-`/`*` bullets, `1.` numbered items, `>` quotes,
  `---` dividers, paragraphs (consecutive lines join with a line break), and inline `**bold**`,
  `_italic_`/`*italic*` and `` `code` ``. Anything else is text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

#: Notion's limit for one text item's `content`.
TEXT_LIMIT = 2000
#: Notion's limit for the items of one rich-text array.
RICH_TEXT_ITEMS_LIMIT = 100

Block = dict[str, Any]
RichText = list[dict[str, Any]]

#: A ticket key standing alone: not glued to letters, digits, `-` or `_` on either side.
TICKET_KEY = re.compile(r"(?<![\w-])([A-Z][A-Z0-9]{0,9}-\d{1,7})(?![\w-])")
_INLINE = re.compile(
    r"\*\*(?P<bold>[^*\n]+?)\*\*"
    r"|`(?P<code>[^`\n]+)`"
    r"|(?<![\w*])\*(?P<star>[^*\n]+?)\*(?![\w*])"
    r"|(?<![\w])_(?P<under>[^_\n]+?)_(?![\w])"
    r"|\[(?P<label>[^\]\n]+)\]\((?P<url>[^)\s]+)\)"
)
_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_BULLET = re.compile(r"^\s*[-*+]\s+(.*)$")
_NUMBERED = re.compile(r"^\s*\d{1,3}[.)]\s+(.*)$")
_QUOTE = re.compile(r"^\s*>\s?(.*)$")
_DIVIDER = re.compile(r"^\s*(?:-{3,}|\*{3,}|_{3,})\s*$")


def page_url(page_id: str) -> str:
    """The Notion URL of a page, built from its id alone."""
    return f"https://www.notion.so/{page_id.replace('-', '')}"


def rich_text(
    text: str,
    tickets: Mapping[str, str] | None = None,
    *,
    bold: bool = False,
    italic: bool = False,
    code: bool = False,
    markdown: bool = True,
) -> RichText:
    """`text` as rich-text items: inline Markdown (when `markdown`) as annotations, known ticket
    keys as links to their pages, every item ≤ 2,000 characters. May exceed 100 items: block
    builders split those (`split_block`)."""
    items: RichText = []
    position = 0
    for match in _INLINE.finditer(text) if markdown else ():
        items += _keyed(text[position : match.start()], tickets, bold, italic, code)
        if match["bold"] is not None:
            items += _keyed(match["bold"], tickets, True, italic, code)
        elif match["code"] is not None:
            items += _keyed(match["code"], tickets, bold, italic, True)
        elif match["star"] is not None or match["under"] is not None:
            items += _keyed(match["star"] or match["under"], tickets, bold, True, code)
        else:  # a Markdown link: the label stays, the URL chosen by the text does not
            items += _keyed(match["label"], tickets, bold, italic, code)
        position = match.end()
    items += _keyed(text[position:], tickets, bold, italic, code)
    return items


def _keyed(
    text: str, tickets: Mapping[str, str] | None, bold: bool, italic: bool, code: bool
) -> RichText:
    items: RichText = []
    position = 0
    for match in TICKET_KEY.finditer(text) if tickets else ():
        page_id = tickets.get(match[1]) if tickets else None
        if page_id is None:
            continue
        items += _text_items(text[position : match.start()], bold, italic, code)
        items += _text_items(match[1], bold, italic, code, link=page_url(page_id))
        position = match.end()
    items += _text_items(text[position:], bold, italic, code)
    return items


def _text_items(
    text: str, bold: bool, italic: bool, code: bool, link: str | None = None
) -> RichText:
    annotations = {
        name: True for name, on in (("bold", bold), ("italic", italic), ("code", code)) if on
    }
    items = []
    for start in range(0, len(text), TEXT_LIMIT):
        item: dict[str, Any] = {
            "type": "text",
            "text": {"content": text[start : start + TEXT_LIMIT]},
        }
        if link:
            item["text"]["link"] = {"url": link}
        if annotations:
            item["annotations"] = dict(annotations)
        items.append(item)
    return items


def block(kind: str, items: RichText) -> Block:
    """One block of `kind` holding `items` (≤ 100 of them; see `split_block`)."""
    return {"object": "block", "type": kind, kind: {"rich_text": items}}


def split_block(kind: str, items: RichText) -> list[Block]:
    """Blocks of `kind` holding `items`, 100 per block (Notion's per-array limit)."""
    if not items:
        return [block(kind, [])]
    return [
        block(kind, items[start : start + RICH_TEXT_ITEMS_LIMIT])
        for start in range(0, len(items), RICH_TEXT_ITEMS_LIMIT)
    ]


def paragraph(text: str, tickets: Mapping[str, str] | None = None) -> list[Block]:
    return split_block("paragraph", rich_text(text, tickets))


def heading(level: int, text: str) -> Block:
    """A heading (levels above 3 become 3); headings hold short text, never links."""
    kind = f"heading_{min(max(level, 1), 3)}"
    return block(kind, rich_text(text, None)[:RICH_TEXT_ITEMS_LIMIT])


def bullet(text: str, tickets: Mapping[str, str] | None = None) -> list[Block]:
    return split_block("bulleted_list_item", rich_text(text, tickets))


def table(rows: list[list[str]], *, header: bool = True) -> Block:
    """A table of plain-text cells; every row must have the same number of cells."""
    width = len(rows[0])
    return {
        "object": "block",
        "type": "table",
        "table": {
            "table_width": width,
            "has_column_header": header,
            "has_row_header": False,
            "children": [
                {
                    "object": "block",
                    "type": "table_row",
                    "table_row": {
                        "cells": [
                            rich_text(cell, markdown=False)[:RICH_TEXT_ITEMS_LIMIT] for cell in row
                        ]
                    },
                }
                for row in rows
            ],
        },
    }


def markdown_blocks(
    markdown: str, tickets: Mapping[str, str] | None = None, *, skip_title: str | None = None
) -> list[Block]:
    """The blocks of a Markdown document; a first heading equal to `skip_title` is dropped
    (the page title already says it)."""
    blocks: list[Block] = []
    paragraph_lines: list[str] = []

    def flush() -> None:
        if paragraph_lines:
            blocks.extend(paragraph("\n".join(paragraph_lines), tickets))
            paragraph_lines.clear()

    for line in markdown.splitlines():
        if not line.strip():
            flush()
            continue
        if _DIVIDER.match(line):
            flush()
            blocks.append({"object": "block", "type": "divider", "divider": {}})
        elif heading_match := _HEADING.match(line):
            flush()
            text = heading_match[2].strip()
            if skip_title is not None and not blocks and text == skip_title:
                continue
            blocks.append(heading(len(heading_match[1]), text))
        elif bullet_match := _BULLET.match(line):
            flush()
            blocks.extend(split_block("bulleted_list_item", rich_text(bullet_match[1], tickets)))
        elif numbered := _NUMBERED.match(line):
            flush()
            blocks.extend(split_block("numbered_list_item", rich_text(numbered[1], tickets)))
        elif quote := _QUOTE.match(line):
            flush()
            blocks.extend(split_block("quote", rich_text(quote[1], tickets)))
        else:
            paragraph_lines.append(line.strip())
    flush()
    return blocks


def keys_in(text: str) -> set[str]:
    """Every candidate ticket key in `text`, to look up in our tickets."""
    return set(TICKET_KEY.findall(text))
