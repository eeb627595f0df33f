"""Engine and sessions for SQLite (default) and PostgreSQL, with migrations applied on first use.

SQLite runs in WAL mode with foreign keys on and a busy timeout, so the CLI can read while a
Prefect flow writes. PostgreSQL URLs use psycopg 3 (`postgresql+psycopg://`).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

import models.tables  # noqa: F401  (every table registered before a session opens)
from models.settings import ConfigError, redact_url

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"

_engines: dict[str, Engine] = {}
_lock = threading.Lock()


class DatabaseUnavailableError(ConfigError):
    """The configured database cannot be reached; the message names the fix."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


_ESCAPED_NUL = re.compile(r"(?<!\\)((?:\\\\)*)\\u0000")


def dumps_without_nul(value: Any) -> str:
    """JSON for JSON/JSONB columns, with NUL characters written as U+FFFD.

    Encoded with orjson (the sync's raw properties are its largest writes). PostgreSQL rejects
    NUL in `jsonb` (and `text`); replacing the `\\u0000` escape in the
    encoded text costs one substring scan, where walking every page's properties would cost a
    quarter of the sync's time. An escaped backslash followed by `u0000` is left alone. Used on
    SQLite too, so both backends hold the same data.
    """
    try:
        text = orjson.dumps(value).decode()
    except (TypeError, orjson.JSONEncodeError):  # e.g. an integer beyond 64 bits
        text = json.dumps(value)
    if "\\u0000" not in text:
        return text
    return _ESCAPED_NUL.sub(r"\1\\ufffd", text)


def normalise_url(url: str) -> str:
    """Use psycopg 3 for bare `postgresql://` URLs (psycopg2 is not installed)."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def create_db_engine(url: str) -> Engine:
    """A new engine for `url` (no migrations). SQLite parent folders are created as needed."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            json_serializer=dumps_without_nul,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(
        url,
        pool_pre_ping=True,
        connect_args={"connect_timeout": 5},
        json_serializer=dumps_without_nul,
    )


def upgrade_schema(engine: Engine, revision: str = "head") -> None:
    """Apply Alembic migrations up to `revision` on `engine`'s database."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(config).get_current_head()


def get_engine(url: str) -> Engine:
    """The shared engine for `url` (the caller's `settings.database_url`), migrated to head once.

    Raises `DatabaseUnavailableError` with the fix when the server cannot be reached.
    """
    url = normalise_url(url)
    with _lock:
        engine = _engines.get(url)
        if engine is not None:
            return engine
        engine = create_db_engine(url)
        try:
            if current_revision(engine) != head_revision():
                upgrade_schema(engine)
        except OperationalError as exc:
            engine.dispose()
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise DatabaseUnavailableError(
                f"cannot open database {redact_url(url)}: "
                f"{reason} — check CONDUCTOR_DATABASE_URL and that the server is running"
            ) from None
        _engines[url] = engine
        return engine


def dispose_engines() -> None:
    """Close every pooled connection (tests and long-lived processes switching databases)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


@contextmanager
def session_scope(url: str) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    with Session(get_engine(url), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except Exception:
            session.rollback()
            raise
