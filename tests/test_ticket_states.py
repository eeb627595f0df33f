"""`TicketState`: folded by the writers, read only while it matches the stored history
(SQLite and PostgreSQL), and identical in what it says to the events it is folded from."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from sqlalchemy import delete, func, select
from sqlmodel import Session

from models import Sprint, Ticket, TicketEvent, TicketState
from models.db import get_engine
from models.settings import get_settings
from tasks.metrics.report import sprint_report
from tasks.metrics.state_spans import refresh_ticket_states, states_are_current
from tests.factories import ticket_row
from tests.test_metrics import S1, TODAY, at, build_history, first_seen, status, tid


def _report(session: Session, today: date = TODAY) -> dict:
    return sprint_report(session, session.get(Sprint, S1), today, get_settings())


def _state_rows(session: Session) -> int:
    return session.execute(select(func.count()).select_from(TicketState)).scalar_one()


@pytest.fixture
def folded(db_url: str) -> Iterator[Session]:
    """The hand-built history of tests/test_metrics.py, stored and folded."""
    with Session(get_engine(db_url)) as session:
        build_history(session)
        refresh_ticket_states(session)
        session.commit()
        yield session


def test_a_refresh_folds_every_ticket_once_and_then_finds_nothing_to_do(db_url: str) -> None:
    with Session(get_engine(db_url)) as session:
        build_history(session)
        tickets = session.execute(select(func.count()).select_from(Ticket)).scalar_one()
        assert refresh_ticket_states(session) == tickets
        session.commit()
        assert states_are_current(session)
        assert refresh_ticket_states(session) == 0


def test_new_history_is_folded_for_the_tickets_it_touches_only(folded: Session) -> None:
    """An ingest that wrote one status change folds that one ticket again; until it does,
    reports read the events and already see the change."""
    before = _report(folded)
    folded.add(status(3, at(6, 11), "Todo", "Done", "complete"))
    folded.commit()
    assert not states_are_current(folded)
    stale = _report(folded)
    assert stale["metrics"]["done_count"] == before["metrics"]["done_count"] + 1
    # The ticket it touches, and at most the ticket edited last before the previous fold
    # (an edit in that same instant cannot be told apart, so it is folded again).
    assert refresh_ticket_states(folded) in (1, 2)
    folded.commit()
    assert states_are_current(folded)
    assert _report(folded) == stale


def test_a_new_ticket_without_events_is_folded_from_its_columns(folded: Session) -> None:
    """A ticket stored with no history (as rows from before history was kept) is in its
    column's sprint all along, on both readings."""
    before = _report(folded)["metrics"]["scope_points"]
    folded.add(Ticket(**ticket_row(30, sprint_id=S1, points=13.0)))
    folded.commit()
    from_events = _report(folded)
    assert from_events["metrics"]["scope_points"] == before + 13.0
    assert refresh_ticket_states(folded) in (1, 2)
    folded.commit()
    assert _report(folded) == from_events


def test_history_rewritten_is_folded_again_from_scratch(folded: Session) -> None:
    """Deleted or replaced events are not an append: the refresh folds every ticket again, and
    the report then agrees with the events once more."""
    tickets = folded.execute(select(func.count()).select_from(Ticket)).scalar_one()
    folded.execute(delete(TicketEvent).where(TicketEvent.ticket_id == tid(4)))
    folded.add_all(first_seen(4, at(1, 9), S1, 5))
    folded.commit()
    assert not states_are_current(folded)
    from_events = _report(folded)
    assert refresh_ticket_states(folded) == tickets
    folded.commit()
    assert _report(folded) == from_events


def test_a_report_on_stale_states_writes_nothing(folded: Session) -> None:
    """Read commands never write: a report on states that no longer match reads the events and
    leaves `TicketState` as it found it (the next flow folds the change)."""
    rows = _state_rows(folded)
    folded.add(status(2, at(6, 12), "In Progress", "Done", "complete"))
    folded.commit()
    _report(folded)
    _report(folded, TODAY + timedelta(days=30))  # the sprint closed: carry-over read too
    folded.commit()
    assert _state_rows(folded) == rows
    assert not states_are_current(folded)
