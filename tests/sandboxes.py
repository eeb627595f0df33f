"""The suite's one way to serve a Notion sandbox, point Conductor at it, and sync from it.

`tests/conftest.py` builds the `sandbox` fixture on `serving`; a test that needs a second sandbox,
or one for a whole module, uses `serving` itself. Every workspace is generated for `SAMPLE_TODAY`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlmodel import Session

from models.db import get_engine
from models.settings import Settings, load_settings, reload_settings
from sandbox.server import Sandbox, start_sandbox
from sandbox.template_sample import build_workspace
from sandbox.workspace import Workspace
from tasks.notion.client import NotionGateway
from tasks.notion.sync import IngestStats, run_sync
from tests.factories import SAMPLE_TODAY

#: Tickets in the `sandbox` fixture's workspace unless `@pytest.mark.sandbox(n)` says otherwise.
DEFAULT_TICKETS = 150


@contextmanager
def serving(
    n_tickets: int = DEFAULT_TICKETS,
    *,
    prepare: Callable[[Workspace], object] | None = None,
    layout: str = "sample",
    **options: Any,
) -> Iterator[Sandbox]:
    """A sandbox serving the sample workspace of `n_tickets` tickets, stopped on exit.

    `layout` is one of `sandbox.template_sample.LAYOUTS` (`template`: Notion's Projects &
    Sprints template; `template-select`: the same with Status a select). `prepare(workspace)`
    runs before the server starts (extra pages, a frozen clock); `options` go to
    `start_sandbox` (`rate_limit_rps`, `integration_can_read_users`, …).
    """
    workspace = build_workspace(layout, SAMPLE_TODAY, n_tickets=n_tickets)
    if prepare is not None:
        prepare(workspace)
    with start_sandbox(workspace, **options) as server:
        yield server


def settings_for(sandbox: Sandbox, db_url: str, **overrides: Any) -> Settings:
    """Settings that point Notion at `sandbox` and storage at `db_url`, plus `overrides`."""
    values: dict[str, Any] = {
        "notion_token": sandbox.token,
        "notion_base_url": sandbox.base_url,
        "notion_tickets_database_id": sandbox.tickets_database_id,
        "notion_sprints_database_id": sandbox.sprints_database_id,
        "database_url": db_url,
    }
    return load_settings(**(values | overrides))


def sync(
    settings: Settings, *, full_refresh: bool = False, gateway: NotionGateway | None = None
) -> IngestStats:
    """One `run_sync` into `settings.database_url`, through `gateway` or an unthrottled one."""
    with Session(get_engine(settings.database_url)) as session:
        if gateway is not None:
            return run_sync(session, gateway, settings, full_refresh=full_refresh)
        with NotionGateway.from_settings(settings, rps=None) as own:
            return run_sync(session, own, settings, full_refresh=full_refresh)


def synced(sandbox: Sandbox, db_url: str, **overrides: Any) -> Settings:
    """`settings_for(sandbox, db_url, **overrides)`, after one sync with them."""
    settings = settings_for(sandbox, db_url, **overrides)
    sync(settings)
    return settings


def point_environment_at(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, **env: str) -> None:
    """`CONDUCTOR_NOTION_*` in the environment point at `sandbox` with the limiter lifted (the
    sandbox is local), plus `env`; `get_settings()` reads them from now on."""
    for name, value in {
        **sandbox.conductor_environment(),
        "CONDUCTOR_NOTION_RATE_LIMIT_RPS": "1000",
        **env,
    }.items():
        monkeypatch.setenv(name, value)
    reload_settings()
