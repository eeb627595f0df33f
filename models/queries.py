"""Read queries shared by the CLI and the agent API (docs/design.md §3 shapes)."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, func, select

from models.sprints import find_sprint
from models.tickets import Ticket, TicketAssignee


def ticket_json(ticket: Ticket, assignee_ids: list[str]) -> dict:
    """A ticket as docs/design.md §3 `tickets --json` shapes it."""
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
    session: Session, today: date, sprint: str | None = None, status: str | None = None
) -> list[dict]:
    """Live (not removed) tickets as JSON dicts, optionally for one sprint and/or status.

    `today` (the team's date) decides which sprint `current` means; the sprint (`find_sprint`)
    and the status match case-insensitively.
    """
    query = select(Ticket).where(Ticket.removed_at.is_(None))  # type: ignore[union-attr]
    if sprint:
        found = find_sprint(session, sprint, today)
        if found is None:
            return []
        query = query.where(Ticket.sprint_id == found.id)
    if status:  # as the team types it: `blocked` finds "Blocked"
        query = query.where(func.lower(Ticket.status) == status.strip().lower())
    tickets = session.exec(query.order_by(Ticket.key, Ticket.id)).all()
    links: dict[str, list[str]] = {}
    rows = session.exec(
        select(TicketAssignee).order_by(TicketAssignee.ticket_id, TicketAssignee.position)
    ).all()
    for link in rows:
        links.setdefault(link.ticket_id, []).append(link.person_id)
    return [ticket_json(t, links.get(t.id, [])) for t in tickets]
