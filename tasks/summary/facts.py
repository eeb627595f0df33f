"""What happened on one team day, read from `TicketEvent` (our own history) and the tickets.

A "day" is the calendar day in `CONDUCTOR_TIMEZONE`: events whose `at` falls in
[local midnight, next local midnight) converted to UTC. The result is plain JSON-able data,
sorted deterministically, so identical data always hashes the same (the summary task's cache
key depends on it).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlmodel import Session, select

from models.people import Person
from models.settings import Settings
from models.sprints import Sprint, find_sprint
from models.tickets import Ticket, TicketAssignee
from tasks.summary.changes import MAX_PER_SECTION, day_sections

logger = logging.getLogger(__name__)

#: Ticket descriptions are cut to this many characters: enough for context, cheap in tokens.
DESCRIPTION_CHARS = 160
#: Keep `IN (...)` lists well below SQLite's bound-parameter limit.
_CHUNK = 5_000

#: Fact sections in order of importance; prompt selection drops from the end first.
SECTIONS = (
    "blocked",
    "completed",
    "canceled",
    "scope_added",
    "scope_removed",
    "started",
    "unblocked",
    "attention",
)


def day_window(day: date, settings: Settings) -> tuple[datetime, datetime]:
    """[start, end) of `day` in the team time zone, as aware UTC datetimes."""
    start = datetime.combine(day, time.min, tzinfo=settings.tz)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=settings.tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def daily_facts(session: Session, day: date, settings: Settings) -> dict[str, Any]:
    """Facts for `day`: tickets completed, canceled, started, blocked, unblocked, added to or
    removed from the current sprint, what in that sprint needs attention, and its numbers and
    forecast.

    Each ticket fact is `{"key", "title", "assignees", "url", "status", "points", "priority",
    "description"}`; `attention` facts add `reason` ("blocked for 7 d") and are the sprint
    report's own ranked list (`at_risk`), so the summary names the same tickets, in the same
    order, as `conductor sprint`, the HTML report and the email. A ticket appears in at most one
    of completed/canceled/started (a ticket started and finished the same day counts as
    completed). Sections hold at most MAX_PER_SECTION tickets, most urgent first; `counts` has
    the totals.
    """
    sprint = find_sprint(session, "current", day)
    chosen, counts = day_sections(session, day_window(day, settings), sprint, settings)
    sprint_facts, attention, attention_count = _sprint_facts(session, sprint, day, settings)
    reasons = {row["id"]: row["reason"] for row in attention}
    shown_attention = list(reasons)[:MAX_PER_SECTION]
    wanted = set(shown_attention).union(*chosen.values())
    tickets = _tickets_by_id(session, wanted)
    names = _assignee_names(session, wanted)

    facts: dict[str, Any] = {"date": day.isoformat(), "timezone": settings.timezone}
    for section, members in chosen.items():
        facts[section] = [fact for _, fact in _ticket_facts_with_ids(members, tickets, names)]
    facts["attention"] = [
        {**fact, "reason": reasons[fact_id]}
        for fact_id, fact in _ticket_facts_with_ids(shown_attention, tickets, names)
    ]
    counts["attention"] = attention_count
    facts["counts"] = {section: counts[section] for section in SECTIONS}
    facts["sprint"] = sprint_facts
    return facts


def _chunks(values: Iterable[str]) -> Iterable[list[str]]:
    ordered = sorted(values)
    for index in range(0, len(ordered), _CHUNK):
        yield ordered[index : index + _CHUNK]


def _tickets_by_id(session: Session, ids: set[str]) -> dict[str, Ticket]:
    found: dict[str, Ticket] = {}
    for chunk in _chunks(ids):
        for ticket in session.exec(select(Ticket).where(Ticket.id.in_(chunk))).all():  # type: ignore[attr-defined]
            found[ticket.id] = ticket
    return found


def _assignee_names(session: Session, ids: set[str]) -> dict[str, list[str]]:
    names: dict[str, list[str]] = {}
    for chunk in _chunks(ids):
        rows = session.exec(
            select(TicketAssignee.ticket_id, Person.name)
            .join(Person, Person.id == TicketAssignee.person_id, isouter=True)
            .where(TicketAssignee.ticket_id.in_(chunk))  # type: ignore[attr-defined]
            .order_by(TicketAssignee.ticket_id, TicketAssignee.position)
        ).all()
        for ticket_id, name in rows:
            names.setdefault(ticket_id, []).append(name or "(unknown)")
    return names


def _ticket_facts_with_ids(
    ids: Iterable[str], tickets: dict[str, Ticket], names: dict[str, list[str]]
) -> list[tuple[str, dict[str, Any]]]:
    facts = []
    for ticket_id in ids:
        ticket = tickets.get(ticket_id)
        if ticket is None:
            continue
        description = " ".join((ticket.description or "").split())
        facts.append(
            (
                ticket_id,
                {
                    "key": ticket.key,
                    "title": ticket.title,
                    "assignees": names.get(ticket_id, []),
                    "url": ticket.url,
                    "status": ticket.status,
                    "points": ticket.points,
                    "priority": ticket.priority,
                    "description": description[:DESCRIPTION_CHARS],
                },
            )
        )
    return facts


def _sprint_facts(
    session: Session, sprint: Sprint | None, day: date, settings: Settings
) -> tuple[dict[str, Any] | None, list[dict[str, Any]], int]:
    """The current sprint's identity, metrics and forecast, and its ranked attention list
    (`at_risk`), from the metrics module's `sprint_figures` (the sprint report's own code).

    Isolated so facts still work (with identity only) if the metrics report cannot be built:
    a missing forecast must not cost the team its daily summary.
    """
    if sprint is None:
        return None, [], 0
    numbers: dict[str, Any] = {
        "id": sprint.id,
        "name": sprint.name,
        "start": sprint.start.isoformat() if sprint.start else None,
        "end": sprint.end.isoformat() if sprint.end else None,
    }
    try:
        from tasks.metrics.report import sprint_figures

        report = sprint_figures(session, sprint, day, settings, at_risk_limit=MAX_PER_SECTION)
    except Exception as exc:  # metrics are supplementary here; log and carry on without them
        logger.warning("sprint metrics unavailable for the summary: %s", exc)
        return numbers, [], 0
    numbers["metrics"] = dict(report.get("metrics") or {})
    numbers["blocked_count"] = numbers["metrics"].get("blocked_count")
    numbers["forecast"] = numbers["metrics"].get("forecast")
    return numbers, list(report.get("at_risk") or []), int(report.get("at_risk_count") or 0)


def fact_keys(facts: dict[str, Any]) -> set[str]:
    """Every ticket key the facts mention (the model may cite only these)."""
    return {
        fact["key"] for section in SECTIONS for fact in facts.get(section, []) if fact.get("key")
    }


def sections_in_order(facts: dict[str, Any]) -> Sequence[tuple[str, list[dict[str, Any]]]]:
    """(section, ticket facts) in order of importance."""
    return [(section, facts.get(section, [])) for section in SECTIONS]
