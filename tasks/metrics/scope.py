"""Where each ticket stood at given instants, and what that adds up to for one sprint — in SQL.

`TicketEvent` is the only history we have (Notion keeps none), so "the state of a ticket at
instant t" is, per tracked field, the newest event with `at < t` (ties broken by insertion
order). Before a field's first event the field held that event's *old* value — for the derived
events written on first sight that is "no sprint / no status", i.e. the ticket did not exist
yet. A ticket with no event for a field at all (legacy rows) keeps its current column value.
`Ticket.removed_at` also removes a ticket from the moment it was set.

Everything here is one SQLAlchemy Core statement per question, built from window functions
(`LEAD`, `LAG`) and `GROUP BY`, and it runs unchanged on SQLite and PostgreSQL.
Only the tickets that were ever in the sprint (current column or any sprint event naming it)
are considered, and both they and their events are found through TicketEvent's indexes, so the
cost follows the sprint's size, not the table's. A report that asks several questions about the
same instants builds the states once with `stored_ticket_states`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    case,
    cast,
    false,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    true,
    type_coerce,
    union,
    union_all,
)
from sqlalchemy.schema import CreateTable, DropTable
from sqlalchemy.sql.selectable import CTE, FromClause, Subquery
from sqlmodel import Session

from models import Ticket, TicketEvent
from models.tickets import CANCELED, COMPLETE, fold_status

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
    canceled_count: int = 0
    canceled_points: float = 0.0

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
        select(EVENT.c.ticket_id).where(
            EVENT.c.new_sprint_id == sprint_id, EVENT.c.field == "sprint"
        ),
        select(EVENT.c.ticket_id).where(
            EVENT.c.old_sprint_id == sprint_id, EVENT.c.field == "sprint"
        ),
    ).cte("candidates")


def _history(candidates: CTE) -> CTE:
    """The candidates' events, each with the time of the next event of the same field
    (`next_at`, NULL for the newest) and the id of the previous one (`previous_id`, NULL for
    the first). Both use one window, which SQLite sorts once (`row_number` would cost a second
    pass)."""
    window = {
        "partition_by": (EVENT.c.ticket_id, EVENT.c.field),
        "order_by": (EVENT.c.at, EVENT.c.id),
    }
    return (
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
            func.lag(EVENT.c.id).over(**window).label("previous_id"),
        )
        # No `field IN (...)` here: SQLite could then pick the `field` index and read every
        # row of the table; other fields are dropped in `_values_at`.
        .where(EVENT.c.ticket_id.in_(select(candidates.c.ticket_id)))
        .cte("history")
    )


def _values_at(history: CTE, inst: CTE) -> Subquery:
    """Each tracked field's value at each instant, one row per (ticket, field, instant).

    An event holds from its `at` (exclusive) until the next event of the same field (inclusive:
    at instant t we see events with `at < t`). Before the first event the first event's old
    value holds, from the beginning of time; `lo` (since when the value holds) is then NULL.
    """
    before_first = and_(history.c.previous_id.is_(None), inst.c.at <= history.c.at)
    holds = and_(
        history.c.at < inst.c.at,
        or_(history.c.next_at.is_(None), inst.c.at <= history.c.next_at),
    )
    return (
        select(
            inst.c.idx,
            history.c.ticket_id,
            history.c.field,
            case((before_first, history.c.old_value), else_=history.c.new_value).label("value"),
            case((before_first, history.c.old_category), else_=history.c.new_category).label(
                "category"
            ),
            case((before_first, null()), else_=history.c.at).label("lo"),
        )
        .select_from(history.join(inst, or_(holds, before_first)))
        .where(history.c.field.in_(TRACKED_FIELDS))
        .subquery("matched")
    )


def _status_in(status: Any, names: Sequence[str]) -> Any:
    """`status` is one of `names`, compared as `fold_status` compares them, in SQL."""
    if not names:
        return false()
    folded = func.lower(func.replace(func.coalesce(status, ""), "\u2019", "'"))
    return folded.in_([fold_status(name) for name in names])


def ticket_states(
    sprint_id: str,
    instants: Sequence[datetime],
    blocked_statuses: Sequence[str],
    canceled_statuses: Sequence[str] = (),
) -> CTE:
    """One row per (candidate ticket, instant index `idx`): the ticket's sprint, points, status,
    category, since when it has had that status, and 0/1 flags `in_scope`, `is_complete`,
    `is_blocked`, `is_canceled` for `sprint_id`. A building block for the queries below; runs
    nothing.

    Canceled work (category `canceled`, or a status named in `canceled_statuses` — matched by
    name here, not only at sync time, so history stored before a team listed a status still
    reads right) is in the sprint but out of its scope: its points leave the scope when it is
    canceled, and it never counts as complete."""
    inst = _instants(instants)
    candidates = _candidates(sprint_id)
    matched = _values_at(_history(candidates), inst)

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
    in_sprint = and_(states.c.sprint_id == sprint_id, states.c.removed == 0)
    canceled = and_(
        in_sprint,
        # COALESCE: a status or category may be NULL (a ticket first seen has no known past
        # status), and NULL must read as "not canceled", not poison `in_scope` below.
        or_(
            func.coalesce(states.c.category, "") == CANCELED,
            _status_in(states.c.status, canceled_statuses),
        ),
    )
    in_scope = and_(in_sprint, ~canceled)
    return select(
        states,
        case((in_scope, 1), else_=0).label("in_scope"),
        case((and_(in_scope, states.c.category == COMPLETE), 1), else_=0).label("is_complete"),
        case((and_(in_scope, _status_in(states.c.status, blocked_statuses)), 1), else_=0).label(
            "is_blocked"
        ),
        case((canceled, 1), else_=0).label("is_canceled"),
        case((in_scope, func.coalesce(states.c.points, 0.0)), else_=0.0).label("scope_points"),
        case((canceled, func.coalesce(states.c.points, 0.0)), else_=0.0).label("canceled_points"),
    ).cte("ticket_states")


#: Where each dialect keeps a connection's temporary tables; naming it means a DROP can never
#: reach a permanent table of the same name.
_TEMP_SCHEMA = {"sqlite": "temp", "postgresql": "pg_temp"}


@contextmanager
def stored_ticket_states(
    session: Session,
    sprint_id: str,
    instants: Sequence[datetime],
    blocked_statuses: Sequence[str],
    canceled_statuses: Sequence[str] = (),
) -> Iterator[Table]:
    """`ticket_states` computed once into a temporary table, for a caller that asks several
    questions about the same sprint and instants (each `ticket_states` statement replays the
    sprint's whole history). The table has the same columns and is dropped on a normal exit.

    The table lives on the session's connection only, so concurrent reports do not see each
    other's; a leftover from an interrupted report is replaced. Writes nothing else.
    """
    dialect = session.get_bind().dialect.name
    table = Table(
        "metrics_ticket_states",
        MetaData(),
        Column("ticket_id", String, primary_key=True),
        Column("idx", Integer, primary_key=True),
        Column("sprint_id", String),
        Column("points", Float),
        Column("status", String),
        Column("category", String),
        Column("status_since", AT_TYPE),
        *(
            Column(name, Integer)
            for name in ("removed", "in_scope", "is_complete", "is_blocked", "is_canceled")
        ),
        Column("scope_points", Float),
        Column("canceled_points", Float),
        schema=_TEMP_SCHEMA[dialect],
    )
    connection = session.connection()
    connection.execute(DropTable(table, if_exists=True))
    connection.execute(CreateTable(table))
    states = ticket_states(sprint_id, instants, blocked_statuses, canceled_statuses)
    connection.execute(insert(table).from_select([c.name for c in table.columns], select(states)))
    yield table
    connection.execute(DropTable(table, if_exists=True))


def scope_timeline(
    session: Session,
    sprint_id: str,
    instants: Sequence[datetime],
    blocked_statuses: Sequence[str] = (),
    canceled_statuses: Sequence[str] = (),
) -> list[ScopePoint]:
    """The sprint's totals at each of `instants` (ascending, aware UTC), in one statement.

    `added_points`/`removed_points` of the first point are 0; for later points they are the
    scope that entered/left since the previous instant (see `ScopePoint`).
    """
    if not instants:
        return []
    states = ticket_states(sprint_id, instants, blocked_statuses, canceled_statuses)
    return timeline_totals(session, states, instants)


def timeline_totals(
    session: Session, states: FromClause, instants: Sequence[datetime]
) -> list[ScopePoint]:
    """`scope_timeline` over states already built (`ticket_states` or `stored_ticket_states`)
    for `instants`; states of any later instant index are ignored."""
    delta = states.c.scope_points - func.lag(states.c.scope_points).over(
        partition_by=states.c.ticket_id, order_by=states.c.idx
    )
    steps = (
        select(states, delta.label("delta")).where(states.c.idx < len(instants)).subquery("steps")
    )
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
            func.sum(steps.c.is_canceled),
            func.sum(steps.c.canceled_points),
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
        (scope, done, count, done_count, blocked, unpointed_count, added, removed) = row[:8]
        canceled_count, canceled_points = row[8:]
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
                canceled_count=int(canceled_count or 0),
                canceled_points=float(canceled_points or 0),
            )
        )
    return points
