"""A fresh CONDUCTOR_HOME's Prefect database, copied from a migrated empty one.

Prefect keeps its state under `CONDUCTOR_HOME/prefect` (`models.settings`), so each new home
starts with no Prefect database, and the first Prefect server there (temporary or
`conductor server`) runs all of Prefect's migrations and registers its block types before it
answers: about 10-12 s of a first command's wall time on this 2-core machine, out of ~16 s of
server start-up.

Those migrations end in the same database in every home of a venv, so the first home pays for
them and leaves a copy: the moment its server first answers, and before any run is written,
its database is copied (SQLite's backup API, consistent while the server has it open) to
`<venv>/share/conductor/prefect-<version>-<hash>.db`. A later fresh home starts from that copy, and
its server finds the schema at head and the block types registered. The copy is made only if
the database holds nothing but the schema version and block types, so no run, log or setting
of one home ever reaches another; a new Prefect version, or a new collection of block types, gets a copy of its own.

Only Prefect's default SQLite database is seeded: with `PREFECT_API_DATABASE_CONNECTION_URL`
(or the server's own name for it) set, the server migrates its database itself, as usual.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import shutil
import sqlite3
import sys
from contextlib import closing
from pathlib import Path

logger = logging.getLogger(__name__)

DATABASE_FILE = "prefect.db"
#: Tables an empty, migrated Prefect database has rows in; any other row is a home's own.
SCHEMA_TABLES = frozenset(
    {"alembic_version", "block_type", "block_schema", "block_schema_reference"}
)
_DATABASE_URL_SETTINGS = (
    "PREFECT_API_DATABASE_CONNECTION_URL",
    "PREFECT_SERVER_DATABASE_CONNECTION_URL",
)


def template_path() -> Path:
    """Where this venv keeps its migrated empty Prefect database: one per set of installed
    Prefect distributions (`prefect` and its collections such as `prefect-redis`, which add
    block types), so an upgrade or a new collection gets a template of its own."""
    spec = importlib.util.find_spec("prefect")  # finds, does not import
    site_packages = Path(spec.origin).parent.parent if spec and spec.origin else Path(sys.prefix)
    installed = sorted(path.name for path in site_packages.glob("prefect*.dist-info"))
    prefect = next((name for name in installed if name.startswith("prefect-")), "prefect")
    digest = hashlib.sha256("\n".join(installed).encode()).hexdigest()[:12]
    return (
        Path(sys.prefix)
        / "share"
        / "conductor"
        / f"{prefect.removesuffix('.dist-info')}-{digest}.db"
    )


def home_database(prefect_home: Path) -> Path | None:
    """The SQLite file a Prefect server for `prefect_home` uses, or None when the user chose
    another database for Prefect."""
    if any(os.environ.get(name) for name in _DATABASE_URL_SETTINGS):
        return None
    return prefect_home / DATABASE_FILE


def seed(prefect_home: Path) -> bool:
    """Give a home with no Prefect database a copy of the migrated template, if there is one.

    True when the copy was made: the server then need not register block types on start
    (they are in the copy). Never overwrites a database that exists."""
    database = home_database(prefect_home)
    template = template_path()
    if database is None or database.exists() or not template.is_file():
        return False
    prefect_home.mkdir(parents=True, exist_ok=True)
    for leftover in ("-wal", "-shm"):  # of a database deleted by hand; SQLite would replay it
        database.with_name(database.name + leftover).unlink(missing_ok=True)
    partial = database.with_name(f".{DATABASE_FILE}.{os.getpid()}.partial")
    try:
        shutil.copyfile(template, partial)
        os.link(partial, database)  # fails if a server created the file meanwhile: keep theirs
    except FileExistsError:
        return False
    except OSError as exc:
        logger.debug("could not seed %s from %s: %s", database, template, exc)
        return False
    finally:
        partial.unlink(missing_ok=True)
    return True


def prepare_home(prefect_home: Path) -> tuple[bool, Path | None]:
    """Before a server starts for `prefect_home`: seed it if it is fresh (`seed`).

    Returns whether it was seeded, and the database to `keep_as_template` once the server
    answers: the home's own when the home is fresh and there was no template to copy, else
    None."""
    database = home_database(prefect_home)
    if database is None or database.exists():
        return False, None
    if seed(prefect_home):
        return True, None
    return False, database


def keep_as_template(database: Path) -> bool:
    """Copy a freshly migrated, still empty Prefect database to `template_path()`.

    Call it once the server answers and before the first run is written. Returns whether a
    template was written; a database with any row of its own, an unwritable venv or a
    template that exists already all leave things as they are. The check is made on the copy
    itself, so a row written while it was taken cannot slip through."""
    template = template_path()
    if template.exists() or not database.is_file():
        return False
    partial = template.with_name(f".{template.name}.{os.getpid()}.partial")
    try:
        template.parent.mkdir(parents=True, exist_ok=True)
        source = sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True)
        with closing(source), closing(sqlite3.connect(partial)) as copy:
            source.backup(copy)
            clean = _holds_only_the_schema(copy)
        if clean:
            partial.replace(template)
    except (OSError, sqlite3.Error) as exc:
        logger.debug("could not keep %s as the Prefect database template: %s", database, exc)
        clean = False
    partial.unlink(missing_ok=True)
    return clean


def _holds_only_the_schema(connection: sqlite3.Connection) -> bool:
    tables = [
        name
        for (name,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    if "alembic_version" not in tables:
        return False
    return not any(
        connection.execute(f'SELECT 1 FROM "{name}" LIMIT 1').fetchone()
        for name in tables
        if name not in SCHEMA_TABLES
    )
