"""Sprint metrics against a hand-built history; every expected number is worked out below.

Sprint 1 runs Mon 2026-11-02 … Fri 2026-11-13 (10 working days), team zone UTC; "today" is
Fri 2026-11-06. Sprint 0 (Oct 19-30) is closed; Sprint 2 (Nov 16-27) has not started.

| ticket | story                                                           | pts |
|--------|-----------------------------------------------------------------|-----|
| T1     | committed; in progress 11-02 10:00, done 11-03 15:00            | 3   |
| T2     | committed at 5; re-estimated to 8 on 11-03; in progress 11-02   | 5→8 |
| T3     | created into the sprint 11-04 (added)                           | 2   |
| T4     | committed; moved to Sprint 2 on 11-05 (removed)                 | 5   |
| T5     | done 11-03, reopened 11-04, done again 11-05 16:00              | 1   |
| T6     | blocked 11-03, unblocked (in progress) 11-04                    | 3   |
| T7     | blocked since 11-04 14:00                                       | 2   |
| T8     | unpointed to-do                                                 | —   |
| T9     | legacy row without events: Done, in Sprint 1                    | 1   |
| T10    | trashed 11-05 (removed)                                         | 2   |
| T11    | only ever in Sprint 2                                           | 8   |
| T20    | Sprint 0, done 10-20                                            | 5   |
| T21    | Sprint 0 unfinished, moved to Sprint 1 on 10-31; in progress 11-05 | 3 |
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session, func, select

from models import Person, Sprint, SprintSnapshot, Ticket, TicketAssignee, TicketEvent
from models.db import get_engine
from models.settings import get_settings
from tasks.metrics.report import sprint_figures, sprint_report
from tasks.metrics.snapshots import record_snapshots
from tasks.metrics.state_spans import refresh_ticket_states, states_are_current
from tests.factories import person_row, sprint_row, ticket_row

TODAY = date(2026, 11, 6)
S0, S1, S2 = (
    sprint_row(n, start, end)["id"]
    for n, start, end in (
        (0, date(2026, 10, 19), date(2026, 10, 30)),
        (1, date(2026, 11, 2), date(2026, 11, 13)),
        (2, date(2026, 11, 16), date(2026, 11, 27)),
    )
)
ALICE, BOB = person_row(1)["id"], person_row(2)["id"]


def at(day: int, hour: int, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def tid(n: int) -> str:
    return ticket_row(n)["id"]


def status(n: int, when: datetime, old: str | None, new: str, category: str) -> TicketEvent:
    categories = {
        "Todo": "todo",
        "In Progress": "in_progress",
        "Blocked": "in_progress",
        "Done": "complete",
    }
    return TicketEvent(
        ticket_id=tid(n),
        field="status",
        old_value=old,
        new_value=new,
        old_category=categories.get(old or ""),
        new_category=category,
        at=when,
    )


def first_seen(n: int, when: datetime, sprint: str, points: float | None) -> list[TicketEvent]:
    """The derived events ingestion writes when a ticket is first seen (as of created_time)."""
    return [
        TicketEvent(ticket_id=tid(n), field="sprint", new_sprint_id=sprint, at=when, derived=True),
        TicketEvent(
            ticket_id=tid(n),
            field="points",
            new_value=None if points is None else f"{points:g}",
            at=when,
            derived=True,
        ),
        TicketEvent(
            ticket_id=tid(n),
            field="status",
            new_value="Todo",
            new_category="todo",
            at=when,
            derived=True,
        ),
    ]


def build_history(session: Session) -> None:
    seen = datetime(2026, 10, 1, tzinfo=UTC)
    for n, start, end in (
        (0, date(2026, 10, 19), date(2026, 10, 30)),
        (1, date(2026, 11, 2), date(2026, 11, 13)),
        (2, date(2026, 11, 16), date(2026, 11, 27)),
    ):
        session.add(Sprint(**sprint_row(n, start, end), first_seen_at=seen))
    session.add(Person(**person_row(1, name="Alice")))
    session.add(Person(**person_row(2, name="Bob")))

    def ticket(n: int, **columns: object) -> None:
        session.add(Ticket(**ticket_row(n, **columns)))

    created = at(28, 9, month=10)
    ticket(1, sprint_id=S1, points=3.0, status="Done", status_category="complete")
    ticket(2, sprint_id=S1, points=8.0, status="In Progress", status_category="in_progress")
    ticket(3, sprint_id=S1, points=2.0)
    ticket(4, sprint_id=S2, points=5.0)
    ticket(5, sprint_id=S1, points=1.0, status="Done", status_category="complete")
    ticket(6, sprint_id=S1, points=3.0, status="In Progress", status_category="in_progress")
    ticket(
        7,
        sprint_id=S1,
        points=2.0,
        status="Blocked",
        status_category="in_progress",
        title="<script>alert('x')</script> fix login",
    )
    ticket(8, sprint_id=S1, points=None)
    ticket(9, sprint_id=S1, points=1.0, status="Done", status_category="complete")
    ticket(10, sprint_id=S1, points=2.0, removed_at=at(5, 9))
    ticket(11, sprint_id=S2, points=8.0)
    ticket(20, sprint_id=S0, points=5.0, status="Done", status_category="complete")
    ticket(21, sprint_id=S1, points=3.0, status="In Progress", status_category="in_progress")

    events = [
        *first_seen(1, created, S1, 3),
        status(1, at(2, 10), "Todo", "In Progress", "in_progress"),
        status(1, at(3, 15), "In Progress", "Done", "complete"),
        *first_seen(2, created, S1, 5),
        status(2, at(2, 10), "Todo", "In Progress", "in_progress"),
        TicketEvent(ticket_id=tid(2), field="points", old_value="5", new_value="8", at=at(3, 11)),
        *first_seen(3, at(4, 9), S1, 2),
        *first_seen(4, created, S1, 5),
        TicketEvent(
            ticket_id=tid(4), field="sprint", old_sprint_id=S1, new_sprint_id=S2, at=at(5, 12)
        ),
        *first_seen(5, created, S1, 1),
        status(5, at(2, 10), "Todo", "In Progress", "in_progress"),
        status(5, at(3, 12), "In Progress", "Done", "complete"),
        status(5, at(4, 9), "Done", "In Progress", "in_progress"),
        status(5, at(5, 16), "In Progress", "Done", "complete"),
        *first_seen(6, created, S1, 3),
        status(6, at(2, 10), "Todo", "In Progress", "in_progress"),
        status(6, at(3, 10), "In Progress", "Blocked", "in_progress"),
        status(6, at(4, 10), "Blocked", "In Progress", "in_progress"),
        *first_seen(7, created, S1, 2),
        status(7, at(4, 14), "Todo", "Blocked", "in_progress"),
        *first_seen(8, created, S1, None),
        *first_seen(10, created, S1, 2),
        TicketEvent(ticket_id=tid(10), field="removed", new_value="1", at=at(5, 9)),
        *first_seen(11, created, S2, 8),
        *first_seen(20, at(15, 9, month=10), S0, 5),
        status(20, at(20, 15, month=10), "Todo", "Done", "complete"),
        *first_seen(21, at(15, 9, month=10), S0, 3),
        TicketEvent(
            ticket_id=tid(21),
            field="sprint",
            old_sprint_id=S0,
            new_sprint_id=S1,
            at=at(31, 9, month=10),
        ),
        status(21, at(5, 10), "Todo", "In Progress", "in_progress"),
    ]
    session.add_all(events)
    for n, person in ((1, ALICE), (2, ALICE), (3, ALICE), (5, BOB), (6, BOB), (7, BOB)):
        session.add(TicketAssignee(ticket_id=tid(n), person_id=person))
    session.commit()


@pytest.fixture(params=["events", "ticket states"])
def history(db_url: str, request: pytest.FixtureRequest) -> Session:
    """The hand-built history, read from the events (as it was written) or, once the flows
    have folded it, from `TicketState`: every test below holds for both readings."""
    with Session(get_engine(db_url)) as session:
        build_history(session)
        if request.param == "ticket states":
            refresh_ticket_states(session)
            session.commit()
        assert states_are_current(session) is (request.param == "ticket states")
        yield session


def report_for(session: Session, sprint_id: str, today: date = TODAY) -> dict:
    return sprint_report(session, session.get(Sprint, sprint_id), today, get_settings())


def test_committed_is_scope_at_the_start_of_the_first_day(history: Session) -> None:
    metrics = report_for(history, S1)["metrics"]
    # T1 3 + T2 5 + T4 5 + T5 1 + T6 3 + T7 2 + T8 0 + T9 1 (legacy) + T10 2 + T21 3 = 25
    assert metrics["committed_points"] == 25
    assert metrics["committed_estimated"] is False


def test_ticket_created_into_sprint_after_start_and_re_estimate_count_as_added_scope(
    history: Session,
) -> None:
    # T2 re-estimated 5 → 8 (+3), T3 created into the sprint (+2) = 5
    assert report_for(history, S1)["metrics"]["added_points"] == 5


def test_ticket_moved_to_next_sprint_or_trashed_counts_as_removed_scope(history: Session) -> None:
    # T4 moved to Sprint 2 (-5), T10 trashed (-2) = 7
    assert report_for(history, S1)["metrics"]["removed_points"] == 7


def test_scope_completed_and_remaining_follow_the_history(history: Session) -> None:
    metrics = report_for(history, S1)["metrics"]
    # scope = 25 + 5 - 7 = 23 = T1 3 + T2 8 + T3 2 + T5 1 + T6 3 + T7 2 + T8 0 + T9 1 + T21 3
    assert metrics["scope_points"] == 23
    # completed: T1 3 + T5 1 (done again after reopening) + T9 1 = 5; remaining 23 - 5 = 18
    assert metrics["completed_points"] == 5
    assert metrics["remaining_points"] == 18
    assert metrics["completion_pct"] == 21.7  # 5 / 23 = 21.74 %
    # 9 tickets, 3 done, T7 blocked, T8 unpointed
    assert (metrics["ticket_count"], metrics["done_count"]) == (9, 3)
    assert (metrics["blocked_count"], metrics["unpointed_count"]) == (1, 1)


def test_burndown_is_remaining_at_the_end_of_each_day_against_a_working_day_ideal(
    history: Session,
) -> None:
    burndown = report_for(history, S1)["burndown"]
    assert [row["date"] for row in burndown] == [f"2026-11-0{d}" for d in range(2, 7)]
    # 11-02: scope 25, done T9 1 → 24
    # 11-03: scope 28 (T2 +3), done T1 3 + T5 1 + T9 1 = 5 → 23
    # 11-04: scope 30 (T3 +2), done T1 3 + T9 1 (T5 reopened) → 26
    # 11-05 and 11-06: scope 23 (T4 -5, T10 -2), done 5 → 18
    assert [row["remaining_points"] for row in burndown] == [24, 23, 26, 18, 18]
    assert [row["scope_points"] for row in burndown] == [25, 28, 30, 23, 23]
    # ideal: 25 x (1 - n/10) after the n-th of 10 working days
    assert [row["ideal_points"] for row in burndown] == [22.5, 20, 17.5, 15, 12.5]


def test_forecast_compares_throughput_times_days_left_with_remaining(history: Session) -> None:
    report = report_for(history, S1)
    # 5 pts in 4 working days before today = 1.25/day x 6 days left (11-06 … 11-13) = 7.5
    # 7.5 < 0.7 x 18 = 12.6 → off track
    assert report["metrics"]["forecast"] == "off_track"
    detail = report["forecast_detail"]
    assert (detail["working_days_elapsed"], detail["working_days_left"]) == (4, 6)
    assert (detail["throughput_per_day"], detail["capacity_points"]) == (1.25, 7.5)


def test_velocity_is_mean_completed_points_of_closed_sprints(history: Session) -> None:
    # only Sprint 0 is closed: T20 5 done, T21 unfinished → 5
    assert report_for(history, S1)["metrics"]["velocity"] == 5


def test_status_distribution_and_assignee_load(history: Session) -> None:
    report = report_for(history, S1)
    by_status = {name: (row["count"], row["points"]) for name, row in report["by_status"].items()}
    # Done: T1 3, T5 1, T9 1; In Progress: T2 8, T6 3, T21 3; Todo: T3 2, T8 0; Blocked: T7 2
    assert by_status == {"Done": (3, 5), "In Progress": (3, 14), "Todo": (2, 2), "Blocked": (1, 2)}
    load = {
        row["name"]: (row["open_count"], row["open_points"], row["done_points"])
        for row in report["by_assignee"]
    }
    # Alice: T2 8 + T3 2 open, T1 3 done; Bob: T6 3 + T7 2 open, T5 1 done;
    # unassigned: T8 0 + T21 3 open, T9 1 done
    assert load == {"Alice": (2, 10, 3), "Bob": (2, 5, 1), "Unassigned": (2, 3, 1)}


def test_blocked_aging_and_unpointed_tickets_are_listed(history: Session) -> None:
    report = report_for(history, S1)
    [blocked] = report["blocked"]
    # T7 blocked since 11-04 → 2 days on 11-06; T6 was unblocked on 11-04
    assert (blocked["id"], blocked["days_blocked"], blocked["assignees"]) == (tid(7), 2, ["Bob"])
    # T2 in progress since 11-02 → 4 days ≥ 3; T6 (since 11-04) and T21 (11-05) are younger
    assert [row["id"] for row in report["aging"]] == [tid(2)]
    assert [row["id"] for row in report["at_risk"]] == [tid(7), tid(2)]
    assert [row["id"] for row in report["unpointed"]] == [tid(8)]


@pytest.mark.parametrize("limit", [None, 1, 0])
def test_the_summarys_figures_are_the_reports_own(history: Session, limit: int | None) -> None:
    """`sprint_figures` (what the daily summary reads) has the report's sprint, metrics and
    forecast, and the first `limit` rows of its ranked at-risk list (without assignees), with
    the whole list's length."""
    report = report_for(history, S1)
    figures = sprint_figures(history, history.get(Sprint, S1), TODAY, get_settings(), limit)
    assert {key: figures[key] for key in ("sprint", "metrics", "forecast_detail")} == {
        key: report[key] for key in ("sprint", "metrics", "forecast_detail")
    }
    shown = report["at_risk"] if limit is None else report["at_risk"][:limit]
    assert figures["at_risk"] == [
        {key: value for key, value in row.items() if key != "assignees"} for row in shown
    ]
    assert figures["at_risk_count"] == len(report["at_risk"]) == 2


