"""Alembic environment: runs on the connection `models.db.upgrade_schema` hands in, or on
`CONDUCTOR_DATABASE_URL` when invoked as `alembic -c migrations/alembic.ini ...`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text
from sqlmodel import SQLModel

import models.tables  # noqa: F401  (registers every table on SQLModel.metadata)

target_metadata = SQLModel.metadata
_PG_MIGRATION_LOCK = 744_201  # advisory lock id: concurrent first-use upgrades wait for each other


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    if connection.dialect.name == "postgresql":
        connection.execute(text(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})"))
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from models.db import create_db_engine
    from models.settings import get_settings

    engine = create_db_engine(get_settings().database_url)
    with engine.begin() as conn:
        _run(conn)


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `conductor db upgrade`")
run_migrations_online()
