"""Which tickets changed how on one day: the sections of the daily facts, worked out in SQL.

`daily_facts` needs, per section (completed, blocked, …), the true count and the first
MAX_PER_SECTION tickets in rank order. On a day with 100k changed tickets, reading every event
of the day into Python and then the tickets by id took seconds; here the database folds the
day's events per ticket and ranks each section, and only the counts and the shown ids come
back. Python still decides what a status change means (`_transition_flags`), once per distinct
transition, so the rules stay in one readable place.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    and_,
    case,
    false,
    func,
    insert,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.schema import CreateTable, DropTable
from sqlmodel import Session

from models.settings import Settings
from models.sprints import Sprint
from models.tickets import CANCELED, COMPLETE, IN_PROGRESS, Ticket, TicketEvent, fold_status

#: At most this many tickets per section are carried in the facts (priority, then key, first);
#: `counts` keeps the true totals, so a summary can say "and N more".
MAX_PER_SECTION = 100


def day_sections(
    session: Session, window: tuple[datetime, datetime], sprint: Sprint | None, settings: Settings
) -> tuple[dict[str, list[str]], dict[str, int]]:
    """Per section (all but `attention`): the ids of its first MAX_PER_SECTION tickets in rank
    order (priority, key, title, then id), and how many tickets it has.

    From the status events of the day window and the sprint events entering or leaving
    `sprint`: `canceled` (into a canceled status), `completed` (into the complete category and
    not also canceled that day), `started` (into in progress from to-do, neither completed nor
    canceled that day), `blocked` (into a blocked status and blocked still), `unblocked`,
    `scope_added`, `scope_removed`; tickets no longer stored are left out.

    Built for a day with 100k changed tickets, where reading every event into Python and then
    the tickets by id took seconds: a status change is classified once per distinct
    transition (old/new status and category: a handful a day) in Python by `_transition_flags`,
    the events are folded into one row per ticket in SQL (found through
    `ix_ticketevent_field_at`, so the rest of the history is never read; points and assignee
    events are skipped) into a temporary table on the session's connection, and each section
    is then one `ORDER BY … LIMIT` over it. What leaves the database is the counts and at most
    MAX_PER_SECTION ids a section.
    """
    event = TicketEvent.__table__  # type: ignore[attr-defined]
    ticket = Ticket.__table__  # type: ignore[attr-defined]
    start, end = window
    in_window = and_(event.c.at >= start, event.c.at < end)
    is_status = event.c.field == "status"
    transition = _transition_key(event)
    seen = session.execute(select(transition).where(in_window, is_status).distinct()).scalars()
    flags_of = {key: _transition_flags(key.split(_SEPARATOR), settings) for key in seen}
    # Each event's transition is matched once against the day's few kinds of transition,
    # which carry their flags, rather than once per flag.
    source: Any = event
    flags: dict[str, Any] = dict.fromkeys(_STATUS_FLAGS, false())
    if flags_of:
        kinds = union_all(
            *(
                select(
                    literal(key, String).label("key"),
                    *(literal(int(flag in found)).label(flag) for flag in _STATUS_FLAGS),
                )
                for key, found in flags_of.items()
            )
        ).subquery("kinds")
        source = event.outerjoin(kinds, and_(is_status, transition == kinds.c.key))
        flags = {flag: kinds.c[flag] == 1 for flag in _STATUS_FLAGS}
    fields = is_status
    if sprint is not None:
        is_sprint = event.c.field == "sprint"
        into = and_(is_sprint, event.c.new_sprint_id == sprint.id)
        out_of = and_(is_sprint, event.c.old_sprint_id == sprint.id)
        flags["scope_added"] = and_(into, func.coalesce(event.c.old_sprint_id, "") != sprint.id)
        flags["scope_removed"] = and_(out_of, func.coalesce(event.c.new_sprint_id, "") != sprint.id)
        fields = or_(is_status, into, out_of)
    else:
        flags["scope_added"] = flags["scope_removed"] = false()
    per_ticket = (
        select(
            event.c.ticket_id,
            *(func.max(case((flag, 1), else_=0)).label(name) for name, flag in flags.items()),
        )
        .select_from(source)
        .where(in_window, fields)
        .group_by(event.c.ticket_id)
        .subquery("per_ticket")
    )
    blocked_names = {name.lower() for name in settings.blocked_statuses}
    statuses = session.execute(select(ticket.c.status).distinct()).scalars()
    blocked_now = [status for status in statuses if (status or "").lower() in blocked_names]
    rows = select(
        per_ticket,
        func.coalesce(ticket.c.priority, "~"),
        func.coalesce(ticket.c.key, "~"),
        func.coalesce(ticket.c.title, ""),
        case((ticket.c.status.in_(blocked_now), 1), else_=0),
    ).join_from(per_ticket, ticket, ticket.c.id == per_ticket.c.ticket_id)
    with _temporary_table(session, rows) as changes:
        c = changes.c
        members = {
            "blocked": and_(c.blocked == 1, c.blocked_now == 1),
            "completed": and_(c.completed == 1, c.canceled == 0),
            "canceled": c.canceled == 1,
            "scope_added": c.scope_added == 1,
            "scope_removed": c.scope_removed == 1,
            "started": and_(c.started == 1, c.completed == 0, c.canceled == 0),
            "unblocked": c.unblocked == 1,
        }
        totals = session.execute(
            select(*(func.coalesce(func.sum(case((m, 1), else_=0)), 0) for m in members.values()))
        ).one()
        counts = {section: int(total) for section, total in zip(members, totals, strict=True)}
        text = (
            (lambda col: col.collate("C"))
            if _dialect(session) == "postgresql"
            else (lambda col: col)
        )
        rank = (text(c.priority), text(c.key), text(c.title), c.ticket_id)
        chosen = {
            section: list(
                session.execute(
                    select(c.ticket_id).where(member).order_by(*rank).limit(MAX_PER_SECTION)
                ).scalars()
            )
            if counts[section]
            else []
            for section, member in members.items()
        }
    return chosen, counts


#: Joins the four parts of a status transition into one comparable text (a unit separator,
#: which no status name contains).
_SEPARATOR = "\x1f"
_STATUS_FLAGS = ("canceled", "completed", "started", "blocked", "unblocked")


def _transition_key(event: Table) -> Any:
    """old status, new status, old category, new category of a status event as one text."""
    parts = (event.c.old_value, event.c.new_value, event.c.old_category, event.c.new_category)
    key = func.coalesce(parts[0], "")
    for part in parts[1:]:
        key = key + _SEPARATOR + func.coalesce(part, "")
    return key


def _transition_flags(parts: list[str], settings: Settings) -> set[str]:
    """What a status change from (old name, category) to (new name, category) counts as.

    Categories are the stored ones, except that a status named in `CANCELED_STATUSES` reads as
    canceled whatever its group, as the metrics read it. Into canceled beats into complete,
    which beats started; blocked/unblocked come on top of those.
    """
    old_name, new_name, old_stored, new_stored = parts
    canceled_names = {fold_status(name) for name in settings.canceled_statuses}
    blocked_names = {name.lower() for name in settings.blocked_statuses}

    def category(name: str, stored: str) -> str:
        return CANCELED if fold_status(name) in canceled_names else stored

    old_category, new_category = category(old_name, old_stored), category(new_name, new_stored)
    flags = set()
    if new_category == CANCELED and old_category != CANCELED:
        flags.add("canceled")
    elif new_category == COMPLETE and old_category != COMPLETE:
        flags.add("completed")
    elif new_stored == IN_PROGRESS and old_stored not in (IN_PROGRESS, COMPLETE):
        flags.add("started")
    was_blocked, is_blocked = old_name.lower() in blocked_names, new_name.lower() in blocked_names
    if is_blocked and not was_blocked:
        flags.add("blocked")
    elif was_blocked and not is_blocked:
        flags.add("unblocked")
    return flags


#: Where each dialect keeps a connection's temporary tables.
_TEMP_SCHEMA = {"sqlite": "temp", "postgresql": "pg_temp"}
_CHANGE_COLUMNS = (*_STATUS_FLAGS, "scope_added", "scope_removed")


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


@contextmanager
def _temporary_table(session: Session, rows: Select[Any]) -> Iterator[Table]:
    """`rows` (ticket id, the change flags, priority, key, title, blocked now) written once
    into a temporary table on the session's connection, so each section's query reads it
    instead of folding the day's events again; dropped afterwards. Reads nothing else and
    writes no permanent table (a leftover of an interrupted call is replaced)."""
    table = Table(
        "summary_day_changes",
        MetaData(),
        Column("ticket_id", String),  # unique already (grouped by it); an index costs more
        *(Column(name, Integer) for name in _CHANGE_COLUMNS),
        Column("priority", String),
        Column("key", String),
        Column("title", String),
        Column("blocked_now", Integer),
        schema=_TEMP_SCHEMA[_dialect(session)],
    )
    connection = session.connection()
    connection.execute(DropTable(table, if_exists=True))
    connection.execute(CreateTable(table))
    try:
        connection.execute(insert(table).from_select([c.name for c in table.columns], rows))
        yield table
    finally:
        connection.execute(DropTable(table, if_exists=True))
