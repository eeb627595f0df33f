"""Where each ticket stood at given instants, and what that adds up to for one sprint — in SQL.

`TicketEvent` is the only history we have (Notion keeps none), so "the state of a ticket at
instant t" is, per tracked field, the newest event with `at < t` (ties broken by insertion
order). Before a field's first event the field held that event's *old* value — for the derived
events written on first sight that is "no sprint / no status", i.e. the ticket did not exist
yet. A ticket with no event for a field at all (legacy rows) keeps its current column value.
`Ticket.removed_at` also removes a ticket from the moment it was set.

Everything here is one SQLAlchemy Core statement per question, built from window functions
(`LEAD`, `ROW_NUMBER`, `LAG`) and `GROUP BY`, and it runs unchanged on SQLite and PostgreSQL.
Only the tickets that were ever in the sprint (current column or any sprint event naming it)
are considered, so the cost follows the sprint's size plus one pass over the event table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    Float,
    Integer,
    and_,
    case,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    true,
    type_coerce,
    union,
    union_all,
)
from sqlalchemy.sql.selectable import CTE
from sqlmodel import Session

from models import Ticket, TicketEvent
from models.tickets import COMPLETE

EVENT = TicketEvent.__table__  # type: ignore[attr-defined]
TICKET = Ticket.__table__  # type: ignore[attr-defined]
AT_TYPE = EVENT.c.at.type

#: The TicketEvent fields that decide scope, points and progress.
TRACKED_FIELDS = ("sprint", "points", "status", "removed")


@dataclass(frozen=True)
class ScopePoint:
    """A sprint's totals at one instant. `added_points`/`removed_points` are the scope that
    entered/left since the previous instant of the same timeline, netted per ticket (a ticket
    added and removed between two instants leaves no trace; a re-estimate counts as its
    difference)."""

    instant: datetime
    scope_points: float = 0.0
    completed_points: float = 0.0
    scope_count: int = 0
    done_count: int = 0
    blocked_count: int = 0
    unpointed_count: int = 0
    added_points: float = 0.0
    removed_points: float = 0.0

    @property
    def remaining_points(self) -> float:
        return self.scope_points - self.completed_points


def _instants(instants: Sequence[datetime]) -> CTE:
    """The instants as a tiny table `(idx, at)`; a UNION of literals works on both dialects."""
    rows = [
        select(literal(i, Integer).label("idx"), literal(at, AT_TYPE).label("at"))
        for i, at in enumerate(instants)
    ]
    return (union_all(*rows) if len(rows) > 1 else rows[0]).cte("instants")


def _candidates(sprint_id: str) -> CTE:
    """Tickets that were ever in the sprint: its current members, and any ticket a sprint event
    moved into or out of it."""
    return union(
        select(TICKET.c.id.label("ticket_id")).where(TICKET.c.sprint_id == sprint_id),
        select(EVENT.c.ticket_id.label("ticket_id")).where(
            EVENT.c.field == "sprint",
            or_(EVENT.c.new_sprint_id == sprint_id, EVENT.c.old_sprint_id == sprint_id),
        ),
    ).cte("candidates")


def _intervals(candidates: CTE) -> CTE:
    """Each tracked field's value over time, as half-open intervals `(lo, hi]` of instants.

    An event holds from its `at` (exclusive) until the next event of the same field (inclusive:
    at instant t we see events with `at < t`). Before the first event the first event's old
    value holds, from the beginning of time.
    """
    window = {
        "partition_by": (EVENT.c.ticket_id, EVENT.c.field),
        "order_by": (EVENT.c.at, EVENT.c.id),
    }
    history = (
        select(
            EVENT.c.ticket_id,
            EVENT.c.field,
            EVENT.c.at,
            case((EVENT.c.field == "sprint", EVENT.c.new_sprint_id), else_=EVENT.c.new_value).label(
                "new_value"
            ),
            case((EVENT.c.field == "sprint", EVENT.c.old_sprint_id), else_=EVENT.c.old_value).label(
                "old_value"
            ),
            EVENT.c.new_category,
            EVENT.c.old_category,
            func.lead(EVENT.c.at).over(**window).label("next_at"),
            func.row_number().over(**window).label("seq"),
        )
        # No `field IN (...)` here: SQLite would then read every row through the `field` index,
        # which is several times slower than one scan; other fields are dropped below.
        .where(EVENT.c.ticket_id.in_(select(candidates.c.ticket_id)))
        .cte("history")
    )
    return union_all(
        select(
            history.c.ticket_id,
            history.c.field,
            history.c.new_value.label("value"),
            history.c.new_category.label("category"),
            history.c.at.label("lo"),
            history.c.next_at.label("hi"),
        ).where(history.c.field.in_(TRACKED_FIELDS)),
        select(
            history.c.ticket_id,
            history.c.field,
            history.c.old_value,
            history.c.old_category,
            null(),
            history.c.at,
        ).where(history.c.seq == 1, history.c.field.in_(TRACKED_FIELDS)),
    ).cte("intervals")


def ticket_states(
    sprint_id: str, instants: Sequence[datetime], blocked_statuses: Sequence[str]
) -> CTE:
    """One row per (candidate ticket, instant index `idx`): the ticket's sprint, points, status,
    category, since when it has had that status, and 0/1 flags `in_scope`, `is_complete`,
    `is_blocked` for `sprint_id`. A building block for the queries below; runs nothing."""
    inst = _instants(instants)
    candidates = _candidates(sprint_id)
    intervals = _intervals(candidates)
    matched = (
        select(
            inst.c.idx,
            intervals.c.ticket_id,
            intervals.c.field,
            intervals.c.value,
            intervals.c.category,
            intervals.c.lo,
        )
        .select_from(
            intervals.join(
                inst,
                and_(
                    or_(intervals.c.lo.is_(None), intervals.c.lo < inst.c.at),
                    or_(intervals.c.hi.is_(None), inst.c.at <= intervals.c.hi),
                ),
            )
        )
        .subquery("matched")
    )

    def field_max(field: str, column: object) -> object:
        return func.max(case((matched.c.field == field, column)))

    pivot = (
        select(
            matched.c.ticket_id,
            matched.c.idx,
            *(field_max(f, literal(1)).label(f"has_{f}") for f in TRACKED_FIELDS),
            field_max("sprint", matched.c.value).label("sprint_value"),
            field_max("points", matched.c.value).label("points_value"),
            field_max("status", matched.c.value).label("status_value"),
            field_max("status", matched.c.category).label("category_value"),
            field_max("status", matched.c.lo).label("since_value"),
            field_max("removed", matched.c.value).label("removed_value"),
        )
        .group_by(matched.c.ticket_id, matched.c.idx)
        .subquery("pivot")
    )
    sprint_col = case((pivot.c.has_sprint == 1, pivot.c.sprint_value), else_=TICKET.c.sprint_id)
    points_col = case(
        (pivot.c.has_points == 1, cast(pivot.c.points_value, Float)), else_=TICKET.c.points
    )
    status_col = case((pivot.c.has_status == 1, pivot.c.status_value), else_=TICKET.c.status)
    category_col = case(
        (pivot.c.has_status == 1, pivot.c.category_value), else_=TICKET.c.status_category
    )
    since_col = case(
        (pivot.c.has_status == 1, pivot.c.since_value), else_=TICKET.c.last_edited_time
    )
    removed_col = or_(
        and_(pivot.c.has_removed == 1, pivot.c.removed_value == "1"),
        and_(TICKET.c.removed_at.is_not(None), TICKET.c.removed_at < inst.c.at),
    )
    states = (
        select(
            candidates.c.ticket_id,
            inst.c.idx,
            sprint_col.label("sprint_id"),
            points_col.label("points"),
            status_col.label("status"),
            category_col.label("category"),
            type_coerce(since_col, AT_TYPE).label("status_since"),
            case((removed_col, 1), else_=0).label("removed"),
        )
        .select_from(
            candidates.join(inst, true())
            .join(TICKET, TICKET.c.id == candidates.c.ticket_id)
            .outerjoin(
                pivot,
                and_(pivot.c.ticket_id == candidates.c.ticket_id, pivot.c.idx == inst.c.idx),
            )
        )
        .subquery("states")
    )
    in_scope = and_(states.c.sprint_id == sprint_id, states.c.removed == 0)
    return select(
        states,
        case((in_scope, 1), else_=0).label("in_scope"),
        case((and_(in_scope, states.c.category == COMPLETE), 1), else_=0).label("is_complete"),
        case((and_(in_scope, states.c.status.in_(list(blocked_statuses))), 1), else_=0).label(
            "is_blocked"
        ),
        case((in_scope, func.coalesce(states.c.points, 0.0)), else_=0.0).label("scope_points"),
    ).cte("ticket_states")


def scope_timeline(
    session: Session,
    sprint_id: str,
    instants: Sequence[datetime],
    blocked_statuses: Sequence[str] = (),
) -> list[ScopePoint]:
    """The sprint's totals at each of `instants` (ascending, aware UTC), in one statement.

    `added_points`/`removed_points` of the first point are 0; for later points they are the
    scope that entered/left since the previous instant (see `ScopePoint`).
    """
    if not instants:
        return []
    states = ticket_states(sprint_id, instants, blocked_statuses)
    delta = states.c.scope_points - func.lag(states.c.scope_points).over(
        partition_by=states.c.ticket_id, order_by=states.c.idx
    )
    steps = select(states, delta.label("delta")).subquery("steps")
    completed = case((steps.c.is_complete == 1, steps.c.scope_points), else_=0.0)
    unpointed = case((and_(steps.c.in_scope == 1, steps.c.points.is_(None)), 1), else_=0)
    query = (
        select(
            steps.c.idx,
            func.sum(steps.c.scope_points),
            func.sum(completed),
            func.sum(steps.c.in_scope),
            func.sum(steps.c.is_complete),
            func.sum(steps.c.is_blocked),
            func.sum(unpointed),
            func.sum(case((steps.c.delta > 0, steps.c.delta), else_=0.0)),
            func.sum(case((steps.c.delta < 0, -steps.c.delta), else_=0.0)),
        )
        .group_by(steps.c.idx)
        .order_by(steps.c.idx)
    )
    totals = {row[0]: row[1:] for row in session.execute(query)}
    points = []
    for idx, instant in enumerate(instants):
        row = totals.get(idx)
        if row is None:
            points.append(ScopePoint(instant=instant))
            continue
        scope, done, count, done_count, blocked, unpointed_count, added, removed = row
        points.append(
            ScopePoint(
                instant=instant,
                scope_points=float(scope or 0),
                completed_points=float(done or 0),
                scope_count=int(count or 0),
                done_count=int(done_count or 0),
                blocked_count=int(blocked or 0),
                unpointed_count=int(unpointed_count or 0),
                added_points=float(added or 0) if idx else 0.0,
                removed_points=float(removed or 0) if idx else 0.0,
            )
        )
    return points
