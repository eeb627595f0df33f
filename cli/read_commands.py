"""Read commands over what is stored: `tickets`, `users`."""

from __future__ import annotations

import typer
from rich.table import Table
from sqlmodel import Session, select

from cli.output import console, print_json, shown
from models import Person, clock
from models.db import get_engine
from models.queries import load_tickets
from models.settings import get_settings


def tickets(
    sprint: str | None = typer.Option(None, "--sprint", help="`current` or a sprint name."),
    status: str | None = typer.Option(None, "--status", help="Only tickets with this status name."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON only."),
) -> None:
    """List stored tickets."""
    settings = get_settings()
    with Session(get_engine(settings.database_url)) as session:
        rows = load_tickets(session, clock.local_today(settings.tz), sprint, status)
        names = {p.id: p.name for p in session.exec(select(Person)).all()}
    if as_json:
        print_json(rows)
        return
    table = Table(title=f"{len(rows)} tickets", title_justify="left")
    for column in ("Key", "Title", "Status", "Pts", "Assignees", "Priority"):
        table.add_column(column, overflow="fold", max_width=60 if column == "Title" else None)
    for row in rows:
        table.add_row(
            shown(row["key"] or ""),
            shown(row["title"][:200]),
            shown(row["status"] or "—"),
            "" if row["points"] is None else f"{row['points']:g}",
            shown(", ".join(names.get(i, i[:8]) for i in row["assignee_ids"])),
            shown(row["priority"] or ""),
        )
    console.print(table)


def users(as_json: bool = typer.Option(False, "--json", help="Print JSON only.")) -> None:
    """List the people Conductor knows (from Notion users and ticket properties)."""
    with Session(get_engine(get_settings().database_url)) as session:
        people = session.exec(select(Person).order_by(Person.name)).all()
    rows = [{"id": p.id, "name": p.name, "email": p.email, "type": p.type} for p in people]
    if as_json:
        print_json(rows)
        return
    table = Table(title=f"{len(rows)} people", title_justify="left")
    for column in ("Name", "Email", "Type", "Id"):
        table.add_column(column)
    for row in rows:
        table.add_row(shown(row["name"]), shown(row["email"] or ""), row["type"], row["id"])
    console.print(table)
