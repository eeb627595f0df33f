"""Read commands over what is stored: `tickets`, `users`."""

from __future__ import annotations

import typer

from cli.output import console, err_console, print_json, shown
from cli.sprint_commands import NOTHING_STORED


def tickets(
    sprint: str | None = typer.Option(
        None, "--sprint", help="`current`, a sprint name (any case) or its number (`46`)."
    ),
    status: str | None = typer.Option(
        None, "--status", help="Only tickets with this status (any case: `blocked`)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON only."),
) -> None:
    """List stored tickets.

    No match is an answer (an empty list, exit 0); stderr then says why: nothing is stored yet,
    or which statuses the stored tickets have. A sprint name that matches no sprint is an error.
    """
    from sqlmodel import Session, func, select

    from models import Person, Ticket, clock
    from models.db import get_engine
    from models.queries import load_tickets
    from models.settings import get_settings

    settings = get_settings()
    with Session(get_engine(settings.database_url)) as session:
        rows = load_tickets(session, clock.local_today(settings.tz), sprint, status)
        names = {p.id: p.name for p in session.exec(select(Person)).all()}
        statuses: list[str] = []
        if not rows:
            live = Ticket.removed_at.is_(None)  # type: ignore[union-attr]
            statuses = sorted(
                s for s in session.exec(select(Ticket.status).where(live).distinct()).all() if s
            )
            stored = session.exec(select(func.count()).select_from(Ticket).where(live)).one()
    if not rows:
        if not stored:
            err_console.print(NOTHING_STORED.replace("sprints", "tickets"), soft_wrap=True)
        elif status and status.strip().lower() not in {s.lower() for s in statuses}:
            err_console.print(
                f"no stored ticket has status {shown(repr(status))}; "
                f"statuses in use: {shown(', '.join(statuses))}",
                soft_wrap=True,
            )
    if as_json:
        print_json(rows)
        return
    from rich.table import Table

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
    from sqlmodel import Session, select

    from models import Person
    from models.db import get_engine
    from models.settings import get_settings

    with Session(get_engine(get_settings().database_url)) as session:
        people = session.exec(select(Person).order_by(Person.name)).all()
    rows = [{"id": p.id, "name": p.name, "email": p.email, "type": p.type} for p in people]
    if not rows:
        err_console.print(NOTHING_STORED.replace("sprints", "people"), soft_wrap=True)
    if as_json:
        print_json(rows)
        return
    from rich.table import Table

    table = Table(title=f"{len(rows)} people", title_justify="left")
    for column in ("Name", "Email", "Type", "Id"):
        table.add_column(column)
    for row in rows:
        table.add_row(shown(row["name"]), shown(row["email"] or ""), row["type"], row["id"])
    console.print(table)
