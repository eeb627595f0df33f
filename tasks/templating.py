"""The Jinja environments every rendered text comes from, and the Markdown escapers.

Two kinds of output, two environments over a folder of `templates/`:

- **HTML** (the sprint report, the email's HTML part): autoescaped, so Notion text and model
  output can never become markup.
- **Plain text** (model prompts, the email's text part): not escaped (there is no markup to
  break); what crosses a trust boundary is neutralised by the caller (`fence_safe` for prompts).

Both fail on an undefined variable instead of rendering an empty string, and trim block tags'
own lines, so templates can be laid out readably. Built once per folder and kind.

Markdown has no autoescaping, and the Prefect UI renders artifacts (Markdown, table cells,
descriptions) with GitHub-flavoured Markdown and raw HTML allowed. So text from outside goes
through one of two escapers before it enters Markdown:

- `escape_markdown` for Notion text (titles, names): every piece of syntax escaped, shown
  literally;
- `neutralise_markdown` for model output, which is Markdown by design: headings, lists and
  emphasis kept, but no link, image, HTML tag or autolink can come out of it.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Literal

from jinja2 import Environment, FileSystemLoader, StrictUndefined

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"

_MARKDOWN_SYNTAX = re.compile(r"([\\`*_{}\[\]()<>#!|~])")
#: A list marker (`- `, `+ `, `1. `) is syntax only at the start of a line: escaped there,
#: so keys and words with dashes (`ENG-12`, `log-in`) stay as they are written.
_LIST_MARKER = re.compile(r"^(\s*)([-+]|\d+[.)])")
#: What GitHub-flavoured Markdown turns into a link without any brackets: `scheme://`,
#: `www.` and e-mail addresses. Escaping the `:`, `.` or `@` stops the autolink.
#: Each pattern starts at an even run of backslashes, so `\\[` (a literal backslash, then a
#: bracket) is escaped too: only an odd run means the character is already escaped.
_AUTOLINK_TRIGGER = re.compile(r"(?i)(?<=[a-z]):(?=//)|(?<=\bwww)\.|(?<!\\)((?:\\\\)*)@")
#: Link, image, HTML and `<autolink>` openers not already escaped.
_LINK_OR_HTML = re.compile(r"(?<!\\)((?:\\\\)*)([\[\]<])")
_LINE_BREAK = re.compile(r"\r\n?|[\n\u2028\u2029]")


@cache
def environment(folder: str, kind: Literal["html", "text"]) -> Environment:
    """The environment over `templates/<folder>` for `kind` output."""
    return Environment(
        loader=FileSystemLoader(TEMPLATES_DIR / folder),
        autoescape=kind == "html",
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=kind == "text",
    )


def escape_markdown(text: str) -> str:
    """`text` shown literally on one line of Markdown (Prefect artifacts, summary files): no
    links, images, HTML, emphasis, headings, table cells or new lines can come out of Notion
    text."""
    one_line = _LINE_BREAK.sub(" ", text)
    escaped = _MARKDOWN_SYNTAX.sub(r"\\\1", one_line)
    escaped = _LIST_MARKER.sub(
        lambda m: m.group(1) + m.group(2)[:-1] + "\\" + m.group(2)[-1], escaped
    )
    return _defuse_autolinks(escaped)


def neutralise_markdown(text: str) -> str:
    """Model-written Markdown with its structure (headings, lists, emphasis, tables) kept but
    every link, image, raw HTML tag and autolink made literal text: the model never chooses
    what a reader can click, even when it quotes a hostile ticket title."""
    return _defuse_autolinks(_LINK_OR_HTML.sub(r"\1\\\2", text))


def _defuse_autolinks(text: str) -> str:
    return _AUTOLINK_TRIGGER.sub(lambda m: m.group(0)[:-1] + "\\" + m.group(0)[-1], text)
