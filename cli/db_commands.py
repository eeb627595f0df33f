"""`conductor db …`: schema management."""

from __future__ import annotations

import typer

from cli.output import console
from models.settings import get_settings, redact_url

db_app = typer.Typer(help="Database schema management.", no_args_is_help=True)


@db_app.command("upgrade")
def upgrade() -> None:
    """Apply migrations to CONDUCTOR_DATABASE_URL (also done automatically on first use)."""
    from models.db import create_db_engine, current_revision, head_revision, upgrade_schema

    url = get_settings().database_url
    engine = create_db_engine(url)
    try:
        before = current_revision(engine)
        upgrade_schema(engine)
        after = current_revision(engine)
    finally:
        engine.dispose()
    where = redact_url(url)
    if before == after:
        console.print(f"Database {where} is up to date (revision {after}).")
    else:
        console.print(f"Upgraded {where}: {before or 'empty'} → {after} (head {head_revision()}).")
