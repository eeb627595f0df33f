"""What Conductor announces as Prefect events: a sprint's health change once per change, and
tickets a sync saw become blocked — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from models import Ticket, TicketEvent
from models.db import get_engine
from models.health import record_health
from tasks.announcements import HEALTH_CHANGED, TICKET_BLOCKED, health_changed, tickets_blocked
from tests.factories import ticket_row

SPRINT = "22222222-0000-4000-8000-000000000046"


def test_a_sprints_first_health_is_recorded_and_only_a_change_is_announced(db_url: str) -> None:
    engine = get_engine(db_url)
    assert record_health(engine, SPRINT, "on_track") is None  # nothing it changed from
    assert record_health(engine, SPRINT, "on_track") is None  # no change, no news
    change = record_health(engine, SPRINT, "at_risk")
    assert change is not None and (change.before, change.after) == ("on_track", "at_risk")
    assert record_health(engine, SPRINT, "at_risk") is None  # announced once


def test_the_health_event_names_the_sprint_and_carries_the_figures(db_url: str) -> None:
    engine = get_engine(db_url)
    record_health(engine, SPRINT, "on_track")
    change = record_health(engine, SPRINT, "off_track")
    assert change is not None
    report = {
        "sprint": {"id": SPRINT, "name": "Sprint 46", "as_of": "2026-11-24"},
        "metrics": {
            "remaining_points": 71.0,
            "scope_points": 149.0,
            "completion_pct": 52.3,
            "forecast_probability": 0.04,
        },
    }
    event = health_changed(change, report)
    assert event.event == HEALTH_CHANGED
    assert event.resource == {
        "prefect.resource.id": f"conductor.sprint.{SPRINT}",
        "prefect.resource.name": "Sprint 46",
    }
    assert event.payload["from"] == "on_track" and event.payload["to"] == "off_track"
    assert event.payload["remaining_points"] == 71.0
    assert event.payload["forecast_probability"] == 0.04
    assert health_changed(change, report).id == event.id  # a retry re-sends the same event


def test_tickets_seen_moving_into_blocked_are_announced_once_per_change(db_url: str) -> None:
    seen = datetime(2026, 11, 24, 9, tzinfo=UTC)
    with Session(get_engine(db_url)) as session:
        for n in (1, 2, 3):
            session.add(Ticket(**ticket_row(n, sprint_id=SPRINT, status="Blocked")))

        def move(n: int, old: str, new: str, *, observed: datetime, derived: bool = False):
            return TicketEvent(
                ticket_id=ticket_row(n)["id"],
                field="status",
                old_value=old,
                new_value=new,
                at=observed - timedelta(minutes=5),
                observed_at=observed,
                derived=derived,
            )

        session.add_all(
            [
                move(1, "In Progress", "Blocked", observed=seen),  # news
                move(2, "Todo", "blocked", observed=seen),  # case-insensitive: news
                move(3, "Todo", "Blocked", observed=seen, derived=True),  # first sight: not news
                move(1, "Todo", "Blocked", observed=seen - timedelta(hours=1)),  # earlier sync
            ]
        )
        session.commit()
        announced = tickets_blocked(session, seen, ["Blocked"])
    assert [a.resource["prefect.resource.name"] for a in announced] == ["ENG-1", "ENG-2"]
    assert {a.event for a in announced} == {TICKET_BLOCKED}
    assert announced[0].related == [
        {"prefect.resource.id": f"conductor.sprint.{SPRINT}", "prefect.resource.role": "sprint"}
    ]
    assert announced[0].payload["from"] == "In Progress"
