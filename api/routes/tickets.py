"""`GET /tickets`: stored tickets, filtered by sprint, status and assignee."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from sqlmodel import Session, select

from api.deps import SessionDep, SettingsDep
from models import Person, TicketAssignee, clock
from models.queries import load_tickets

router = APIRouter(tags=["tickets"])


@router.get("/tickets")
def tickets(
    session: SessionDep,
    settings: SettingsDep,
    sprint: Annotated[str | None, Query(description="`current` or a sprint name")] = None,
    status_: Annotated[str | None, Query(alias="status", description="status name")] = None,
    assignee: Annotated[
        str | None, Query(description="person id, name, first name or email")
    ] = None,
) -> list[dict[str, Any]]:
    """Stored tickets (docs/design.md §3 `tickets --json` shape), optionally filtered."""
    rows = load_tickets(session, clock.local_today(settings.tz), sprint, status_)
    if assignee:
        wanted = _people_matching(session, assignee)
        if not wanted:
            raise HTTPException(404, f"no person matches {assignee!r}: see GET /users")
        rows = [row for row in rows if wanted & set(row["assignee_ids"])]
    return rows


def _people_matching(session: Session, who: str) -> set[str]:
    """Ids of people whose id, name, first name or email equals `who` (case-insensitive)."""
    wanted = who.strip().casefold()
    ids = set()
    for person in session.exec(select(Person)).all():
        names = {person.id.casefold(), person.name.casefold(), (person.email or "").casefold()}
        first = person.name.split()[0].casefold() if person.name.split() else ""
        if wanted in names or wanted == first:
            ids.add(person.id)
    if not ids:
        # A ticket may carry an id of someone never listed; match raw ids too.
        linked = session.exec(select(TicketAssignee.person_id).distinct()).all()
        ids = {pid for pid in linked if pid.casefold() == wanted}
    return ids
