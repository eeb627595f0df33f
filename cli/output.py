"""Console helpers: Rich for people, plain JSON on stdout for `--json`."""

from __future__ import annotations

import json
import os
import sys
from datetime import date, datetime
from typing import Any

from rich.console import Console

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


console = Console(**_console_options(sys.stdout))
#: Diagnostics and progress go to stderr so `--json` output stays parseable.
err_console = Console(stderr=True, **_console_options(sys.stderr))


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def print_json(payload: Any) -> None:
    """Write `payload` as JSON to stdout and nothing else."""
    sys.stdout.write(json.dumps(payload, default=_default, ensure_ascii=False, indent=2) + "\n")
    sys.stdout.flush()


def print_markdown(text: str) -> None:
    """Markdown rendered for a terminal; the Markdown itself (a valid `.md`) anywhere else, since
    Rich would draw headings as boxes the console's full width across."""
    if console.is_terminal:
        from rich.markdown import Markdown

        console.print(Markdown(text))
    else:
        console.print(text, markup=False, highlight=False, emoji=False)
