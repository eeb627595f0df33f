"""The CLI speaks plainly: input as people type it, one line per error with its fix, no hard
wraps in pipes, Prefect's chatter off the terminal (docs/design.md §1)."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from cli import app
from cli.logs import configure_terminal_logging
from models import clock
from models.db import get_engine
from models.sprints import upsert_sprints
from models.tickets import upsert_tickets
from tests.factories import SAMPLE_TODAY, sprint_row, ticket_row
from tests.prefect_helpers import clean_environment

runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent


def conductor(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`python -m cli …` as a user's shell runs it: stdout and stderr are pipes, not terminals."""
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        cwd=cwd,
        env=clean_environment(PYTHONPATH=str(ROOT), **env),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def store_sprint_46(db_url: str) -> None:
    start = SAMPLE_TODAY - timedelta(days=3)
    sprint = sprint_row(46, start, start + timedelta(days=13))
    with Session(get_engine(db_url)) as session:
        upsert_sprints(session, [sprint_row(45, start - timedelta(days=14), start), sprint])
        upsert_tickets(
            session,
            [
                ticket_row(1, status="Blocked", sprint_id=sprint["id"]),
                ticket_row(2, status="In Progress", sprint_id=sprint["id"]),
            ],
            {},
        )
        session.commit()


# --- the day grammar --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        (None, date(2026, 11, 24)),
        ("today", date(2026, 11, 24)),
        ("Yesterday", date(2026, 11, 23)),
        (" yesterday ", date(2026, 11, 23)),
        ("2026-11-02", date(2026, 11, 2)),
    ],
)
def test_a_day_is_today_yesterday_or_an_iso_date(typed: str | None, expected: date) -> None:
    assert clock.parse_day(typed, date(2026, 11, 24)) == expected


def test_yesterday_crosses_the_start_of_a_month_and_a_year() -> None:
    assert clock.parse_day("yesterday", date(2027, 1, 1)) == date(2026, 12, 31)


