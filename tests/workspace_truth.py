"""What a sync must store, read two ways: from the database, and from the sandbox's own records.

Both sides come out as `{ticket id: (title, status, points, sprint id, assignee ids, live)}`,
so a test states "the stored tickets equal the sandbox's" as one comparison.
"""

from __future__ import annotations

from sqlmodel import Session, select

from models import Ticket, TicketAssignee
from models.db import get_engine
from sandbox.server import Sandbox


def stored(db_url: str) -> dict[str, tuple]:
    with Session(get_engine(db_url)) as session:
        links: dict[str, list[str]] = {}
        for link in session.exec(select(TicketAssignee).order_by(TicketAssignee.position)):
            links.setdefault(link.ticket_id, []).append(link.person_id)
        return {
            t.id: (
                t.title,
                t.status,
                t.points,
                t.sprint_id,
                tuple(links.get(t.id, ())),
                t.removed_at is None,
            )
            for t in session.exec(select(Ticket))
        }


def expected(sandbox: Sandbox, points_property: str = "Points") -> dict[str, tuple]:
    """What the sandbox holds, in the same shape, read from its records (not via our parser):
    every live ticket of every data source of the Tickets database, with whole relations and
    people lists (no 25-item cut).

    `points_property` is "Story points" for the template layouts, where points are a select
    whose option names are numbers.
    """
    ws = sandbox.workspace
    starts = {page.id: page.values["Dates"].start for page in ws.sprints()}
    rows = {}
    for page in ws.tickets(all_sources=True):
        values = page.values
        # A carried-over ticket relates to the old and the new sprint: it is in the later one.
        sprint = sorted(
            values.get("Sprint") or (), key=lambda sid: starts.get(sid, ""), reverse=True
        )
        rows[page.id] = (
            ws.title(page).replace("\x00", "\ufffd"),  # the one character PostgreSQL cannot store
            values.get("Status"),
            None if values.get(points_property) is None else float(values[points_property]),
            sprint[0] if sprint else None,
            tuple(values.get("Assignee") or ()),
            True,
        )
    return rows
