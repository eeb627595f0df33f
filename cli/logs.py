"""What log records reach the terminal.

A command's story is what it prints itself; log records are for what the story cannot tell
(a lock held by another run, an LLM that failed over, Redis unreachable). So by default the
terminal gets warnings and errors only, as `warning: …` lines without logger names, and not
Prefect's per-run chatter (`Finished in state Completed()`, the temporary server's banner) nor
its report of a failed run, which the CLI states itself in one line (`cli.app.main`).

Nothing here touches Prefect's API log handler, which sits on the `prefect.flow_runs` and
`prefect.task_runs` loggers: every record still reaches the Prefect UI. `-v` shows every record
from INFO up, with logger names, as Prefect prints it; `-vv` adds debug records.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

#: Loggers of Prefect's flow and task runs: their records also go to the Prefect UI.
RUN_LOGGERS = ("prefect.flow_runs", "prefect.task_runs")


class TerminalHandler(logging.StreamHandler):
    """A handler writing to whatever `sys.stderr` is at the time of each record.

    Bound at emit time so a handler made inside one `CliRunner` invocation never writes into
    a closed stream later. Its class name must not start with `_`: Prefect's `setup_logging`
    leaves the root logger alone only when it sees a handler it counts as the user's.
    """

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


class _NotARunFailure(logging.Filter):
    """Drop errors logged by flow and task runs: the exception reaches the CLI, which says it
    once, with the fix; Prefect's copies (task failed, retries exhausted, flow failed) repeat it
    up to a dozen times."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.levelno >= logging.ERROR and record.name.startswith(RUN_LOGGERS))


class _PlainFormatter(logging.Formatter):
    """`warning: waiting: conductor-ingest is held by …`: the level in lower case, no logger."""

    def format(self, record: logging.LogRecord) -> str:
        message = super().format(record)
        return f"{record.levelname.lower()}: {message}"


def configure_terminal_logging(verbose: int) -> None:
    """Install the one terminal handler on the root logger (replacing an earlier one).

    `verbose` 0 is the story's warnings and errors; 1 (`-v`) every record from INFO up, as
    Prefect prints them; 2 (`-vv`) debug records too, HTTP and parser internals included.
    Called once per command, before anything imports Prefect; safe to call again.
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, TerminalHandler) or type(handler).__name__ == (
            "PrefectConsoleHandler"
        ):
            root.removeHandler(handler)
    handler = TerminalHandler()
    if verbose:
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root.setLevel(logging.DEBUG if verbose > 1 else logging.INFO)
    else:
        handler.setLevel(logging.WARNING)
        handler.addFilter(_NotARunFailure())
        handler.setFormatter(_PlainFormatter("%(message)s"))
        root.setLevel(logging.WARNING)
    root.addHandler(handler)