def test_a_day_in_no_known_form_names_the_forms_in_one_line(tmp_path: Path) -> None:
    result = conductor("summary", "--date", "last tuesday", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr == (
        "error: --date 'last tuesday' is not a day: use today, yesterday or YYYY-MM-DD\n"
    )


def test_a_usage_error_is_one_line_naming_the_help_not_a_box(tmp_path: Path) -> None:
    result = conductor("tickets", "--colour", "red", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == "error: No such option: --colour (see `conductor tickets --help`)\n"


# --- names as people type them ----------------------------------------------------------------


def test_status_matches_in_any_case(db_url: str) -> None:
    store_sprint_46(db_url)
    result = runner.invoke(app, ["tickets", "--json", "--status", "blocked"])
    assert result.exit_code == 0, result.output
    assert [t["key"] for t in json.loads(result.stdout)] == ["ENG-1"]


def test_a_status_no_ticket_has_lists_the_statuses_in_use(db_url: str) -> None:
    store_sprint_46(db_url)
    result = runner.invoke(app, ["tickets", "--json", "--status", "blokced"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == []
    assert "no stored ticket has status 'blokced'; statuses in use: Blocked, In Progress" in (
        result.stderr
    )


def test_sprint_by_its_number_and_in_any_case(db_url: str) -> None:
    store_sprint_46(db_url)
    by_number = json.loads(runner.invoke(app, ["sprint", "46", "--json"]).stdout)
    by_name = json.loads(runner.invoke(app, ["sprint", "SPRINT 46", "--json"]).stdout)
    assert by_number["sprint"]["name"] == by_name["sprint"]["name"] == "Sprint 46"
    in_sprint = json.loads(runner.invoke(app, ["tickets", "--sprint", "46", "--json"]).stdout)
    assert [t["key"] for t in in_sprint] == ["ENG-1", "ENG-2"]


def test_a_sprint_number_that_matches_none_is_an_error_naming_the_sprints(db_url: str) -> None:
    store_sprint_46(db_url)
    result = runner.invoke(app, ["sprint", "99"])
    assert result.exit_code == 1
    assert str(result.exception) == "no sprint named '99'; known sprints: Sprint 45, Sprint 46"


def test_sprint_with_nothing_stored_fails_pointing_at_the_demo(tmp_path: Path) -> None:
    result = conductor("sprint", "--json", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert "`conductor demo`" in result.stderr and "`conductor ingest`" in result.stderr


def test_an_empty_list_says_nothing_is_stored_yet_and_is_not_a_failure(tmp_path: Path) -> None:
    result = conductor("users", "--json", cwd=tmp_path)
    assert result.returncode == 0
    assert json.loads(result.stdout) == []
    assert "no people stored yet: run `conductor demo`" in result.stderr


# --- output in pipes ---------------------------------------------------------------------------


def test_output_is_never_hard_wrapped_when_not_a_terminal(tmp_path: Path) -> None:
    deep = tmp_path / ("a-folder-name-long-enough-that-the-line-passes-eighty-columns" * 2)
    result = conductor("db", "upgrade", cwd=tmp_path, CONDUCTOR_HOME=str(deep))
    assert result.returncode == 0, result.stderr
    (line,) = result.stdout.splitlines()
    assert len(line) > 120 and str(deep) in line


# --- doctor ------------------------------------------------------------------------------------


def test_doctor_reports_a_malformed_database_url_as_a_failed_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CONDUCTOR_DATABASE_URL", "not a url")
    monkeypatch.setattr("tasks.health.prefect_api_url", lambda: None)
    monkeypatch.setattr("cli.flow_runs.use_prefect_server", lambda **_: None)
    result = runner.invoke(app, ["doctor", "--json"])
    assert result.exit_code == 1
    payload = json.loads(result.stdout)
    checks = {c["name"]: c for c in payload["checks"]}
    assert checks["database"]["state"] == "error"
    assert "CONDUCTOR_DATABASE_URL" in checks["database"]["fix"]
    assert set(checks) == {"database", "redis", "notion", "llm", "smtp", "prefect"}
    assert checks["smtp"]["state"] == "not_configured"


def test_doctor_reports_an_unknown_database_dialect_as_a_failed_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CONDUCTOR_DATABASE_URL", "nosuchdb://host/x")
    monkeypatch.setattr("tasks.health.prefect_api_url", lambda: None)
    monkeypatch.setattr("cli.flow_runs.use_prefect_server", lambda **_: None)
    payload = json.loads(runner.invoke(app, ["doctor", "--json"]).stdout)
    database = next(c for c in payload["checks"] if c["name"] == "database")
    assert database["state"] == "error" and "nosuchdb" in database["detail"]


# --- Notion errors, before Prefect starts ------------------------------------------------------


def test_a_wrong_notion_token_is_one_line_with_the_fix(sandbox, tmp_path: Path) -> None:
    env = {**sandbox.conductor_environment(), "CONDUCTOR_NOTION_TOKEN": "secret_wrong"}
    result = conductor("ingest", cwd=tmp_path, **env)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        "error: Notion rejected CONDUCTOR_NOTION_TOKEN (401): copy the integration's token "
        "from notion.so/profile/integrations\n"
    )


def test_an_unreachable_notion_is_one_line_with_the_fix(sandbox, tmp_path: Path) -> None:
    env = {**sandbox.conductor_environment(), "CONDUCTOR_NOTION_BASE_URL": "http://127.0.0.1:9"}
    result = conductor("run", "--no-email", cwd=tmp_path, **env)
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: cannot reach Notion at http://127.0.0.1:9 (")
    assert line.endswith("check the network, or CONDUCTOR_NOTION_BASE_URL")


# --- log records on the terminal ---------------------------------------------------------------


def _log_everything() -> None:
    logging.getLogger("prefect.task_runs").info("Finished in state Completed()")
    logging.getLogger("prefect").info("Starting temporary server on http://127.0.0.1:8000")
    logging.getLogger("prefect.flow_runs").warning("waiting: conductor-ingest is held by run x")
    logging.getLogger("prefect.task_runs").error("Task run failed: token rejected")


def test_the_terminal_gets_warnings_in_plain_words_and_no_run_chatter(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_terminal_logging(verbose=False)
    _log_everything()
    assert capsys.readouterr().err == "warning: waiting: conductor-ingest is held by run x\n"


def test_verbose_brings_prefects_lines_back(capsys: pytest.CaptureFixture[str]) -> None:
    configure_terminal_logging(verbose=True)
    try:
        _log_everything()
        lines = capsys.readouterr().err.splitlines()
    finally:
        configure_terminal_logging(verbose=False)
    assert lines == [
        "INFO prefect.task_runs: Finished in state Completed()",
        "INFO prefect: Starting temporary server on http://127.0.0.1:8000",
        "WARNING prefect.flow_runs: waiting: conductor-ingest is held by run x",
        "ERROR prefect.task_runs: Task run failed: token rejected",
    ]


def test_configuring_twice_leaves_one_terminal_handler() -> None:
    configure_terminal_logging(verbose=False)
    configure_terminal_logging(verbose=False)
    names = [type(h).__name__ for h in logging.getLogger().handlers]
    assert names.count("TerminalHandler") == 1


def test_the_demo_tells_its_story_without_prefects_chatter(tmp_path: Path) -> None:
    result = conductor("demo", "--tickets", "60", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    errors = result.stderr.splitlines()
    assert len(errors) == 2, result.stderr  # the no-server hint and the sandbox's address
    assert errors[0].startswith("Starting a temporary Prefect server")
    assert errors[1].startswith("Serving the sample workspace")
    story = result.stdout
    for chatter in ("Finished in state", "prefect", "INFO", "_track", "already_sent"):
        assert chatter not in story + result.stderr.replace("Prefect server", "")
    assert "forecast " in story and "Done in " in story
    assert any("uv run conductor tickets --sprint current" in line for line in story.splitlines())


# --- a stored summary is shown without running the flow ---------------------------------------


def test_a_stored_summary_is_reused_only_while_its_facts_and_writer_are_unchanged(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from models.settings import get_settings, reload_settings
    from tasks.summary import daily
    from tasks.summary.writer import write_with_template

    store_sprint_46(db_url)
    settings = get_settings()
    assert daily.stored_summary(SAMPLE_TODAY, settings) is None  # nothing written yet
    facts = daily.gather_facts(SAMPLE_TODAY, settings)
    daily.store_summary(SAMPLE_TODAY, facts, write_with_template(facts), settings)
    shown = daily.stored_summary(SAMPLE_TODAY, settings)
    assert shown is not None
    assert shown["text"] == write_with_template(facts)["text"]
    assert (shown["generated_by"], shown["cached"], shown["cost_usd"]) == ("template", True, 0.0)

    stale = {**facts, "sprint": {**(facts.get("sprint") or {}), "name": "renamed"}}
    daily.store_summary(SAMPLE_TODAY, stale, write_with_template(stale), settings)
    assert daily.stored_summary(SAMPLE_TODAY, settings) is None  # facts changed since

    daily.store_summary(SAMPLE_TODAY, facts, write_with_template(facts), settings)
    monkeypatch.setenv("CONDUCTOR_LLM_MODEL", "openai/gpt-4o-mini")
    reload_settings()
    assert daily.stored_summary(SAMPLE_TODAY, get_settings()) is None  # a model should write it
