"""`GET /users`: the people tickets are assigned to."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlmodel import select

from api.deps import SessionDep
from models import Person

router = APIRouter(tags=["people"])


@router.get("/users")
def users(session: SessionDep) -> list[dict[str, Any]]:
    """People (docs/design.md §3 `users --json` shape)."""
    people = session.exec(select(Person).order_by(Person.name)).all()
    return [{"id": p.id, "name": p.name, "email": p.email, "type": p.type} for p in people]
