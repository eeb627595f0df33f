"""Where each ticket stood at given instants, and what that adds up to for one sprint — in SQL.

`TicketEvent` is the only history we have (Notion keeps none), so "the state of a ticket at
instant t" is, per tracked field, the newest event with `at < t` (ties broken by insertion
order). Before a field's first event the field held that event's *old* value — for the derived
events written on first sight that is "no sprint / no status", i.e. the ticket did not exist
yet. A ticket with no event for a field at all (legacy rows) keeps its current column value.
`Ticket.removed_at` also removes a ticket from the moment it was set.

Two readings of that rule, with the same results:

- From the events (`ticket_states`): window functions (`LEAD`, `LAG`) and `GROUP BY` over the
  history of the tickets that were ever in the sprint (current column or any sprint event
  naming it), found through TicketEvent's indexes, so the cost follows the sprint's size, not
  the table's — but every question replays that history once per instant.
- From `TicketState` (`models.ticket_states`), the same rule folded once per change by
  `tasks.metrics.state_spans` when a flow writes: a sprint's states are then a range read of
  its own rows. Used whenever those rows are current, which the writers keep them.

`scope_timeline` and `sprint_states` (a report's timeline and listed states) pick the reading;
every statement runs unchanged on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
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
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.schema import CreateTable, DropTable
from sqlalchemy.sql.selectable import CTE, FromClause, Select, Subquery
from sqlmodel import Session

from models import Ticket, TicketEvent, TicketState
from models.tickets import CANCELED, COMPLETE, fold_status
from tasks.metrics import state_spans

EVENT = TicketEvent.__table__  # type: ignore[attr-defined]
TICKET = Ticket.__table__  # type: ignore[attr-defined]
STATE = TicketState.__table__  # type: ignore[attr-defined]
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
    return with_flags(states, sprint_id, blocked_statuses, canceled_statuses).cte("ticket_states")


def with_flags(
    states: FromClause,
    sprint_id: str,
    blocked_statuses: Sequence[str],
    canceled_statuses: Sequence[str],
    status_in: Callable[[Any, Sequence[str]], Any] = _status_in,
) -> Select:
    """`states` (any rows with `sprint_id`, `points`, `status`, `category` and a 0/1 `removed`)
    with the flags of `ticket_states` for `sprint_id` added: `in_scope`, `is_complete`,
    `is_blocked`, `is_canceled`, `scope_points`, `canceled_points`. One definition, used for
    states read from the events and from `TicketState` alike. `status_in(status, names)` is
    how a status is matched against a list (`_status_in`, or a plain `IN` over the stored
    names the database already matched, see `_status_matcher`)."""
    in_sprint = and_(states.c.sprint_id == sprint_id, states.c.removed == 0)
    canceled = and_(
        in_sprint,
        # COALESCE: a status or category may be NULL (a ticket first seen has no known past
        # status), and NULL must read as "not canceled", not poison `in_scope` below.
        or_(
            func.coalesce(states.c.category, "") == CANCELED,
            status_in(states.c.status, canceled_statuses),
        ),
    )
    in_scope = and_(in_sprint, ~canceled)
    return select(
        states,
        case((in_scope, 1), else_=0).label("in_scope"),
        case((and_(in_scope, states.c.category == COMPLETE), 1), else_=0).label("is_complete"),
        case((and_(in_scope, status_in(states.c.status, blocked_statuses)), 1), else_=0).label(
            "is_blocked"
        ),
        case((canceled, 1), else_=0).label("is_canceled"),
        case((in_scope, func.coalesce(states.c.points, 0.0)), else_=0.0).label("scope_points"),
        case((canceled, func.coalesce(states.c.points, 0.0)), else_=0.0).label("canceled_points"),
    )


#: Where each dialect keeps a connection's temporary tables; naming it means a DROP can never
#: reach a permanent table of the same name.
_TEMP_SCHEMA = {"sqlite": "temp", "postgresql": "pg_temp"}


@dataclass(frozen=True)
class SprintStates:
    """A report's view of one sprint: its totals at each timeline instant, and its ticket
    states (the columns of `ticket_states`) at the instants it lists tickets for."""

    timeline: list[ScopePoint]
    table: FromClause


@contextmanager
def sprint_states(
    session: Session,
    sprint_id: str,
    instants: Sequence[datetime],
    later: Sequence[datetime],
    blocked_statuses: Sequence[str],
    canceled_statuses: Sequence[str] = (),
) -> Iterator[SprintStates]:
    """The sprint's `timeline` at `instants`, and a `table` of ticket states at the last of them
    (`idx` len(instants) - 1: the sprint's tickets) and at each of `later` (the following
    `idx`s: every ticket ever in the sprint, wherever it is then, for carry-over).

    From `TicketState` when it is current (`state_spans.states_are_current`): the sprint's own
    rows, flagged once into a temporary table. Otherwise from the events, as `ticket_states`
    reads them, into a temporary table of states. Either way the temporary table lives on the
    session's connection only (concurrent reports do not see each other's; a leftover from an
    interrupted report is replaced) and is dropped on a normal exit; nothing else is written.
    """
    statuses = (blocked_statuses, canceled_statuses)
    connection = session.connection()
    if state_spans.states_are_current(session):
        table = _flagged_sprint_spans(session, sprint_id, instants, statuses)
        timeline = _span_timeline(session, table, instants)
        listed = _listed_states(table, sprint_id, instants, later, statuses)
    else:
        table = _temporary_table(session, "metrics_ticket_states", _STATE_COLUMNS)
        states = ticket_states(sprint_id, [*instants, *later], *statuses)
        columns = [c.name for c in table.columns]
        connection.execute(insert(table).from_select(columns, select(states)))
        timeline, listed = timeline_totals(session, table, instants), table
    try:
        yield SprintStates(timeline, listed)
    finally:
        _drop(session, table)


#: The columns of a table of ticket states, after its key (`ticket_id`, then `idx` or `since`).
_STATE_COLUMNS = (
    ("sprint_id", String),
    ("points", Float),
    ("status", String),
    ("category", String),
    ("status_since", AT_TYPE),
    *((name, Integer) for name in ("removed", "in_scope", "is_complete", "is_blocked")),
    ("is_canceled", Integer),
    ("scope_points", Float),
    ("canceled_points", Float),
)
_FLAGGED = tuple(name for name, _ in _STATE_COLUMNS)


def _temporary_table(
    session: Session, name: str, columns: Sequence[tuple[str, Any]], key: Any = ("idx", Integer)
) -> Table:
    """An empty temporary table on the session's connection, keyed by `ticket_id` and `key`."""
    dialect = session.get_bind().dialect.name
    table = Table(
        name,
        MetaData(),
        Column("ticket_id", String, primary_key=True),
        Column(key[0], key[1], primary_key=True),
        *(Column(column, kind) for column, kind in columns),
        schema=_TEMP_SCHEMA[dialect],
        # Kept in key order (no rowid on SQLite): the window by ticket below needs no sort.
        sqlite_with_rowid=False,
    )
    connection = session.connection()
    connection.execute(DropTable(table, if_exists=True))
    connection.execute(CreateTable(table))
    return table


