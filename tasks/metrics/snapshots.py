"""Daily sprint snapshots: one `SprintSnapshot` row per sprint per team-calendar day.

A rollup records what it sees for today (`derived=False`) and fills in any missing earlier day
of the sprint from events (`derived=True`), so a burndown exists even for days no rollup ran.
Rerunning on the same day updates today's row; backfilled rows are never overwritten, because a
row observed on its own day is better evidence than a later reconstruction.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from models import Sprint, SprintSnapshot
from models.base import utcnow
from models.settings import Settings
from models.upsert import bulk_upsert
from tasks.metrics.calendar import day_end, days_between
from tasks.metrics.scope import ScopePoint, scope_timeline

#: A sprint that ended this many days ago or less still gets its last day refreshed, so late
#: Notion edits (tickets closed the morning after) reach its final numbers and velocity.
RECENTLY_ENDED_DAYS = 3

SNAPSHOT = SprintSnapshot.__table__  # type: ignore[attr-defined]


def sprints_to_snapshot(session: Session, today: date) -> list[Sprint]:
    """Live sprints that have started and are running or ended within `RECENTLY_ENDED_DAYS`."""
    return list(
        session.exec(
            select(Sprint)
            .where(
                Sprint.removed_at.is_(None),  # type: ignore[union-attr]
                Sprint.start <= today,  # type: ignore[operator]
                Sprint.end >= today - timedelta(days=RECENTLY_ENDED_DAYS),  # type: ignore[operator]
            )
            .order_by(Sprint.start)
        ).all()
    )


def record_snapshots(session: Session, today: date, settings: Settings) -> int:
    """Upsert today's snapshot of each sprint from `sprints_to_snapshot`, and backfill the
    sprint's earlier days that have no row. Returns the number of rows written.

    For a sprint that already ended, "today's" row is its last day (recomputed, `derived=True`).
    The caller commits. Idempotent: a rerun writes the same rows again.
    """
    written = 0
    for sprint in sprints_to_snapshot(session, today):
        assert sprint.start is not None and sprint.end is not None
        last_day = min(today, sprint.end)
        have = set(
            session.exec(
                select(SprintSnapshot.day).where(SprintSnapshot.sprint_id == sprint.id)
            ).all()
        )
        missing = [
            d for d in days_between(sprint.start, last_day) if d not in have and d != last_day
        ]
        days = [*missing, last_day]
        instants = [day_end(day, settings.tz) for day in days]
        points = scope_timeline(
            session, sprint.id, instants, settings.blocked_statuses, settings.canceled_statuses
        )
        observed = last_day == today
        bulk_upsert(
            session,
            SprintSnapshot,
            [_row(sprint.id, last_day, points[-1], derived=not observed)],
            keys=["sprint_id", "day"],
        )
        rows = [_row(sprint.id, d, p, derived=True) for d, p in zip(missing, points, strict=False)]
        if rows:
            session.execute(_insert_ignoring_conflicts(session), rows)
        written += 1 + len(rows)
    return written


def _row(sprint_id: str, day: date, point: ScopePoint, *, derived: bool) -> dict:
    return {
        "sprint_id": sprint_id,
        "day": day,
        "scope_points": point.scope_points,
        "completed_points": point.completed_points,
        "remaining_points": point.remaining_points,
        "scope_count": point.scope_count,
        "done_count": point.done_count,
        "blocked_count": point.blocked_count,
        "unpointed_count": point.unpointed_count,
        "derived": derived,
        "recorded_at": utcnow(),
    }


def _insert_ignoring_conflicts(session: Session):  # type: ignore[no-untyped-def]
    """`INSERT … ON CONFLICT DO NOTHING`: a row another run wrote meanwhile wins."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(SNAPSHOT).on_conflict_do_nothing()
    if dialect == "sqlite":
        return sqlite.insert(SNAPSHOT).on_conflict_do_nothing()
    return insert(SNAPSHOT)
