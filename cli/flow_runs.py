"""Running a flow in the CLI's own process."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from models.errors import ConductorError

T = TypeVar("T")


def run_in_process(flow: Callable[..., T], /, **parameters: Any) -> T:
    """Call `flow` here and now, tagged `conductor`, without flow-run heartbeats.

    The tag is what deployment runs carry too (`deployments.TAGS`), so a run started from the
    CLI or the demo is found by the same filter in the Prefect UI.

    Heartbeats let a Prefect server mark a run as crashed when the process running it vanishes
    silently — the job of `conductor serve` and workers, which keep them. A CLI run reports its
    own failure in the terminal, and Prefect 3.8 joins each run's heartbeat thread on exit,
    which costs up to a second per flow run (measured: the 5-flow pipeline's orchestration
    drops from ~5.1 s to ~0.4 s without it).
    """
    from prefect import tags
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    from deployments import TAGS

    quiet = _UserErrorsWithoutTracebacks()
    handlers = _console_handlers()
    for handler in handlers:
        handler.addFilter(quiet)
    try:
        with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}), tags(*TAGS):
            return flow(**parameters)
    finally:
        for handler in handlers:
            handler.removeFilter(quiet)


class _UserErrorsWithoutTracebacks(logging.Filter):
    """On the terminal, a failure the user can fix (a `ConductorError`: wrong token, unshared
    database, …) is one line; its traceback would bury the fix. The Prefect UI still gets it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], ConductorError):
            record.exc_info = None
            record.exc_text = None
        return True


def _console_handlers() -> list[logging.Handler]:
    return [
        handler
        for name in ("", "prefect")
        for handler in logging.getLogger(name).handlers
        if isinstance(handler, logging.StreamHandler)
    ]