def _drop(session: Session, table: Table) -> None:
    """Drop a temporary table of ours. After a failed statement the transaction's rollback
    removes it anyway, and the error that matters is that one, not the drop's."""
    with suppress(SQLAlchemyError):
        session.connection().execute(DropTable(table, if_exists=True))


def _flagged_sprint_spans(
    session: Session,
    sprint_id: str,
    instants: Sequence[datetime],
    statuses: tuple[Sequence[str], Sequence[str]],
) -> Table:
    """The sprint's `TicketState` rows that hold at one of `instants` at least, with the
    instant indexes they hold at ([a, b)) and the flags of `with_flags`, in a temporary table:
    the timeline and the listings then read plain columns."""
    table = _temporary_table(
        session,
        "metrics_sprint_spans",
        # No `sprint_id`: every row is the sprint's.
        [("a", Integer), ("b", Integer), *(c for c in _STATE_COLUMNS if c[0] != "sprint_id")],
        key=("since", AT_TYPE),
    )
    spans = (
        select(
            *_span_columns(),
            STATE.c.since,
            _bucket(STATE.c.since, instants).label("a"),
            _bucket(STATE.c.until, instants).label("b"),
        )
        .where(
            STATE.c.sprint_id == sprint_id,
            STATE.c.since < literal(instants[-1], AT_TYPE),
            or_(STATE.c.until.is_(None), STATE.c.until >= literal(instants[0], AT_TYPE)),
        )
        .subquery("spans")
    )
    matcher = _status_matcher(session, sprint_id, statuses)
    flagged = with_flags(spans, sprint_id, *statuses, status_in=matcher).subquery("flagged")
    columns = [c.name for c in table.columns]
    rows = select(*(flagged.c[name] for name in columns)).where(flagged.c.a < flagged.c.b)
    session.connection().execute(insert(table).from_select(columns, rows))
    return table


