"""The foundation CLI: read commands on an empty DB, doctor's JSON, one-line errors."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import Session
from typer.testing import CliRunner

import cli
from cli import app
from models.db import get_engine
from models.people import upsert_people
from models.tickets import upsert_tickets
from tests.factories import TICKET_JSON_KEYS, person_row, ticket_row

runner = CliRunner()


def test_tickets_json_on_an_empty_database_is_an_empty_list(db_url: str) -> None:
    result = runner.invoke(app, ["tickets", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == []


def test_tickets_and_users_json_follow_the_contract(db_url: str) -> None:
    with Session(get_engine(db_url)) as session:
        upsert_people(session, [person_row(1)])
        upsert_tickets(
            session,
            [ticket_row(7, status="In Progress")],
            {ticket_row(7)["id"]: [person_row(1)["id"]]},
        )
        session.commit()
    tickets = json.loads(runner.invoke(app, ["tickets", "--json"]).stdout)
    assert tuple(tickets[0]) == TICKET_JSON_KEYS
    assert tickets[0]["key"] == "ENG-7" and tickets[0]["assignee_ids"] == [person_row(1)["id"]]
    assert json.loads(runner.invoke(app, ["tickets", "--json", "--status", "Done"]).stdout) == []
    users = json.loads(runner.invoke(app, ["users", "--json"]).stdout)
    assert users == [
        {
            "id": person_row(1)["id"],
            "name": "Person 1",
            "email": "person1@example.com",
            "type": "person",
        }
    ]


def test_doctor_json_reports_every_dependency(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONDUCTOR_NOTION_TOKEN", "ntn_do_not_print_me")
    monkeypatch.setenv("CONDUCTOR_NOTION_BASE_URL", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("CONDUCTOR_REDIS_URL", "redis://127.0.0.1:9/0")
    # No Prefect API configured (another test's session harness may be up; its own "ok" path is
    # tested against a real server in test_orchestration_live.py).
    monkeypatch.setattr("tasks.health.prefect_api_url", lambda: None)
    result = runner.invoke(app, ["doctor", "--json"])
    payload = json.loads(result.stdout)
    states = {check["name"]: check["state"] for check in payload["checks"]}
    assert states == {
        "database": "ok",
        "redis": "error",
        "notion": "error",
        "llm": "not_configured",
        "smtp": "not_configured",
        "prefect": "not_configured",
    }
    assert all(check["fix"] for check in payload["checks"] if check["state"] == "error")
    assert "ntn_do_not_print_me" not in result.stdout
    assert payload["config"]["CONDUCTOR_NOTION_TOKEN"] == "**********"
    assert result.exit_code == 1


def test_doctor_sees_real_redis(
    db_url: str, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONDUCTOR_REDIS_URL", redis_url)
    payload = json.loads(runner.invoke(app, ["doctor", "--json"]).stdout)
    assert {c["name"]: c["state"] for c in payload["checks"]}["redis"] == "ok"


def test_invalid_configuration_is_one_line_and_non_zero() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cli", "users"],
        env={"CONDUCTOR_TIMEZONE": "Nowhere/Special", "PATH": ""},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert (
        result.stderr.strip()
        == "error: CONDUCTOR_TIMEZONE: 'Nowhere/Special' is not an IANA time zone such as Europe/Berlin"
    )


def test_db_upgrade_reports_up_to_date(db_url: str) -> None:
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0
    assert "up to date" in result.stdout


def test_command_modules_do_not_import_the_app_that_registers_them() -> None:
    """`cli/app.py` registers the commands; a command module importing it back is a circle."""
    folder = Path(cli.__file__).parent
    offenders = []
    for module in sorted(folder.glob("*.py")):
        if module.name in {"app.py", "__init__.py", "__main__.py"}:
            continue
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module in {"cli", "cli.app"}:
                names = {alias.name for alias in node.names}
                if node.module == "cli.app" or names & {"app", "main"}:
                    offenders.append(module.name)
    assert offenders == []
    registered = {command.callback.__name__ for command in app.registered_commands}
    assert {"demo", "run", "ingest", "sprint", "doctor", "serve", "server"} <= registered
