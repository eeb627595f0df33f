"""Running a flow in the CLI's own process, against this home's Prefect server when one runs."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from cli.prefect_server import DEFAULT_UI_URL
from cli.temporary_server import TemporaryServer
from models.errors import ConductorError

T = TypeVar("T")


def run_in_process(flow: Callable[..., T], /, **parameters: Any) -> T:
    """Call `flow` here and now, tagged `conductor`, on the Prefect API `prepare_prefect`
    chose, without flow-run heartbeats.

    The tag is what deployment runs carry too (`deployments.TAGS`), so a run started from the
    CLI or the demo is found by the same filter in the Prefect UI.

    Heartbeats let a Prefect server mark a run as crashed when the process running it vanishes
    silently — the job of `conductor serve` and workers, which keep them. A CLI run reports its
    own failure in the terminal, and Prefect 3.8 joins each run's heartbeat thread on exit,
    which costs up to a second per flow run (measured: the 5-flow pipeline's orchestration
    drops from ~5.1 s to ~0.4 s without it).
    """
    global _temporary
    api_url = prepare_prefect()
    from prefect import tags
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
        PREFECT_UI_URL,
        temporary_settings,
    )

    from deployments import TAGS

    if _temporary is not None and PREFECT_API_URL.value():
        # Prefect's own configuration (a profile, `.env`, prefect.toml), which only Prefect
        # reads, names a server after all: that is the user's choice.
        _temporary.stop()
        _temporary, api_url = None, PREFECT_API_URL.value()
    elif _temporary is not None:
        api_url = _temporary.wait_until_ready()

    updates: dict[Any, Any] = {PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}
    if api_url:
        updates[PREFECT_API_URL] = api_url
    if _temporary is not None:
        # Its runs stay in this home's database, where `conductor server` shows them later.
        updates[PREFECT_UI_URL] = DEFAULT_UI_URL
    quiet = _UserErrorsWithoutTracebacks()
    handlers = _console_handlers()
    for handler in handlers:
        handler.addFilter(quiet)
    try:
        with temporary_settings(updates=updates), tags(*TAGS):
            return flow(**parameters)
    finally:
        for handler in handlers:
            handler.removeFilter(quiet)


_UNDECIDED = object()
_decided: Any = _UNDECIDED
_temporary: TemporaryServer | None = None


def prepare_prefect() -> str | None:
    """Decide, once per process, where this command's flow runs go; call it early.

    With this home's `conductor server` (or PREFECT_API_URL) that is decided in milliseconds.
    With neither, a temporary server for this home is spawned now (`cli.temporary_server`), so
    its start-up overlaps the command's own imports and set-up instead of following them; the
    first flow run waits until it answers.
    """
    global _decided, _temporary
    if _decided is _UNDECIDED:
        _decided = use_prefect_server()
        if _decided is None:
            _temporary = TemporaryServer(_prefect_home())
            _temporary.start()
    return _decided


def use_prefect_server(hint: bool = True, home: Path | None = None) -> str | None:
    """The Prefect API this process's flow runs go to (`cli.prefect_server.prefect_api_for`).

    A server found for this home is also put in `PREFECT_API_URL` for the rest of the process
    (child processes, `conductor serve`, the story's "these runs are in the UI at …" see it).
    With none, says once (unless `hint` is false) how to skip the temporary server's start-up.
    `home` defaults to the settings' CONDUCTOR_HOME.
    """
    global _hinted
    from cli.output import err_console
    from cli.prefect_server import NO_SERVER_HINT, prefect_api_for
    from models.settings import get_settings

    api_url, found = prefect_api_for(home or get_settings().home, _prefect_setting())
    if found and api_url:
        os.environ["PREFECT_API_URL"] = api_url
    elif api_url is None and hint and not _hinted:
        _hinted = True
        err_console.print(f"[dim]{NO_SERVER_HINT}[/]", soft_wrap=True, highlight=False)
    return api_url


_hinted = False


def _prefect_home() -> Path:
    """Prefect's home as the server will see it (`models.settings.apply_process_defaults`
    puts it under CONDUCTOR_HOME)."""
    return Path(os.environ.get("PREFECT_HOME") or "~/.prefect").expanduser().resolve()


def _prefect_setting() -> str | None:
    """PREFECT_API_URL as Prefect's current settings have it, if Prefect is loaded already (a
    test harness sets it there); not imported just to ask, which would cost a second."""
    if "prefect.context" not in sys.modules:
        return None
    from prefect.settings import PREFECT_API_URL

    return PREFECT_API_URL.value() or None


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
