"""The assistant's commands: `search`, `ask`, `task create` and `api`.

Heavy modules (LiteLLM, FastAPI, uvicorn) are imported inside the commands so `conductor --help`
stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from cli.output import (
    console,
    err_console,
    print_json,
    print_markdown,
    shown,
    terminal_safe,
    visible,
)
from models.settings import ConfigError, get_settings

if TYPE_CHECKING:
    from sqlmodel import Session


def _session(**options: object) -> Session:
    from sqlmodel import Session

    from models.db import get_engine

    return Session(get_engine(get_settings().database_url), **options)  # type: ignore[arg-type]


task_app = typer.Typer(help="Create tickets from plain language.", no_args_is_help=True)


def search(
    query: str = typer.Argument(..., help="What to look for, in plain words."),
    limit: int = typer.Option(10, "--limit", min=1, max=100, help="Most results to show."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON only."),
) -> None:
    """Search tickets: semantic with CONDUCTOR_EMBEDDING_MODEL set, else full-text."""
    from tasks.assistant.search import search_response, search_tickets

    settings = get_settings()
    with _session() as session, err_console.status("Searching…"):
        mode, hits = search_tickets(session, settings, query, limit=limit)
    payload = search_response(mode, hits)
    if as_json:
        print_json(payload)
        return
    from rich.table import Table

    table = Table(title=f"{len(hits)} result(s), {mode.replace('_', '-')} search")
    for column in ("Key", "Title", "Status", "Score"):
        table.add_column(column, overflow="fold", max_width=70 if column == "Title" else None)
    for row in payload["results"]:
        table.add_row(
            shown(row["key"] or ""),
            shown(row["title"][:200]),
            shown(row["status"] or "—"),
            f"{row['score']:.3f}",
        )
    console.print(table)


def ask(
    question: str = typer.Argument(..., help="A question about the team's work."),
    thread: str | None = typer.Option(None, "--thread", help="Continue this chat thread id."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON only."),
) -> None:
    """Answer a question from the tickets, the current sprint and the latest summary."""
    from tasks.assistant.chat import answer_question

    settings = get_settings()
    with _session(expire_on_commit=False) as session, err_console.status("Thinking…"):
        result = answer_question(session, settings, question, thread_id=thread)
    if as_json:
        print_json(result)
        return
    print_markdown(result["answer"])
    notes = [f"by {result['generated_by']}", f"{result['search_mode'].replace('_', '-')} search"]
    if result["unverified_citations"]:
        notes.append(f"unverified keys: {', '.join(result['unverified_citations'])}")
    notes.append(f"thread {result['thread_id']}")
    err_console.print(f"[dim]{shown('; '.join(notes))}[/]")


@task_app.command("create")
def task_create(
    text: str = typer.Argument(..., help='e.g. "Fix login timeout, 3 points, Dana, this sprint"'),
    yes: bool = typer.Option(False, "--yes", "-y", help="Create without asking to confirm."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON only (needs --yes)."),
) -> None:
    """Turn a sentence into a ticket, confirm it, create it in Notion and ingest it."""
    from tasks.assistant.task_intake import prepare_ticket, submit_ticket

    if as_json and not yes:
        # JSON mode has no prompt; creating from model output must never be implicit.
        raise ConfigError("--json cannot ask for confirmation: add --yes to create without it")

    settings = get_settings()
    with _session(expire_on_commit=False) as session:
        with err_console.status("Drafting the ticket…"):
            proposal = prepare_ticket(session, settings, text)
        if not as_json:
            _show_proposal(proposal.preview())
        if not yes and not typer.confirm("Create this ticket in Notion?"):
            err_console.print("Nothing created.")
            raise typer.Exit(1)
        with err_console.status("Creating the page in Notion and ingesting it…"):
            created = submit_ticket(session, settings, proposal)
    if as_json:
        print_json(created)
        return
    where = f" — {created['url']}" if created.get("url") else ""
    console.print(f"Created {shown(created.get('key') or created['page_id'])}{shown(where)}")


def _show_proposal(preview: dict) -> None:
    """The fields exactly as they will be written: hidden characters (escape sequences, bidi
    overrides, zero-width characters) are shown as escapes, never obeyed or dropped, and a
    warning says they are there, so concealed text cannot slip past the confirmation."""
    from rich.table import Table

    table = Table(title="New ticket", show_header=False, title_justify="left")
    table.add_column("Field", style="bold")
    table.add_column("Value", overflow="fold", max_width=80)
    hidden = False
    for name, value in preview.items():
        text = "—" if value in (None, "", []) else str(value)
        hidden = hidden or terminal_safe(text) != text
        table.add_row(shown(name), visible(text))
    console.print(table)
    if hidden:
        err_console.print(
            "[bold yellow]warning:[/] this ticket contains hidden control characters, shown "
            "above as \\x.. / \\u.... escapes; they will be written to Notion as they are."
        )


def api(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="Port to listen on."),
    no_auth: bool = typer.Option(
        False, "--no-auth", help="Serve without a bearer token (loopback addresses only)."
    ),
) -> None:
    """Serve the agent HTTP API (OpenAPI docs at /docs); needs CONDUCTOR_API_TOKEN."""
    import uvicorn

    from api import check_bind, create_app

    settings = get_settings()
    check_bind(host, require_auth=not no_auth, settings=settings)
    application = create_app(settings, require_auth=not no_auth)
    err_console.print(
        f"Conductor API on http://{host}:{port} (docs at /docs)"
        + ("; [yellow]authentication disabled[/]" if no_auth else "")
    )
    uvicorn.run(application, host=host, port=port, log_level="warning")
