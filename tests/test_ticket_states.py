"""`TicketState`: folded by the writers, read only while it matches the stored history
(SQLite and PostgreSQL), and identical in what it says to the events it is folded from."""

from __future__ import annotations

from datetime import date, timedelta

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


def test_a_refresh_folds_every_ticket_once_and_then_finds_nothing_to_do(db_url: str) -> None:
    with Session(get_engine(db_url)) as session:
        build_history(session)
        tickets = session.execute(select(func.count()).select_from(Ticket)).scalar_one()
        assert refresh_ticket_states(session) == tickets
        session.commit()
        assert states_are_current(session)
        assert refresh_ticket_states(session) == 0


def test_new_history_is_folded_for_the_tickets_it_touches_only(db_url: str) -> None:
    """An ingest that wrote one status change folds that one ticket again; until it does,
    reports read the events and already see the change."""
    with Session(get_engine(db_url)) as session:
        build_history(session)
        refresh_ticket_states(session)
        session.commit()
        before = _report(session)
        session.add(status(3, at(6, 11), "Todo", "Done", "complete"))
        session.commit()
        assert not states_are_current(session)
        stale = _report(session)
        assert stale["metrics"]["done_count"] == before["metrics"]["done_count"] + 1
        # The ticket it touches, and at most the ticket edited last before the previous fold
        # (an edit in that same instant cannot be told apart, so it is folded again).
        assert refresh_ticket_states(session) in (1, 2)
        session.commit()
        assert states_are_current(session)
        assert _report(session) == stale


def test_a_new_ticket_without_events_is_folded_from_its_columns(db_url: str) -> None:
    """A ticket stored with no history (as rows from before history was kept) is in its
    column's sprint all along, on both readings."""
    with Session(get_engine(db_url)) as session:
        build_history(session)
        refresh_ticket_states(session)
        session.commit()
        before = _report(session)["metrics"]["scope_points"]
        session.add(Ticket(**ticket_row(30, sprint_id=S1, points=13.0)))
        session.commit()
        from_events = _report(session)
        assert from_events["metrics"]["scope_points"] == before + 13.0
        assert refresh_ticket_states(session) in (1, 2)
        session.commit()
        assert _report(session) == from_events


def test_history_rewritten_is_folded_again_from_scratch(db_url: str) -> None:
    """Deleted or replaced events are not an append: the refresh folds every ticket again, and
    the report then agrees with the events once more."""
    with Session(get_engine(db_url)) as session:
        build_history(session)
        tickets = session.execute(select(func.count()).select_from(Ticket)).scalar_one()
        refresh_ticket_states(session)
        session.commit()
        session.execute(delete(TicketEvent).where(TicketEvent.ticket_id == tid(4)))
        session.add_all(first_seen(4, at(1, 9), S1, 5))
        session.commit()
        assert not states_are_current(session)
        from_events = _report(session)
        assert refresh_ticket_states(session) == tickets
        session.commit()
        assert _report(session) == from_events


def test_a_report_on_stale_states_writes_nothing(db_url: str) -> None:
    """Read commands never write: a report on states that no longer match reads the events and
    leaves `TicketState` as it found it (the next flow folds the change)."""
    with Session(get_engine(db_url)) as session:
        build_history(session)
        refresh_ticket_states(session)
        session.commit()
        rows = _state_rows(session)
        session.add(status(2, at(6, 12), "In Progress", "Done", "complete"))
        session.commit()
        _report(session)
        _report(session, END_PLUS)
        session.commit()
        assert _state_rows(session) == rows
        assert not states_are_current(session)


END_PLUS = TODAY + timedelta(days=30)