def test_cycle_time_runs_from_first_in_progress_to_final_done(history: Session) -> None:
    cycle = report_for(history, S1)["cycle_time"]
    # T1: 11-02 10:00 → 11-03 15:00 = 29 h = 1.2083 d; T5: 11-02 10:00 → 11-05 16:00 = 3.25 d
    # median (1.2083 + 3.25) / 2 = 2.229; p85 = 1.2083 + 0.85 x 2.0417 = 2.944
    # T9 is done with no status history (a legacy row): unmeasured, not silently dropped
    assert cycle == {"median_days": 2.23, "p85_days": 2.94, "count": 2, "unmeasured_count": 1}


def test_closed_sprint_reports_unfinished_work_carried_into_the_next_sprint(
    history: Session,
) -> None:
    report = report_for(history, S0)
    # at the end of 10-30: T20 5 done, T21 3 open (moved to Sprint 1 on 10-31)
    assert report["metrics"]["committed_points"] == 8
    assert report["metrics"]["completed_points"] == 5
    assert report["metrics"]["remaining_points"] == 3
    assert report["carry_over"]["count"] == 1 and report["carry_over"]["points"] == 3
    assert report["carry_over"]["tickets"][0]["to_sprint"]["id"] == S1
    assert report["metrics"]["forecast"] == "off_track"


