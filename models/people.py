"""People: Notion users seen through `users.list` or inside people/created_by properties."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import case, func
from sqlmodel import Field, Session, SQLModel, select

from models.base import utcnow
from models.upsert import bulk_upsert


class Person(SQLModel, table=True):
    """A Notion user. Keyed by the Notion user id, so every upsert is idempotent.

    `source` says where we learnt of them: `users_api` (authoritative, has email when the
    integration may read it) or `property` (only what a page property carried).
    """

    id: str = Field(primary_key=True, max_length=36)
    name: str = Field(default="", index=True)
    email: str | None = Field(default=None, index=True)
    type: str = Field(default="person", max_length=16)
    avatar_url: str | None = None
    source: str = Field(default="property", max_length=16)
    updated_at: datetime = Field(default_factory=utcnow)


def match_people(session: Session, who: str) -> list[Person]:
    """The people `who` names, sorted by name then id; empty when nobody matches.

    The one matching rule (the API's `?assignee=` filter and task intake both use it): `who` is
    compared case-insensitively with runs of whitespace collapsed, against people of type
    `person` only (never bots). Exact matches (id, full name or email) win; only when there is
    none do loose ones count (first name, or the email's local part). Callers decide what
    several matches mean: the API filter takes them all, task intake asks which one.
    """
    wanted = " ".join(who.split()).casefold()
    if not wanted:
        return []
    people = session.exec(select(Person).where(Person.type == "person")).all()

    def exact(p: Person) -> bool:
        return wanted in (p.id.casefold(), p.name.casefold(), (p.email or "").casefold())

    def loose(p: Person) -> bool:
        first = p.name.split()[0].casefold() if p.name.split() else ""
        local = (p.email or "").split("@")[0].casefold() if p.email else ""
        return wanted in (first, local)

    found = [p for p in people if exact(p)] or [p for p in people if loose(p)]
    return sorted(found, key=lambda p: (p.name, p.id))


def upsert_people(session: Session, people: Sequence[dict[str, Any]]) -> None:
    """Upsert people by Notion id. A missing name or email never erases a known one.

    Rows: `{"id", "name", "email", "type", "avatar_url", "source"}`. A `users_api` row beats a
    `property` row for `source`; duplicates inside the batch collapse to the most complete one.
    """
    merged: dict[str, dict[str, Any]] = {}
    for person in people:
        current = merged.setdefault(person["id"], {})
        for key, value in person.items():
            if value not in (None, "") and (key != "source" or current.get(key) != "users_api"):
                current[key] = value
    rows = [
        {
            "id": pid,
            "name": data.get("name") or "",
            "email": data.get("email"),
            "type": data.get("type") or "person",
            "avatar_url": data.get("avatar_url"),
            "source": data.get("source") or "property",
            "updated_at": utcnow(),
        }
        for pid, data in merged.items()
    ]
    rows.sort(key=lambda row: row["id"])
    bulk_upsert(
        session,
        Person,
        rows,
        keys=["id"],
        keep_when_null=["email", "avatar_url"],
        custom_updates=_keep_authoritative_source,
    )


def _keep_authoritative_source(table: Any, excluded: Any) -> dict[str, Any]:
    """Keep a known name over a blank one, and `users_api` as source once a person was listed."""
    return {
        "name": func.coalesce(func.nullif(excluded.name, ""), table.c.name),
        "source": case((table.c.source == "users_api", table.c.source), else_=excluded.source),
    }
