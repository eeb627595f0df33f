"""The daily summary's Markdown as the email's HTML and as clean plain text.

The summary is a document of its own, with its own `#` title, shown inside an email that has
its own title and section headings: its headings are demoted (`#` → h3, `##` → h4, …) and
styled inline (mail clients drop `<style>`), so none outranks the email's own. A plain-text
reader gets the words without Markdown's `#`, `**` and `_`, and a bullet wrapped only between
words, with a hanging indent, so an item never looks like two.

Input is trusted by neither function: `tasks.email.render` strips control characters first
and passes `scrub` (its link removal), which runs on the text as a reader will see it (after
the parser has decoded backslash escapes, so `https\\://` is caught as `https://`); and the
parser has raw HTML, links, images and autolinks turned off, so their syntax stays literal
text.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from typing import Any

#: Demoted heading tags and their inline style: every summary heading stays below the email's
#: section titles (15 px bold).
HEADING_TAGS = {"h1": "h3", "h2": "h4", "h3": "h5", "h4": "h6", "h5": "h6", "h6": "h6"}
HEADING_STYLE = "margin:14px 0 6px 0;font-size:14px;font-weight:bold;color:#202124;"
PARAGRAPH_STYLE = "margin:0 0 8px 0;"
LIST_STYLE = "margin:0 0 8px 0;padding-left:20px;"

#: Plain-text line width (RFC 5322 recommends at most 78 characters).
TEXT_WIDTH = 76


def _parser() -> Any:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False}).disable(["link", "image", "autolink"])


def _parse(md: Any, markdown_text: str, scrub: Callable[[str], str] | None) -> list[Any]:
    """`md`'s tokens of `markdown_text`, with `scrub` applied to every piece of shown text."""
    tokens = md.parse(markdown_text)
    if scrub is not None:
        for token in tokens:
            if token.type in ("fence", "code_block"):
                token.content = scrub(token.content)
            for child in token.children or ():
                if child.type in ("text", "code_inline"):
                    child.content = scrub(child.content)
    return tokens


def markdown_html(markdown_text: str, scrub: Callable[[str], str] | None = None) -> str:
    """The summary as HTML with demoted, inline-styled headings, paragraphs and lists."""
    md = _parser()
    tokens = _parse(md, markdown_text, scrub)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = HEADING_TAGS[token.tag]
        if token.type == "heading_open":
            token.attrSet("style", HEADING_STYLE)
        elif token.type == "paragraph_open" and not token.hidden:
            token.attrSet("style", PARAGRAPH_STYLE)
        elif token.type in ("bullet_list_open", "ordered_list_open"):
            token.attrSet("style", LIST_STYLE)
    return md.renderer.render(tokens, md.options, {})


def markdown_text(
    markdown_text: str, width: int = TEXT_WIDTH, scrub: Callable[[str], str] | None = None
) -> list[str]:
    """The summary as plain-text lines: headings and paragraphs as text, `- ` bullets (`1. `
    numbers) with a hanging indent, code indented as it was; blocks apart by one blank line."""
    lines: list[str] = []
    markers: list[str] = []  # one per open list: "-" or the next number
    item_prefix: str | None = None  # the marker of a list item whose first line is pending
    tokens = _parse(_parser(), markdown_text, scrub)
    for token in tokens:
        depth = "  " * max(0, len(markers) - 1)
        if token.type == "bullet_list_open":
            markers.append("-")
        elif token.type == "ordered_list_open":
            markers.append(str(int(token.attrGet("start") or 1)))
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            markers.pop()
            if not markers:
                lines.append("")
        elif token.type == "list_item_open":
            marker = markers[-1]
            item_prefix = f"{depth}{marker}{'' if marker == '-' else '.'} "
            if marker != "-":
                markers[-1] = str(int(marker) + 1)
        elif token.type == "inline":
            words = _plain(token.children or [])
            if item_prefix is not None:
                hanging = " " * len(item_prefix)
                lines += _wrap(words, width, item_prefix, hanging)
                item_prefix = None
            elif markers:
                lines += _wrap(words, width, depth + "  ", depth + "  ")
            else:
                lines += [*_wrap(words, width, "", ""), ""]
        elif token.type in ("fence", "code_block"):
            lines += ["    " + line for line in token.content.rstrip("\n").splitlines()]
            lines.append("")
        elif token.type == "hr":
            lines += ["-" * 20, ""]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _plain(children: list[Any]) -> str:
    """Inline tokens as text: emphasis markers dropped, breaks as spaces, whitespace collapsed."""
    parts = []
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return " ".join("".join(parts).split())


def _wrap(words: str, width: int, first: str, rest: str) -> list[str]:
    """`words` wrapped between words only (a long word or URL stays whole on its own line)."""
    return textwrap.wrap(
        words,
        width=width,
        initial_indent=first,
        subsequent_indent=rest,
        break_long_words=False,
        break_on_hyphens=False,
    ) or [first.rstrip()]