def _listed_states(
    spans: Table,
    sprint_id: str,
    instants: Sequence[datetime],
    later: Sequence[datetime],
    statuses: tuple[Sequence[str], Sequence[str]],
) -> FromClause:
    """The states `sprint_states` lists: the sprint's at its last instant (read off `spans`),
    and every ticket ever in it at each of `later`."""
    last = len(instants) - 1
    now = select(
        spans.c.ticket_id,
        literal(last, Integer).label("idx"),
        *(
            literal(sprint_id, String).label(name) if name == "sprint_id" else spans.c[name]
            for name in _FLAGGED
        ),
    ).where(spans.c.a <= last, spans.c.b > last)
    if not later:
        return now.subquery("listed_states")
    after = [
        _span_states_at(sprint_id, at, idx, *statuses)
        for idx, at in enumerate(later, start=last + 1)
    ]
    return union_all(now, *after).subquery("listed_states")


def _bucket(column: Any, instants: Sequence[datetime]) -> Any:
    """How many of `instants` are at or before `column` (NULL: all of them): a stretch that
    starts at `since` and ends at `until` holds at the instants with index in
    [bucket(since), bucket(until))."""
    return case(
        (column.is_(None), len(instants)),
        *((column < literal(at, AT_TYPE), idx) for idx, at in enumerate(instants)),
        else_=len(instants),
    )


def _span_columns() -> list[Any]:
    """`TicketState` columns under the names `with_flags` reads."""
    return [
        STATE.c.ticket_id,
        func.nullif(STATE.c.sprint_id, "").label("sprint_id"),
        STATE.c.points,
        STATE.c.status,
        STATE.c.category,
        STATE.c.status_since,
        case((STATE.c.removed, 1), else_=0).label("removed"),
    ]


def _span_states_at(
    sprint_id: str,
    at: datetime,
    idx: int,
    blocked_statuses: Sequence[str],
    canceled_statuses: Sequence[str],
) -> Select:
    """States at instant `at` (as `idx`) of every ticket that was ever in the sprint, wherever
    it is then, from the `TicketState` rows holding then."""
    holds = and_(
        STATE.c.since < literal(at, AT_TYPE),
        or_(STATE.c.until.is_(None), STATE.c.until >= literal(at, AT_TYPE)),
    )
    members = select(STATE.c.ticket_id).where(STATE.c.sprint_id == sprint_id).distinct()
    where = and_(holds, STATE.c.ticket_id.in_(members))
    spans = select(*_span_columns(), literal(idx, Integer).label("idx")).where(where).subquery()
    flagged = with_flags(spans, sprint_id, blocked_statuses, canceled_statuses).subquery()
    return select(flagged.c.ticket_id, flagged.c.idx, *(flagged.c[name] for name in _FLAGGED))


def _status_matcher(
    session: Session, sprint_id: str, lists: Sequence[Sequence[str]]
) -> Callable[[Any, Sequence[str]], Any]:
    """A `status_in` for `with_flags` over the sprint's `TicketState` rows: the database matches
    each distinct stored status against each list once (by `_status_in`, so the rule is the
    same as for the events), and the flags then compare plainly against those that matched."""
    stored = list(
        session.execute(
            select(STATE.c.status).where(STATE.c.sprint_id == sprint_id).distinct()
        ).scalars()
    )
    matched: dict[tuple[str, ...], list[str]] = {key: [] for key in map(tuple, lists)}
    # In chunks: SQLite allows at most 500 terms in a compound SELECT.
    for start in range(0, len(stored), 400):
        names = union_all(
            *(select(literal(name, String).label("status")) for name in stored[start : start + 400])
        ).subquery("stored")
        for key in matched:
            if key:
                found = session.execute(
                    select(names.c.status).where(_status_in(names.c.status, key))
                )
                # `_status_in` reads no status as ""; so does `status_in` below.
                matched[key] += ["" if status is None else status for status in found.scalars()]

    def status_in(status: Any, listed: Sequence[str]) -> Any:
        hits = matched.get(tuple(listed), [])
        return func.coalesce(status, "").in_(hits) if hits else false()

    return status_in


