"""Console helpers: Rich for people, plain JSON on stdout for `--json`, and the terminal rules
for untrusted text.

Ticket titles, sprint and people names, descriptions and model answers are untrusted (see
`models.untrusted_text`). Everything printed to a terminal goes through `terminal_safe`:

- commands build Rich markup with `shown(value)`, which strips terminal control (escape
  sequences, controls, bidi and zero-width characters) and escapes Rich markup, so a title
  like `[bold red]…` or `[link=…]` is printed as the characters it is;
- Markdown (summaries, answers) goes through `markdown(text)`: sanitised, and links shown with
  their address instead of becoming clickable terminal hyperlinks;
- both consoles carry a render hook that sanitises the text of every rendered segment, so a
  value a command forgot to pass through `shown` still cannot reach the terminal raw.

`visible(value)` is for confirmations: it shows hidden characters as escapes (`\\x1b[8m`,
`\\u202e`) instead of dropping them, so the user confirms exactly what will be written.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from rich.console import Console, ConsoleOptions, ConsoleRenderable, RenderHook, RenderResult
from rich.markup import escape
from rich.segment import Segment
from rich.text import Text

from models.untrusted_text import INVISIBLE, show_invisible, strip_escape_sequences

if TYPE_CHECKING:
    from rich.markdown import Markdown


def terminal_safe(value: Any) -> str:
    """`value` as text a terminal shows and cannot obey: escape sequences removed whole, other
    control, bidi and zero-width characters removed; newlines, tabs and ordinary Unicode
    (accents, CJK, emoji) kept."""
    text = strip_escape_sequences("" if value is None else str(value))
    return INVISIBLE.sub("", text)


def shown(value: Any) -> str:
    """`value` for a Rich markup string or table cell: terminal-safe and markup-escaped."""
    return escape(terminal_safe(value))


def visible(value: Any) -> str:
    """`value` with every hidden character shown as a backslash escape (newlines kept), markup
    escaped: for confirming what will be written somewhere."""
    return escape(show_invisible("" if value is None else str(value), keep_newlines=True))


def markdown(text: str) -> Markdown:
    """Untrusted Markdown (a summary, an answer) for the terminal: sanitised, and links printed
    with their address (`text (url)`) rather than as hidden OSC 8 hyperlinks. (Rich's Markdown
    is imported here: commands that print none skip its import.)"""
    from rich.markdown import Markdown

    return Markdown(terminal_safe(text), hyperlinks=False)


class _SanitisedSegments:
    """A renderable whose segments' text is passed through `terminal_safe` (Rich's own
    control segments, such as the status spinner's cursor moves, are left alone)."""

    def __init__(self, inner: ConsoleRenderable) -> None:
        self.inner = inner

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for segment in console.render(self.inner, options):
            if segment.control:
                yield segment
            else:
                yield Segment(terminal_safe(segment.text), segment.style)


class _TerminalSafety(RenderHook):
    def process_renderables(self, renderables: list[ConsoleRenderable]) -> list[ConsoleRenderable]:
        return [_SanitisedSegments(r) for r in renderables]  # type: ignore[misc]


class _SafeConsole(Console):
    """A Console that sanitises every string before it becomes Rich text (what `print` and
    table cells are given), and every rendered segment after (Markdown, Text built elsewhere).

    The string-level pass removes an escape sequence whole, before markup parsing and
    highlighting can split it across segments; the segment-level pass is the net under
    everything else.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.push_render_hook(_TerminalSafety())

    def render_str(self, text: str, **kwargs: Any) -> Text:
        return super().render_str(terminal_safe(text), **kwargs)


#: Width of a console that is not a terminal (a pipe, a file, a CI log): wide enough that Rich
#: never breaks a line, so `conductor … | grep` and copied commands see whole lines.
UNWRAPPED_WIDTH = 1_000


def _console_options(stream: Any) -> dict[str, Any]:
    """Soft-wrapped and wide when `stream` is not a terminal, unless COLUMNS says otherwise.

    Rich assumes 80 columns without a terminal and hard-wraps every line there (splitting
    `uv run conductor tickets --sprint current` after `--sprint`).
    """
    is_terminal = getattr(stream, "isatty", lambda: False)()
    if is_terminal or os.environ.get("COLUMNS"):
        return {}
    return {"soft_wrap": True, "width": UNWRAPPED_WIDTH}


console = _SafeConsole(**_console_options(sys.stdout))
#: Diagnostics and progress go to stderr so `--json` output stays parseable.
err_console = _SafeConsole(stderr=True, **_console_options(sys.stderr))


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def print_json(payload: Any) -> None:
    """Write `payload` as JSON to stdout and nothing else.

    JSON is for programs: strings keep their exact characters, and control characters are
    `\\u` escapes (the JSON encoder writes them so), which a terminal does not obey; the
    bidi and zero-width characters that `ensure_ascii=False` would keep literal are escaped too.
    """
    text = json.dumps(payload, default=_default, ensure_ascii=False, indent=2)
    sys.stdout.write(_escape_format_chars(text) + "\n")
    sys.stdout.flush()


def _escape_format_chars(text: str) -> str:
    return INVISIBLE.sub(lambda m: _json_escape(m.group(0)), text)


def _json_escape(char: str) -> str:
    """`char` as a JSON `\\u` escape (a surrogate pair above the Basic Multilingual Plane)."""
    units = char.encode("utf-16-be")
    return "".join(f"\\u{int.from_bytes(units[i : i + 2]):04x}" for i in range(0, len(units), 2))


def print_markdown(text: str) -> None:
    """Untrusted Markdown rendered for a terminal (see `markdown`); the Markdown itself, made
    terminal-safe, anywhere else (a valid `.md`), since Rich would draw headings as boxes the
    console's full width across."""
    if console.is_terminal:
        console.print(markdown(text))
    else:
        console.print(terminal_safe(text), markup=False, highlight=False, emoji=False)
