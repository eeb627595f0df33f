"""Invariants of the sprint metrics over random ticket histories (SQLite)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete
from sqlmodel import Session

from models import Sprint, SprintSnapshot, Ticket, TicketEvent, TicketState, TicketStateMarks
from models.db import get_engine
from models.settings import get_settings
from tasks.metrics.report import sprint_report
from tasks.metrics.state_spans import refresh_ticket_states, states_are_current
from tests.factories import sprint_row, ticket_row

START, END, TODAY = date(2026, 11, 2), date(2026, 11, 13), date(2026, 11, 9)
SPRINT = sprint_row(1, START, END)["id"]
OTHER = sprint_row(2, END + timedelta(days=3), END + timedelta(days=16))["id"]
STATUSES = [
    ("Todo", "todo"),
    ("In Progress", "in_progress"),
    ("Blocked", "in_progress"),
    ("Done", "complete"),
]

change = st.tuples(
    st.integers(min_value=-5 * 24, max_value=10 * 24),  # hours after sprint start
    st.sampled_from(["status", "points", "sprint", "removed"]),
    st.integers(min_value=0, max_value=3),
)
history = st.lists(
    st.tuples(st.sampled_from([None, 1.0, 2.0, 3.0, 5.0]), st.lists(change, max_size=6)),
    min_size=1,
    max_size=6,
)


@pytest.fixture
def engine(tmp_path):  # type: ignore[no-untyped-def]
    """SQLite only: hypothesis runs 40 histories, and the SQL is the same on PostgreSQL, where
    tests/test_metrics.py checks the hand-built history."""
    return get_engine(f"sqlite:///{tmp_path / 'properties.db'}")


def _store(session: Session, tickets: list, removed_every: int = 0) -> None:
    for table in (TicketStateMarks, TicketState, TicketEvent, Ticket, SprintSnapshot, Sprint):
        session.execute(delete(table))
    session.add(
        Sprint(**sprint_row(1, START, END), first_seen_at=datetime(2026, 10, 1, tzinfo=UTC))
    )
    session.add(Sprint(**sprint_row(2, END + timedelta(days=3), END + timedelta(days=16))))
    base = datetime(2026, 11, 2, tzinfo=UTC)
    for n, (points, changes) in enumerate(tickets, start=1):
        tid = ticket_row(n)["id"]
        created = base - timedelta(days=7)
        events = [
            TicketEvent(
                ticket_id=tid, field="sprint", new_sprint_id=SPRINT, at=created, derived=True
            ),
            TicketEvent(
                ticket_id=tid,
                field="points",
                new_value=None if points is None else f"{points:g}",
                at=created,
                derived=True,
            ),
            TicketEvent(
                ticket_id=tid,
                field="status",
                new_value="Todo",
                new_category="todo",
                at=created,
                derived=True,
            ),
        ]
        for hours, field, choice in changes:
            when = base + timedelta(hours=hours, minutes=n)
            if field == "status":
                name, category = STATUSES[choice]
                events.append(
                    TicketEvent(
                        ticket_id=tid,
                        field="status",
                        new_value=name,
                        new_category=category,
                        at=when,
                    )
                )
            elif field == "points":
                events.append(
                    TicketEvent(
                        ticket_id=tid,
                        field="points",
                        new_value=str(choice * 2 or "") or None,
                        at=when,
                    )
                )
            elif field == "sprint":
                events.append(
                    TicketEvent(
                        ticket_id=tid,
                        field="sprint",
                        new_sprint_id=[SPRINT, OTHER, None, SPRINT][choice],
                        at=when,
                    )
                )
            else:
                events.append(
                    TicketEvent(
                        ticket_id=tid,
                        field="removed",
                        new_value="1" if choice % 2 else None,
                        at=when,
                    )
                )
        ticket = Ticket(**ticket_row(n, sprint_id=SPRINT, points=points))
        if removed_every and n % removed_every == 0:
            ticket.removed_at = base + timedelta(days=n % 9, hours=n)
        session.add(ticket)
        session.add_all(events)
    session.commit()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(tickets=history)
def test_completed_plus_remaining_is_scope_and_burndown_ends_at_remaining(engine, tickets) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        _store(session, tickets)
        report = sprint_report(session, session.get(Sprint, SPRINT), TODAY, get_settings())
    m = report["metrics"]
    assert m["completed_points"] + m["remaining_points"] == pytest.approx(m["scope_points"])
    assert report["burndown"][-1]["remaining_points"] == pytest.approx(m["remaining_points"])
    # scope changes are fully explained by what was added and removed after the start
    assert m["committed_points"] + m["added_points"] - m["removed_points"] == pytest.approx(
        m["scope_points"]
    )
    assert 0 <= m["done_count"] <= m["ticket_count"] <= len(tickets)
    assert m["unpointed_count"] <= m["ticket_count"]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(tickets=history)
def test_the_ticket_states_table_reads_the_same_report_as_the_events(engine, tickets) -> None:  # type: ignore[no-untyped-def]
    """Every figure, listing and carry-over of a running and of a closed sprint is the same
    whether the states are read from the events or from `TicketState` (some tickets also
    removed by `Ticket.removed_at` at various times)."""
    days = (TODAY, END + timedelta(days=2))
    with Session(engine) as session:
        _store(session, tickets, removed_every=3)
        # Points no estimate should have, which both readings must still read alike: negative,
        # fractional (sums that are not exact in binary) and text with a unit.
        odd = ["-3", "0.1", "0.2", "2.5 pts"]
        session.add_all(
            TicketEvent(
                ticket_id=ticket_row(n)["id"],
                field="points",
                new_value=odd[n % len(odd)],
                at=datetime(2026, 11, 2, tzinfo=UTC) + timedelta(hours=13 * n),
            )
            for n in range(1, len(tickets) + 1)
        )
        session.commit()
        assert not states_are_current(session)
        sprint = session.get(Sprint, SPRINT)
        from_events = [sprint_report(session, sprint, day, get_settings()) for day in days]
        assert refresh_ticket_states(session) == len(tickets)
        session.commit()
        assert states_are_current(session)
        from_states = [sprint_report(session, sprint, day, get_settings()) for day in days]
    assert from_states == from_events
