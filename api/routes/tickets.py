"""`GET /tickets`: stored tickets, filtered by sprint, status and assignee."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from sqlmodel import Session, select

from api.deps import SessionDep, SettingsDep
from models import TicketAssignee, clock
from models.people import match_people
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
    """Ids of every person `who` names (`models.people.match_people`); failing that, an
    assignee id stored on a ticket but never listed as a person (case-insensitive)."""
    ids = {person.id for person in match_people(session, who)}
    if not ids:
        wanted = who.strip().casefold()
        linked = session.exec(select(TicketAssignee.person_id).distinct()).all()
        ids = {pid for pid in linked if pid.casefold() == wanted}
    return ids