def test_the_report_says_whether_its_sprint_is_closed(history: Session) -> None:
    # on 11-06 Sprint 0 (ended 10-30) is closed and Sprint 1 runs; both a plain true/false
    assert report_for(history, S0)["sprint"]["closed"] is True
    assert report_for(history, S1)["sprint"]["closed"] is False


def test_sprint_first_observed_after_start_flags_committed_as_estimated(history: Session) -> None:
    sprint = history.get(Sprint, S1)
    sprint.first_seen_at = at(4, 8)
    history.add(sprint)
    history.commit()
    assert report_for(history, S1)["metrics"]["committed_estimated"] is True


def test_snapshots_backfill_past_days_and_a_rerun_updates_todays_row(history: Session) -> None:
    settings = get_settings()
    # Sprint 1 is the only started sprint active or ended within 3 days: 11-02 … 11-06
    assert record_snapshots(history, TODAY, settings) == 5
    history.commit()
    assert record_snapshots(history, TODAY, settings) == 1
    history.commit()
    rows = history.exec(select(SprintSnapshot).order_by(SprintSnapshot.day)).all()
    assert [(r.day.day, r.remaining_points, r.derived) for r in rows] == [
        (2, 24, True),
        (3, 23, True),
        (4, 26, True),
        (5, 18, True),
        (6, 18, False),
    ]
    assert history.exec(select(func.count()).select_from(SprintSnapshot)).one() == 5
    # burndown reads the stored rows for past days and stays the same
    assert [r["remaining_points"] for r in report_for(history, S1)["burndown"]] == [
        24,
        23,
        26,
        18,
        18,
    ]


def test_sprint_not_started_yet_has_planned_scope_and_no_burndown(history: Session) -> None:
    report = report_for(history, S2)
    # T4 (moved in 11-05) 5 + T11 8 = 13, nothing started
    assert report["metrics"]["scope_points"] == 13
    assert report["burndown"] == []
    assert report["metrics"]["forecast"] == "on_track"
