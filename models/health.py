"""The last forecast Conductor announced for each sprint (`SprintHealth`), so a change of
health is announced once — as a Prefect event automations can react to — and not on every
rollup."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Field, SQLModel

from models.base import utcnow


class SprintHealth(SQLModel, table=True):
    """One row per sprint: the forecast (`on_track` / `at_risk` / `off_track`) of the latest
    rollup, and when it last changed."""

    sprint_id: str = Field(primary_key=True, max_length=36)
    forecast: str = Field(max_length=16)
    changed_at: datetime = Field(default_factory=utcnow)
    checked_at: datetime = Field(default_factory=utcnow)


@dataclass(frozen=True)
class HealthChange:
    """A sprint's forecast moved from `before` to `after` (at `changed_at`)."""

    sprint_id: str
    before: str
    after: str
    changed_at: datetime


_TABLE = SprintHealth.__table__  # type: ignore[attr-defined]


def record_health(engine: Engine, sprint_id: str, forecast: str) -> HealthChange | None:
    """Store `forecast` as the sprint's health; the change, when it differs from the stored one.

    The first forecast of a sprint is recorded, not announced (there is nothing it changed
    from). The update is conditional on the value read, so of two rollups racing over the same
    change exactly one reports it.
    """
    now = utcnow()
    with engine.begin() as connection:
        dialect = connection.dialect.name
        insert_new = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(_TABLE)
        # RETURNING, not rowcount: psycopg reports -1 for an INSERT … ON CONFLICT DO NOTHING.
        created = connection.execute(
            insert_new.values(
                sprint_id=sprint_id, forecast=forecast, changed_at=now, checked_at=now
            )
            .on_conflict_do_nothing()
            .returning(_TABLE.c.sprint_id)
        ).first()
        if created is not None:
            return None
        before = connection.execute(
            select(_TABLE.c.forecast).where(_TABLE.c.sprint_id == sprint_id)
        ).scalar_one()
        if before == forecast:
            connection.execute(
                update(_TABLE).where(_TABLE.c.sprint_id == sprint_id).values(checked_at=now)
            )
            return None
        won = connection.execute(
            update(_TABLE)
            .where(_TABLE.c.sprint_id == sprint_id, _TABLE.c.forecast == before)
            .values(forecast=forecast, changed_at=now, checked_at=now)
        ).rowcount
    return HealthChange(sprint_id, before, forecast, now) if won else None


__all__ = ["HealthChange", "SprintHealth", "record_health"]
