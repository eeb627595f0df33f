"""Shared fixtures: an isolated environment, databases on both SQLite and PostgreSQL, and a
Notion sandbox.

Storage tests take the `db_url` fixture, which is parametrised over both backends. PostgreSQL
and Redis are the real servers on 127.0.0.1; when one is down the tests that need it are
skipped locally but *fail* under `CI=true`, so CI can never pass without them.

Tests that sync from Notion take the `sandbox` fixture (the sample workspace, 150 tickets, served
for the test); `@pytest.mark.sandbox(n_tickets, prepare=..., **options)` on a test or module
changes what it serves. `tests/sandboxes.py` has the helpers: `serving`, `settings_for`, `sync`,
`synced` and `point_environment_at`.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from datetime import datetime, time
from pathlib import Path
from typing import TYPE_CHECKING

# Environment that must be in place before Prefect or LiteLLM are imported anywhere.
_SESSION_TMP = Path(tempfile.mkdtemp(prefix="conductor-tests-"))
for _name in list(os.environ):
    if _name.startswith("CONDUCTOR_"):
        del os.environ[_name]
os.environ.update(
    {
        "CONDUCTOR_HOME": str(_SESSION_TMP / "home"),
        "CONDUCTOR_OUTPUT_DIR": str(_SESSION_TMP / "out"),
        "PREFECT_HOME": str(_SESSION_TMP / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
        "PREFECT_LOGGING_TO_API_ENABLED": "false",
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "DISABLE_AIOHTTP_TRANSPORT": "True",
    }
)
os.environ.pop("PREFECT_API_URL", None)

import pytest  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.exc import OperationalError  # noqa: E402

from models.db import dispose_engines  # noqa: E402
from models.settings import reload_settings  # noqa: E402

if TYPE_CHECKING:
    from sandbox.server import Sandbox

PG_ADMIN_URL = os.environ.get(
    "CONDUCTOR_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("CONDUCTOR_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "sandbox(n_tickets=150, prepare=None, layout='sample', **options): what the `sandbox` "
        "fixture serves "
        "(arguments as tests.sandboxes.serving)",
    )


def _service_missing(what: str, why: str) -> None:
    """Fail under CI (a missing service must never pass silently); skip on a laptop."""
    message = f"{what} is not reachable ({why}); start it (see README, 'Running the tests')"
    if IN_CI:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped afterwards."""
    admin = create_engine(
        PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
    )
    name = f"conductor_test_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        _service_missing("PostgreSQL on 127.0.0.1:5432", str(exc.orig).strip().splitlines()[0])
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    yield url
    dispose_engines()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A migrated, empty database on each backend, configured as `CONDUCTOR_DATABASE_URL`."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'conductor.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    monkeypatch.setenv("CONDUCTOR_DATABASE_URL", url)
    reload_settings()
    from models.db import get_engine

    engine = get_engine(url)
    yield url
    if request.param == "postgresql":
        from sqlmodel import SQLModel

        tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    else:
        dispose_engines()
    reload_settings()


@pytest.fixture
def redis_url() -> str:
    """The real Redis on 127.0.0.1:6379 (database 0), flushed of this test's keys by callers."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        _service_missing("Redis on 127.0.0.1:6379", str(exc))
    finally:
        client.close()
    return REDIS_URL


@pytest.fixture
def sandbox(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    """A sandbox serving the sample workspace for this test, built as the closest
    `@pytest.mark.sandbox(...)` says (default: 150 tickets)."""
    from tests.sandboxes import serving

    marker = request.node.get_closest_marker("sandbox")
    args, kwargs = (marker.args, marker.kwargs) if marker else ((), {})
    with serving(*args, **kwargs) as server:
        yield server


@pytest.fixture(autouse=True)
def _fresh_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Each test starts from default settings with its own home and output folders."""
    monkeypatch.setenv("CONDUCTOR_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CONDUCTOR_OUTPUT_DIR", str(tmp_path / "out"))
    monkeypatch.chdir(tmp_path)
    reload_settings()
    yield
    reload_settings()


@pytest.fixture(autouse=True)
def _pinned_today(monkeypatch: pytest.MonkeyPatch) -> None:
    """The team's clock reads `SAMPLE_TODAY` at noon, the day every sample workspace is built
    for. Prefect, stored timestamps (`utcnow`) and subprocesses keep the real time."""
    from models import clock
    from tests.factories import SAMPLE_TODAY

    noon = datetime.combine(SAMPLE_TODAY, time(12))
    monkeypatch.setattr(clock, "local_now", lambda tz: noon.replace(tzinfo=tz))


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One temporary Prefect API (ephemeral server on a temp SQLite DB) for the whole session.

    Starting it costs ~20 s here, so every flow test shares it; task bodies are tested with
    `task.fn(...)` and need no harness at all.
    """
    from prefect.logging.configuration import setup_logging
    from prefect.testing.utilities import prefect_test_harness

    # Configure Prefect's log handlers now, bound to the session's stderr: created lazily
    # inside a CliRunner invocation, they would keep writing to its stream after it closed.
    setup_logging()
    with prefect_test_harness(server_startup_timeout=120):
        yield
