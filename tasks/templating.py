"""The Jinja environments every rendered text comes from, and the one Markdown escaper.

Two kinds of output, two environments over a folder of `templates/`:

- **HTML** (the sprint report, the email's HTML part): autoescaped, so Notion text and model
  output can never become markup.
- **Plain text** (model prompts, the email's text part): not escaped (there is no markup to
  break); what crosses a trust boundary is neutralised by the caller (`fence_safe` for prompts).

Both fail on an undefined variable instead of rendering an empty string, and trim block tags'
own lines, so templates can be laid out readably. Built once per folder and kind.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Literal

from jinja2 import Environment, FileSystemLoader, StrictUndefined

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"

_MARKDOWN_SYNTAX = re.compile(r"([\\`*_{}\[\]()<>#+!|~-])")


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
    """`text` shown literally in Markdown (Prefect artifacts): no links, images, HTML, emphasis,
    headings or table cells can come out of Notion text."""
    return _MARKDOWN_SYNTAX.sub(r"\\\1", text)
