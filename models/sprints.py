"""Sprints and their daily history (`SprintSnapshot`)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlmodel import Field, Session, SQLModel, UniqueConstraint, select

from models.base import json_field, utcnow
from models.errors import ConductorError
from models.upsert import upsert_seen_pages


class Sprint(SQLModel, table=True):
    """A page of the Sprints data source. `start`/`end` are calendar dates in the team's zone."""

    id: str = Field(primary_key=True, max_length=36)
    data_source_id: str = Field(index=True, max_length=36)
    name: str = Field(default="", index=True)
    start: date | None = Field(default=None, index=True)
    end: date | None = None
    status: str | None = None
    url: str | None = None
    created_time: datetime | None = None
    last_edited_time: datetime | None = Field(default=None, index=True)
    raw: dict[str, Any] = json_field()
    parse_errors: list[dict[str, Any]] = json_field(default_factory=list)
    first_seen_at: datetime = Field(default_factory=utcnow)
    removed_at: datetime | None = None
    updated_at: datetime = Field(default_factory=utcnow)


class SprintSnapshot(SQLModel, table=True):
    """One row per sprint per day (team time zone): where the sprint stood at the end of that day.

    Re-running the rollup on the same day updates the row. `derived` marks rows backfilled from
    events and timestamps rather than observed by a rollup on that day.
    """

    __table_args__ = (UniqueConstraint("sprint_id", "day", name="uq_snapshot_sprint_day"),)

    id: int | None = Field(default=None, primary_key=True)
    sprint_id: str = Field(index=True, max_length=36)
    day: date
    scope_points: float = 0.0
    completed_points: float = 0.0
    remaining_points: float = 0.0
    scope_count: int = 0
    done_count: int = 0
    blocked_count: int = 0
    unpointed_count: int = 0
    derived: bool = False
    recorded_at: datetime = Field(default_factory=utcnow)


def upsert_sprints(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Upsert parsed sprint rows keyed by Notion page id (rewritten only when edited)."""
    upsert_seen_pages(
        session,
        Sprint,
        rows,
        compare=("last_edited_time", "name", "start", "end", "status", "removed_at"),
    )


class SprintNotFoundError(ConductorError):
    """The sprint a user named does not exist."""


def find_sprint(session: Session, selector: str, today: date) -> Sprint | None:
    """Resolve `current` or a sprint name (case-insensitive; unique prefix accepted).

    `current` is the sprint whose dates contain `today` (the team's calendar day); between sprints
    it is the most recently started one. A bare number picks the one sprint whose name ends
    with it (`46` → `Sprint 46`). Returns None when no sprints are stored; raises
    `SprintNotFoundError` naming the known sprints when a name matches nothing (or several).
    """
    live = select(Sprint).where(Sprint.removed_at.is_(None))  # type: ignore[union-attr]
    if selector.lower() == "current":
        containing = session.exec(
            live.where(Sprint.start <= today, Sprint.end >= today).order_by(Sprint.start.desc())  # type: ignore[union-attr]
        ).first()
        if containing:
            return containing
        return session.exec(
            live.where(Sprint.start <= today).order_by(Sprint.start.desc())  # type: ignore[union-attr]
        ).first()
    sprints = session.exec(live.order_by(Sprint.start)).all()
    if not sprints:
        return None
    wanted = selector.strip().lower()
    exact = [s for s in sprints if s.name.lower() == wanted]
    prefixed = [s for s in sprints if s.name.lower().startswith(wanted)]
    numbered = [s for s in sprints if wanted.isdigit() and _number_in(s.name) == int(wanted)]
    if exact:
        return exact[0]
    for match in (prefixed, numbered):
        if len(match) == 1:
            return match[0]
    names = ", ".join(s.name for s in sprints[-8:])
    raise SprintNotFoundError(f"no sprint named {selector!r}; known sprints: {names}")


def _number_in(name: str) -> int | None:
    """The number a sprint name ends with (`Sprint 46`, `S-46`, `Cycle 46`), or None; so a
    user can say `conductor sprint 46`."""
    match = re.search(r"(\d+)\s*$", name)
    return int(match.group(1)) if match else None
