"""The temporary Prefect server a flow command starts when none runs (cli/temporary_server.py),
and a fresh home's Prefect database copied from the venv's migrated one
(cli/prefect_database.py)."""

from __future__ import annotations

import json
import sqlite3
import urllib.request
from contextlib import closing
from pathlib import Path

import pytest

from cli import prefect_database
from cli.temporary_server import TemporaryServer, TemporaryServerError


@pytest.fixture
def template(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The venv's template, moved to a folder of this test's own."""
    path = tmp_path / "venv-share" / "prefect-test.db"
    monkeypatch.setattr(prefect_database, "template_path", lambda: path)
    for name in prefect_database._DATABASE_URL_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    return path


def _database(path: Path, rows: dict[str, int]) -> Path:
    """A SQLite file with one table per name in `rows`, holding that many rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(path)) as connection:
        for table, count in rows.items():
            connection.execute(f'CREATE TABLE "{table}" (id INTEGER)')
            connection.executemany(
                f'INSERT INTO "{table}" VALUES (?)', [(i,) for i in range(count)]
            )
        connection.commit()
    return path


def _tables(path: Path) -> dict[str, int]:
    with closing(sqlite3.connect(path)) as connection:
        names = [
            n for (n,) in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        ]
        return {n: connection.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}


def test_an_empty_migrated_database_becomes_the_template(tmp_path: Path, template: Path) -> None:
    source = _database(
        tmp_path / "home" / "prefect.db", {"alembic_version": 1, "block_type": 54, "flow_run": 0}
    )
    assert prefect_database.keep_as_template(source)
    assert _tables(template) == {"alembic_version": 1, "block_type": 54, "flow_run": 0}


def test_a_database_holding_a_homes_own_rows_is_never_the_template(
    tmp_path: Path, template: Path
) -> None:
    source = _database(tmp_path / "home" / "prefect.db", {"alembic_version": 1, "flow_run": 1})
    assert not prefect_database.keep_as_template(source)
    assert not template.exists()


def test_an_unmigrated_database_is_never_the_template(tmp_path: Path, template: Path) -> None:
    source = _database(tmp_path / "home" / "prefect.db", {"block_type": 3})
    assert not prefect_database.keep_as_template(source)
    assert not template.exists()


def test_a_fresh_home_gets_a_copy_and_an_existing_database_is_kept(
    tmp_path: Path, template: Path
) -> None:
    _database(template, {"alembic_version": 1})
    fresh, used = tmp_path / "fresh", tmp_path / "used"
    _database(used / "prefect.db", {"alembic_version": 1, "flow_run": 7})
    assert prefect_database.seed(fresh)
    assert _tables(fresh / "prefect.db") == {"alembic_version": 1}
    assert not prefect_database.seed(used)
    assert _tables(used / "prefect.db")["flow_run"] == 7


def test_a_home_whose_prefect_uses_another_database_is_left_alone(
    tmp_path: Path, template: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _database(template, {"alembic_version": 1})
    monkeypatch.setenv(
        "PREFECT_API_DATABASE_CONNECTION_URL", "postgresql+asyncpg://127.0.0.1/prefect"
    )
    assert not prefect_database.seed(tmp_path / "home")
    assert not (tmp_path / "home" / "prefect.db").exists()


def _get(api_url: str, path: str, body: dict[str, object] | None = None) -> object:
    request = urllib.request.Request(
        f"{api_url}{path}",
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_the_first_fresh_home_leaves_the_template_the_next_one_starts_from(
    tmp_path: Path, template: Path
) -> None:
    """Real servers: the first home migrates and leaves its empty database as the template;
    the second home is seeded from it, answers without migrating, and has Prefect's block
    types (so `Block.load` and friends work there)."""
    first = TemporaryServer(tmp_path / "first")
    first.start()
    try:
        first.wait_until_ready()
    finally:
        first.stop()
    assert not first.seeded and template.is_file()
    assert set(_tables(template)) >= {"alembic_version", "flow_run", "block_type"}

    second = TemporaryServer(tmp_path / "second")
    second.start()
    try:
        api_url = second.wait_until_ready()
        block_types = _get(api_url, "/block_types/filter", {})
        flows = _get(api_url, "/flows/filter", {})
    finally:
        second.stop()
    assert second.seeded
    assert {t["slug"] for t in block_types} >= {"webhook", "secret"}  # type: ignore[union-attr, index]
    assert flows == []


def test_a_server_that_cannot_start_is_one_error_naming_its_log(
    tmp_path: Path, template: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "PREFECT_API_DATABASE_CONNECTION_URL", "postgresql+asyncpg://nobody@127.0.0.1:1/none"
    )
    server = TemporaryServer(tmp_path / "home")
    server.start()
    try:
        with pytest.raises(TemporaryServerError) as raised:
            server.wait_until_ready(timeout_s=90)
    finally:
        server.stop()
    message = str(raised.value)
    assert "\n" not in message and str(server.log_file) in message and server.log_file.is_file()
    assert "ConnectionRefusedError" in message and "conductor server" in message