def _span_timeline(
    session: Session, spans: Table, instants: Sequence[datetime]
) -> list[ScopePoint]:
    """`scope_timeline` from `_flagged_sprint_spans`, in one statement and without a row per
    ticket and instant: a stretch that holds at instant indexes [a, b) adds its figures to each
    of them, so one `GROUP BY a, b` (a few dozen groups) carries every total. Scope that
    entered or left is read at each stretch's edges against the ticket's previous stretch in
    the sprint (`LAG` in key order, which SQLite reads without sorting), netted per ticket: a
    ticket whose stretch in the sprint holds at no instant is not in `spans` and leaves no
    trace, as `ScopePoint` says."""
    n = len(instants)
    f = spans.c
    figures = [
        f.scope_points,
        case((f.is_complete == 1, f.scope_points), else_=0.0),
        f.in_scope,
        f.is_complete,
        f.is_blocked,
        case((and_(f.in_scope == 1, f.points.is_(None)), 1), else_=0),
        f.is_canceled,
        f.canceled_points,
    ]
    # Scope moves: every stretch that ends before the last instant takes its points away
    # there; one that starts after the first adds its points, less those of the stretch it
    # directly follows (whose end it then cancels): per ticket, only the net change counts.
    window = {"partition_by": f.ticket_id, "order_by": f.since}
    edges = select(
        f.a,
        f.b,
        *(figure.label(f"f{i}") for i, figure in enumerate(figures)),
        func.lag(f.b).over(**window).label("previous_b"),
        func.lag(f.scope_points).over(**window).label("previous_points"),
    ).subquery("edges")
    e = edges.c
    follows = case((e.previous_b == e.a, e.previous_points), else_=0.0)
    change = e.f0 - follows
    starts, ends = e.a > 0, e.b < n

    def plus(value: Any) -> Any:
        return case((value > 0, value), else_=0.0)

    # Per stretch: what its start adds and removes (its change, less what the end of the
    # stretch it follows counted), and what its end adds and removes (points can be negative).
    moves = [
        case((starts, plus(change) - plus(-follows)), else_=0.0),
        case((starts, plus(-change) - plus(follows)), else_=0.0),
        case((ends, plus(-e.f0)), else_=0.0),
        case((ends, plus(e.f0)), else_=0.0),
    ]
    rows = session.execute(
        select(
            e.a,
            e.b,
            *(func.sum(e[f"f{i}"]) for i in range(len(figures))),
            *(func.sum(move) for move in moves),
        ).group_by(e.a, e.b)
    ).all()
    totals = [[0.0] * len(figures) for _ in range(n)]
    added, removed = [0.0] * (n + 1), [0.0] * (n + 1)
    for start, end, *sums in rows:
        for idx in range(start, end):
            totals[idx] = [
                t + float(v or 0) for t, v in zip(totals[idx], sums[: len(figures)], strict=True)
            ]
        added_at_start, removed_at_start, added_at_end, removed_at_end = sums[len(figures) :]
        added[start] += float(added_at_start or 0)
        removed[start] += float(removed_at_start or 0)
        added[end] += float(added_at_end or 0)
        removed[end] += float(removed_at_end or 0)
    points = []
    for idx, instant in enumerate(instants):
        scope, done, count, done_count, blocked, unpointed, canceled, canceled_points = totals[idx]
        points.append(
            ScopePoint(
                instant=instant,
                scope_points=_points_sum(scope),
                completed_points=_points_sum(done),
                scope_count=round(count),
                done_count=round(done_count),
                blocked_count=round(blocked),
                unpointed_count=round(unpointed),
                added_points=_points_sum(added[idx]) if idx else 0.0,
                removed_points=_points_sum(removed[idx]) if idx else 0.0,
                canceled_count=round(canceled),
                canceled_points=_points_sum(canceled_points),
            )
        )
    return points


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
    statuses = (blocked_statuses, canceled_statuses)
    if state_spans.states_are_current(session):
        spans = _flagged_sprint_spans(session, sprint_id, instants, statuses)
        try:
            return _span_timeline(session, spans, instants)
        finally:
            _drop(session, spans)
    states = ticket_states(sprint_id, instants, *statuses)
    return timeline_totals(session, states, instants)


def timeline_totals(
    session: Session, states: FromClause, instants: Sequence[datetime]
) -> list[ScopePoint]:
    """`scope_timeline` over states already built (`ticket_states`, or the table of
    `sprint_states`) for `instants`; states of any later instant index are ignored."""
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
                scope_points=_points_sum(scope),
                completed_points=_points_sum(done),
                scope_count=int(count or 0),
                done_count=int(done_count or 0),
                blocked_count=int(blocked or 0),
                unpointed_count=int(unpointed_count or 0),
                added_points=_points_sum(added) if idx else 0.0,
                removed_points=_points_sum(removed) if idx else 0.0,
                canceled_count=int(canceled_count or 0),
                canceled_points=_points_sum(canceled_points),
            )
        )
    return points


def _points_sum(value: float | None) -> float:
    """A sum of points as both readings give it: sums of the same points in another order (the
    events' per instant, the stretches' running totals) can differ in the last bits, so both
    are rounded to 9 decimals, far below the 2 a report shows."""
    return round(float(value or 0), 9) + 0.0
