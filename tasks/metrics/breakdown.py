"""Who and what is in a sprint at one instant: status mix, per-person load, tickets needing
attention, cycle times and carry-over — each a single SQL statement over the sprint's ticket
states (`ticket_states`, or the table `sprint_states` fills once per report); `idx` picks
the instant among those the states were built for.

Assignees are the *current* assignments (`TicketAssignee`); a ticket with two assignees counts
in both people's ticket counts and shares its points between them. Point sums treat unpointed tickets as 0 points; they still count in every count.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import and_, case, func, literal, null, or_, select, type_coerce
from sqlalchemy.sql.selectable import FromClause
from sqlmodel import Session

from models import Person, Sprint, TicketAssignee
from models.tickets import COMPLETE, IN_PROGRESS
from tasks.metrics.scope import AT_TYPE, EVENT, TICKET

LINK = TicketAssignee.__table__  # type: ignore[attr-defined]
PERSON = Person.__table__  # type: ignore[attr-defined]
SPRINT = Sprint.__table__  # type: ignore[attr-defined]


class ScopeTicket(NamedTuple):
    """A ticket in scope that a report lists (blocked, in progress or unpointed); a tuple, as a
    100k-ticket sprint can list tens of thousands."""

    id: str
    key: str | None
    title: str
    url: str | None
    status: str | None
    category: str | None
    points: float | None
    status_since: datetime | None
    blocked: int  # 0/1


def status_breakdown(
    session: Session, states: FromClause, idx: int
) -> dict[str, dict[str, object]]:
    """`{status name: {"count", "points", "category"}}` of the scope at instant `idx`."""
    query = (
        select(
            states.c.status,
            func.max(states.c.category),
            func.count(),
            func.sum(states.c.scope_points),
        )
        .where(states.c.idx == idx, states.c.in_scope == 1)
        .group_by(states.c.status)
        .order_by(states.c.status)
    )
    return {
        status or "No status": {
            "count": int(count),
            "points": round(float(points or 0), 2),
            "category": category,
        }
        for status, category, count, points in session.execute(query)
    }


def assignee_load(session: Session, states: FromClause, idx: int) -> list[dict[str, object]]:
    """Open tickets/points and done points per assignee of the scope at instant `idx` (most
    open first); unassigned work is one row with `id` None.

    A ticket counts once in each of its assignees' ticket counts, but its points are shared
    evenly between them, so the column sums equal the sprint's remaining and completed points
    (a lead adds them up; counting a pair's 5 points twice made "done" exceed completed)."""
    is_open = states.c.is_complete == 0
    sharers = (
        select(LINK.c.ticket_id, func.count().label("n"))
        .group_by(LINK.c.ticket_id)
        .subquery("sharers")
    )
    share = states.c.scope_points / func.coalesce(sharers.c.n, 1)
    query = (
        select(
            LINK.c.person_id,
            func.max(PERSON.c.name),
            func.sum(case((is_open, 1), else_=0)),
            func.sum(case((is_open, share), else_=0.0)),
            func.sum(case((is_open, 0.0), else_=share)),
        )
        .select_from(
            states.outerjoin(LINK, LINK.c.ticket_id == states.c.ticket_id)
            .outerjoin(PERSON, PERSON.c.id == LINK.c.person_id)
            .outerjoin(sharers, sharers.c.ticket_id == states.c.ticket_id)
        )
        .where(states.c.idx == idx, states.c.in_scope == 1)
        .group_by(LINK.c.person_id)
    )
    rows = [
        {
            "id": person_id,
            "name": (name or person_id[:8]) if person_id else "Unassigned",
            "open_count": int(open_count or 0),
            "open_points": round(float(open_points or 0), 2),
            "done_points": round(float(done_points or 0), 2),
        }
        for person_id, name, open_count, open_points, done_points in session.execute(query)
    ]
    rows.sort(key=lambda row: (-row["open_points"], -row["open_count"], str(row["name"])))
    return rows


def attention_tickets(
    session: Session,
    states: FromClause,
    idx: int,
    in_progress_before: datetime | None = None,
    *,
    detail: bool = True,
    ids: Sequence[str] | None = None,
) -> list[ScopeTicket]:
    """Scope tickets at instant `idx` that are blocked (by the statuses the states were built
    with) or in progress and not complete, and every unpointed one (done or not, as
    `unpointed_count` counts them).

    With `in_progress_before`, only what can need attention: the blocked ones, and those in
    progress whose status dates from before then (no unpointed ones). Without `detail`, only
    what ranks them (title, url, status and points are None: tens of thousands of rows cost
    less); `ids` keeps those tickets only."""
    # A ticket never seen changing status has been in it since it was created.
    since = func.coalesce(states.c.status_since, TICKET.c.created_time)
    open_work = and_(states.c.is_complete == 0, states.c.category == IN_PROGRESS)
    if in_progress_before is None:
        wanted = or_(
            and_(states.c.is_complete == 0, or_(states.c.is_blocked == 1, open_work)),
            # every unpointed ticket, done ones too: `unpointed_count` counts them all
            states.c.points.is_(None),
        )
    else:
        stale = and_(open_work, type_coerce(since, AT_TYPE) < literal(in_progress_before, AT_TYPE))
        wanted = and_(states.c.is_complete == 0, or_(states.c.is_blocked == 1, stale))
    if ids is not None:
        wanted = and_(wanted, states.c.ticket_id.in_(list(ids)))
    shown = (
        (func.coalesce(TICKET.c.title, ""), TICKET.c.url, states.c.status)
        if detail
        else (null(), null(), null())
    )
    query = (
        select(
            TICKET.c.id,
            TICKET.c.key,
            *shown,
            states.c.category,
            states.c.points if detail else null(),
            type_coerce(since, AT_TYPE),
            states.c.is_blocked,
        )
        .select_from(states.join(TICKET, TICKET.c.id == states.c.ticket_id))
        .where(states.c.idx == idx, states.c.in_scope == 1, wanted)
        .order_by(TICKET.c.key, TICKET.c.id)
    )
    return [ScopeTicket(*row) for row in session.execute(query).all()]


def cycle_times(session: Session, states: FromClause, idx: int, at: datetime) -> list[float]:
    """Days from first entering In progress to the last move to Complete before `at` (the
    instant `idx` stands for), for the tickets that are complete in scope then (tickets that
    skipped In progress have no cycle time)."""
    done = select(states.c.ticket_id).where(states.c.idx == idx, states.c.is_complete == 1)
    started = type_coerce(
        func.min(case((EVENT.c.new_category == IN_PROGRESS, EVENT.c.at))), AT_TYPE
    )
    finished = type_coerce(func.max(case((EVENT.c.new_category == COMPLETE, EVENT.c.at))), AT_TYPE)
    query = (
        select(EVENT.c.ticket_id, started.label("started"), finished.label("finished"))
        # `new_category` is only set on status events; filtering on it (not on `field`) keeps
        # SQLite from picking the `field` index: it reads the done tickets' events by ticket.
        .where(
            EVENT.c.ticket_id.in_(done),
            EVENT.c.new_category.in_((IN_PROGRESS, COMPLETE)),
            EVENT.c.at < literal(at, AT_TYPE),
        )
        .group_by(EVENT.c.ticket_id)
        .subquery()
    )
    rows = session.execute(
        select(query.c.started, query.c.finished).where(
            and_(query.c.started.is_not(None), query.c.finished > query.c.started)
        )
    )
    return sorted((finished - started).total_seconds() / 86400 for started, finished in rows)


def carried_over(
    session: Session, states: FromClause, sprint_id: str, end_idx: int, now_idx: int
) -> list[dict[str, object]]:
    """Unfinished scope at the sprint's end (instant `end_idx`) whose sprint at `now_idx` is
    another (live) sprint."""
    at_end = states.alias("at_end")
    later = states.alias("later")
    query = (
        select(
            TICKET.c.id,
            TICKET.c.key,
            TICKET.c.title,
            TICKET.c.url,
            at_end.c.points,
            SPRINT.c.id,
            SPRINT.c.name,
        )
        .select_from(
            at_end.join(
                later, and_(later.c.ticket_id == at_end.c.ticket_id, later.c.idx == now_idx)
            )
            .join(TICKET, TICKET.c.id == at_end.c.ticket_id)
            .join(SPRINT, SPRINT.c.id == later.c.sprint_id)
        )
        .where(
            at_end.c.idx == end_idx,
            at_end.c.in_scope == 1,
            at_end.c.is_complete == 0,
            later.c.removed == 0,
            later.c.sprint_id != sprint_id,
            SPRINT.c.removed_at.is_(None),
        )
        .order_by(TICKET.c.key, TICKET.c.id)
    )
    return [
        {
            "id": tid,
            "key": key,
            "title": title or "",
            "url": url,
            "points": None if points is None else float(points),
            "to_sprint": {"id": to_id, "name": to_name},
        }
        for tid, key, title, url, points, to_id, to_name in session.execute(query)
    ]


def assignee_names(session: Session, ticket_ids: Sequence[str]) -> dict[str, list[str]]:
    """Assignee names per ticket, in Notion's order (for listed tickets only)."""
    if not ticket_ids:
        return {}
    query = (
        select(LINK.c.ticket_id, func.coalesce(PERSON.c.name, LINK.c.person_id))
        .select_from(LINK.outerjoin(PERSON, PERSON.c.id == LINK.c.person_id))
        .where(LINK.c.ticket_id.in_(list(ticket_ids)))
        .order_by(LINK.c.ticket_id, LINK.c.position)
    )
    names: dict[str, list[str]] = {}
    for ticket_id, name in session.execute(query):
        names.setdefault(ticket_id, []).append(name)
    return names
