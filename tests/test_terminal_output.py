"""What the CLI prints is text, never terminal commands or Rich markup (issue 15, item 8).

Every fixture carries the same hostile text a Notion editor could type: an OSC 8 hyperlink,
a window-title change, a screen clear, SGR 8 "concealed" text, a C1 CSI, a bidi override and
Rich markup. The output of each command must contain none of the control characters, must
show the concealed words, and must show the markup as the characters it is.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from cli import output
from cli.app import app
from cli.output import terminal_safe
from models import Person, Sprint, Ticket, TicketAssignee
from models.db import get_engine
from tests.factories import person_row, sprint_row, ticket_row

runner = CliRunner()

HOSTILE = (
    "\x1b]8;;https://evil.example.com/login\x1b\\Fix login\x1b]8;;\x1b\\"
    "\x1b]0;pwned\x07\x1b[2J \x1b[8mand disable 2FA\x1b[0m \x9b31m"
    "\u202eslin\u202c [bold red]markup[/]"
)
#: The characters a terminal would obey; none may reach the output.
CONTROL = ("\x1b", "\x07", "\x9b", "\u202e", "\u202c")
SPRINT_ID = sprint_row(7, date(2026, 11, 16), date(2026, 11, 27))["id"]


def assert_shown_as_text(output: str) -> None:
    leaked = [repr(c) for c in CONTROL if c in output]
    assert not leaked, f"control characters reached the terminal: {leaked}"
    flat = " ".join(output.split())
    assert "and disable 2FA" in flat  # concealed text is shown, not hidden
    assert "[bold red]markup[/]" in flat  # markup printed, not interpreted
    assert "pwned" not in flat and "evil.example.com" not in flat  # sequence payloads dropped


@pytest.fixture(autouse=True)
def _wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """A wide terminal, so table cells do not fold the phrases the assertions look for."""
    for console in (output.console, output.err_console):
        monkeypatch.setattr(console, "_width", 400)


@pytest.fixture
def hostile_sprint(db_url: str) -> str:
    """The current sprint (today is 2026-11-24), its name, a person's name and ticket titles
    all hostile; one ticket blocked so it is listed under "Needs attention"."""
    seen = datetime(2026, 11, 16, 9, tzinfo=UTC)
    with Session(get_engine(db_url)) as session:
        session.add(
            Sprint(
                **sprint_row(7, date(2026, 11, 16), date(2026, 11, 27), name=f"S {HOSTILE}"),
                first_seen_at=seen,
            )
        )
        session.add(Person(**person_row(1, name=HOSTILE)))
        for n, status in ((1, "Blocked"), (2, "Todo")):
            session.add(
                Ticket(
                    **ticket_row(n, title=HOSTILE, status=status, sprint_id=SPRINT_ID),
                    first_seen_at=seen,
                )
            )
            session.add(
                TicketAssignee(ticket_id=ticket_row(n)["id"], person_id=person_row(1)["id"])
            )
        session.commit()
    return db_url


def test_terminal_safe_keeps_ordinary_unicode_and_drops_whole_sequences() -> None:
    assert terminal_safe("Été 日本 👩‍💻\tdone\nnext") == "Été 日本 👩‍💻\tdone\nnext"
    assert terminal_safe("\x1b]8;;https://x\x1b\\a\x1b]8;;\x1b\\ \x1b[1;31mb\x1b[0m") == "a b"
    assert (
        terminal_safe("zero\u200bwidth \u2066iso\u2069 bell\x07 nul\x00")
        == "zerowidth iso bell nul"
    )


def test_tickets_prints_hostile_titles_and_names_as_text(hostile_sprint: str) -> None:
    result = runner.invoke(app, ["tickets"])
    assert result.exit_code == 0, result.output
    assert_shown_as_text(result.output)


def test_sprint_prints_hostile_sprint_ticket_and_person_names_as_text(
    hostile_sprint: str,
) -> None:
    result = runner.invoke(app, ["sprint"])
    assert result.exit_code == 0, result.output
    assert "Needs attention" in result.output
    assert_shown_as_text(result.output)


def test_tickets_json_escapes_control_and_bidi_characters(hostile_sprint: str) -> None:
    result = runner.invoke(app, ["tickets", "--json"])
    assert not [c for c in CONTROL if c in result.stdout]
    assert "\\u001b]8;;" in result.stdout and "\\u202e" in result.stdout  # kept, as escapes


def test_summary_prints_hostile_model_text_as_text(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = f"# Today\n\n- {HOSTILE}\n- see [the docs](https://evil.example.com/x)\n"
    monkeypatch.setattr("cli.flow_runs.prepare_prefect", lambda: None)
    monkeypatch.setattr("cli.flow_runs.run_in_process", lambda _flow, **_kw: _summary(text))
    result = runner.invoke(app, ["summary"])
    assert result.exit_code == 0, result.output
    flat = " ".join(result.output.split())
    assert not [c for c in CONTROL if c in result.output]
    assert "and disable 2FA" in flat and "[bold red]markup[/]" in flat
    # A Markdown link shows where it goes instead of becoming a hidden terminal hyperlink:
    # piped (as here) the summary is printed as its Markdown, address and all.
    assert "[the docs](https://evil.example.com/x)" in flat


def test_ask_prints_a_hostile_answer_as_text(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    answer = {
        "thread_id": "t1",
        "answer": f"ENG-1 is blocked: {HOSTILE}",
        "citations": ["ENG-1"],
        "unverified_citations": ["ENG\x1b[8m-9"],
        "generated_by": "openai/gpt-4o-mini",
        "search_mode": "full_text",
    }
    monkeypatch.setattr("tasks.assistant.chat.answer_question", lambda *_a, **_kw: answer)
    result = runner.invoke(app, ["ask", "what is blocked?"])
    assert result.exit_code == 0, result.output
    assert_shown_as_text(result.output)
    assert "unverified keys: ENG-9" in result.output


def test_a_hostile_error_message_is_one_plain_line(hostile_sprint: str) -> None:
    # An unknown sprint name is an error listing the known sprints, hostile name included;
    # errors are printed by the console script's `main`, so run it as a user does.
    result = subprocess.run(
        [sys.executable, "-m", "cli", "sprint", "nope"],
        env={**os.environ, "COLUMNS": "400"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("error: no sprint named 'nope'")
    assert len(result.stderr.strip().splitlines()) == 1
    assert not [c for c in CONTROL if c in result.stderr]
    assert "and disable 2FA" in result.stderr and "[bold red]markup[/]" in result.stderr


def _summary(text: str) -> dict[str, Any]:
    return {
        "date": "2026-11-24",
        "text": text,
        "generated_by": "openai/gpt-4o-mini",
        "facts": {},
        "prompt_tokens": 1,
        "completion_tokens": 1,
        "cost_usd": 0.0,
        "cached": False,
    }


def test_on_a_terminal_a_markdown_link_prints_its_address_not_a_hidden_hyperlink() -> None:
    import io

    from rich.console import Console

    from cli.output import markdown

    out = io.StringIO()
    Console(file=out, force_terminal=True, width=100).print(
        markdown("see [the docs](https://evil.example.com/x)")
    )
    printed = out.getvalue()
    assert "\x1b]8;" not in printed  # no OSC 8 hyperlink
    assert "https://evil.example.com/x" in printed
