"""Read commands over what is stored: `tickets`, `users`."""

from __future__ import annotations

from datetime import datetime

import typer
from rich.markup import escape
from rich.table import Table
from sqlmodel import Session, select

from cli.app import app
from cli.output import console, print_json
from models import Person, Ticket, TicketAssignee
from models.db import get_engine
from models.settings import get_settings
from models.sprints import find_sprint


def _today() -> datetime:
    return datetime.now(get_settings().tz)


def ticket_json(ticket: Ticket, assignee_ids: list[str]) -> dict:
    """A ticket as DESIGN §3 `tickets --json` shapes it."""
    return {
        "id": ticket.id,
        "key": ticket.key,
        "title": ticket.title,
        "status": ticket.status,
        "status_category": ticket.status_category,
        "points": ticket.points,
        "assignee_ids": assignee_ids,
        "sprint_id": ticket.sprint_id,
        "priority": ticket.priority,
        "tags": ticket.tags,
        "url": ticket.url,
        "last_edited_time": ticket.last_edited_time,
    }


def load_tickets(
    session: Session, sprint: str | None = None, status: str | None = None
) -> list[dict]:
    """Live (not removed) tickets as JSON dicts, optionally for one sprint and/or status."""
    query = select(Ticket).where(Ticket.removed_at.is_(None))  # type: ignore[union-attr]
    if sprint:
        found = find_sprint(session, sprint, _today().date())
        if found is None:
            return []
        query = query.where(Ticket.sprint_id == found.id)
    if status:
        query = query.where(Ticket.status == status)
    tickets = session.exec(query.order_by(Ticket.key, Ticket.id)).all()
    links: dict[str, list[str]] = {}
    rows = session.exec(
        select(TicketAssignee).order_by(TicketAssignee.ticket_id, TicketAssignee.position)
    ).all()
    for link in rows:
        links.setdefault(link.ticket_id, []).append(link.person_id)
    return [ticket_json(t, links.get(t.id, [])) for t in tickets]


@app.command()
def tickets(
    sprint: str | None = typer.Option(None, "--sprint", help="`current` or a sprint name."),
    status: str | None = typer.Option(None, "--status", help="Only tickets with this status name."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON only."),
) -> None:
    """List stored tickets."""
    with Session(get_engine()) as session:
        rows = load_tickets(session, sprint, status)
        names = {p.id: p.name for p in session.exec(select(Person)).all()}
    if as_json:
        print_json(rows)
        return
    table = Table(title=f"{len(rows)} tickets", title_justify="left")
    for column in ("Key", "Title", "Status", "Pts", "Assignees", "Priority"):
        table.add_column(column, overflow="fold", max_width=60 if column == "Title" else None)
    for row in rows:
        table.add_row(
            escape(row["key"] or ""),
            escape(row["title"][:200]),
            escape(row["status"] or "—"),
            "" if row["points"] is None else f"{row['points']:g}",
            escape(", ".join(names.get(i, i[:8]) for i in row["assignee_ids"])),
            escape(row["priority"] or ""),
        )
    console.print(table)


@app.command()
def users(as_json: bool = typer.Option(False, "--json", help="Print JSON only.")) -> None:
    """List the people Conductor knows (from Notion users and ticket properties)."""
    with Session(get_engine()) as session:
        people = session.exec(select(Person).order_by(Person.name)).all()
    rows = [{"id": p.id, "name": p.name, "email": p.email, "type": p.type} for p in people]
    if as_json:
        print_json(rows)
        return
    table = Table(title=f"{len(rows)} people", title_justify="left")
    for column in ("Name", "Email", "Type", "Id"):
        table.add_column(column)
    for row in rows:
        table.add_row(escape(row["name"]), escape(row["email"] or ""), row["type"], row["id"])
    console.print(table)
