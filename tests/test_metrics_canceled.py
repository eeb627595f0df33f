"""Canceled work is not completed work (docs/design.md §5), against a hand-built history.

Sprint 1 runs Mon 2026-11-02 … Fri 2026-11-13 (10 working days), team zone UTC; "today" is
Fri 2026-11-06. Sprint 0 (Oct 19-30) is closed.

| ticket | story                                                                        | pts |
|--------|------------------------------------------------------------------------------|-----|
| C1     | committed; in progress 11-02 10:00, Done 11-03 16:00                         | 3   |
| C2     | committed; in progress 11-02, "Won't Do" 11-04 12:00, stored as `complete`   | 5   |
|        | (its status sat in Notion's Complete group, as in Notion's template)         |     |
| C3     | committed; "Not needed" 11-05 09:00, stored as `canceled` (the team's map)   | 2   |
| C4     | committed; in progress 11-03                                                 | 8   |
| C5     | first synced on 11-06 already Done (edited 11-05 11:00): the events ingestion     | 1   |
|        | derives on first sight, with no status known before                          |     |
| P1     | Sprint 0, Done 10-20                                                         | 5   |
| P2     | Sprint 0, "Won\u2019t do" (U+2019 apostrophe) 10-22, stored as `complete`    | 4   |
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session

from models import Person, Sprint, Ticket, TicketAssignee, TicketEvent
from models.db import get_engine
from models.settings import get_settings
from tasks.metrics.odds import completed_by_day, daily_throughputs
from tasks.metrics.report import sprint_report
from tasks.notion.events import first_seen_events
from tasks.summary.facts import daily_facts
from tests.factories import person_row, sprint_row, ticket_row

TODAY = date(2026, 11, 6)
S0, S1 = (
    sprint_row(n, start, end)["id"]
    for n, start, end in (
        (0, date(2026, 10, 19), date(2026, 10, 30)),
        (1, date(2026, 11, 2), date(2026, 11, 13)),
    )
)
CATEGORY = {"Todo": "todo", "In Progress": "in_progress", "Done": "complete"}


def at(day: int, hour: int, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def tid(n: int) -> str:
    return ticket_row(n)["id"]


def move(n: int, when: datetime, old: str, new: str, category: str) -> TicketEvent:
    return TicketEvent(
        ticket_id=tid(n),
        field="status",
        old_value=old,
        new_value=new,
        old_category=CATEGORY.get(old),
        new_category=category,
        at=when,
    )


def first_seen(n: int, when: datetime, sprint: str, points: float) -> list[TicketEvent]:
    return [
        TicketEvent(ticket_id=tid(n), field="sprint", new_sprint_id=sprint, at=when, derived=True),
        TicketEvent(
            ticket_id=tid(n), field="points", new_value=f"{points:g}", at=when, derived=True
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


def derived_on_first_sight(
    n: int, created: datetime, edited: datetime, seen: datetime
) -> list[TicketEvent]:
    """What ingestion writes for a ticket first seen complete (`first_seen_events`)."""
    row = {**ticket_row(n, sprint_id=S1, points=1.0, status="Done", status_category="complete")}
    row.update(created_time=created, last_edited_time=edited)
    return [TicketEvent(**event) for event in first_seen_events(row, seen)]


@pytest.fixture
def history(db_url: str) -> Session:
    with Session(get_engine(db_url)) as session:
        seen = datetime(2026, 10, 1, tzinfo=UTC)
        session.add(
            Sprint(**sprint_row(0, date(2026, 10, 19), date(2026, 10, 30)), first_seen_at=seen)
        )
        session.add(
            Sprint(**sprint_row(1, date(2026, 11, 2), date(2026, 11, 13)), first_seen_at=seen)
        )
        rows = {
            1: (S1, 3.0, "Done", "complete"),
            2: (S1, 5.0, "Won't Do", "complete"),
            3: (S1, 2.0, "Not needed", "canceled"),
            4: (S1, 8.0, "In Progress", "in_progress"),
            10: (S0, 5.0, "Done", "complete"),
            11: (S0, 4.0, "Won\u2019t do", "complete"),
            5: (S1, 1.0, "Done", "complete"),
        }
        for n, (sprint, points, name, category) in rows.items():
            session.add(
                Ticket(
                    **ticket_row(
                        n, sprint_id=sprint, points=points, status=name, status_category=category
                    )
                )
            )
        created, earlier = at(28, 9, month=10), at(15, 9, month=10)
        session.add_all(
            [
                *first_seen(1, created, S1, 3),
                move(1, at(2, 10), "Todo", "In Progress", "in_progress"),
                move(1, at(3, 16), "In Progress", "Done", "complete"),
                *first_seen(2, created, S1, 5),
                move(2, at(2, 10), "Todo", "In Progress", "in_progress"),
                move(2, at(4, 12), "In Progress", "Won't Do", "complete"),
                *first_seen(3, created, S1, 2),
                move(3, at(5, 9), "Todo", "Not needed", "canceled"),
                *first_seen(4, created, S1, 8),
                move(4, at(3, 10), "Todo", "In Progress", "in_progress"),
                *derived_on_first_sight(5, created, edited=at(5, 11), seen=at(6, 8)),
                *first_seen(10, earlier, S0, 5),
                move(10, at(20, 15, month=10), "Todo", "Done", "complete"),
                *first_seen(11, earlier, S0, 4),
                move(11, at(22, 15, month=10), "Todo", "Won\u2019t do", "complete"),
            ]
        )
        session.add_all(
            [Person(**person_row(1, name="Alice")), Person(**person_row(2, name="Bob"))]
        )
        for n, person in ((1, 1), (1, 2), (4, 1), (2, 2)):
            session.add(TicketAssignee(ticket_id=tid(n), person_id=person_row(person)["id"]))
        session.commit()
        yield session


def report_for(session: Session, sprint_id: str = S1) -> dict:
    return sprint_report(session, session.get(Sprint, sprint_id), TODAY, get_settings())


def test_canceled_work_leaves_scope_and_is_never_completed(history: Session) -> None:
    metrics = report_for(history)["metrics"]
    # committed on 11-02: C1 3 + C2 5 + C3 2 + C4 8 + C5 1 = 19
    assert metrics["committed_points"] == 19
    # C2 canceled by name (-5), C3 canceled by category (-2): both leave scope when canceled
    assert (metrics["removed_points"], metrics["added_points"]) == (7, 0)
    # scope 19 - 7 = 12 = C1 3 + C4 8 + C5 1; completed C1 3 + C5 1 = 4; remaining 8;
    # 4 / 12 = 33.3 %
    assert (metrics["scope_points"], metrics["completed_points"]) == (12, 4)
    assert (metrics["remaining_points"], metrics["completion_pct"]) == (8, 33.3)
    assert (metrics["ticket_count"], metrics["done_count"]) == (3, 2)
    assert (metrics["canceled_count"], metrics["canceled_points"]) == (2, 7)


def test_canceled_work_is_out_of_velocity_forecast_and_cycle_time(history: Session) -> None:
    report = report_for(history)
    # Sprint 0: P1 5 done, P2 4 canceled (U+2019 in "Won\u2019t do") → 5, not 9
    assert report["metrics"]["velocity"] == 5
    # 4 pts in the 4 working days before today = 1/day x 6 days left = 6: short of the 8
    # remaining but ≥ 0.7 x 8 = 5.6 → at risk (C2's 5 canceled points would have made it look
    # on track)
    detail = report["forecast_detail"]
    assert (detail["throughput_per_day"], detail["capacity_points"]) == (1, 6)
    assert report["metrics"]["forecast"] == "at_risk"
    # C1: 11-02 10:00 → 11-03 16:00 = 30 h = 1.25 d. C5 was done before we first saw it: its
    # start is unknown, so it has no cycle time, and the report says so.
    cycle = report["cycle_time"]
    assert (cycle["median_days"], cycle["p85_days"], cycle["count"]) == (1.25, 1.25, 1)
    assert cycle["unmeasured_count"] == 1
    # the status table is the scope's: canceled statuses are reported as canceled, not here
    assert set(report["by_status"]) == {"Done", "In Progress"}


def test_burndown_drops_canceled_points_on_the_day_they_are_canceled(history: Session) -> None:
    burndown = report_for(history)["burndown"]
    # 11-02: 19 open; 11-03: C1 done → 16; 11-04: C2 out → 11; 11-05: C3 out, C5 done → 8
    assert [row["remaining_points"] for row in burndown] == [19, 16, 11, 8, 8]


def test_a_status_named_canceled_by_the_team_counts_from_the_setting(
    history: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from models.settings import reload_settings

    monkeypatch.setenv("CONDUCTOR_CANCELED_STATUSES", "Obsolete")
    reload_settings()
    metrics = report_for(history)["metrics"]
    # "Won't Do" is no longer listed: C2 is complete again (its stored category); C3 stays
    # canceled by its stored category → completed 3 + 5 + 1 = 9 of scope 19 - 2 = 17
    assert (metrics["completed_points"], metrics["scope_points"]) == (9, 17)
    assert (metrics["canceled_count"], metrics["canceled_points"]) == (1, 2)


def test_the_daily_summary_does_not_report_canceled_work_as_completed(history: Session) -> None:
    facts = daily_facts(history, date(2026, 11, 4), get_settings())
    assert [fact["key"] for fact in facts["completed"]] == []
    assert [fact["key"] for fact in facts["canceled"]] == ["ENG-2"]
    assert facts["counts"]["canceled"] == 1


def test_load_shares_a_pairs_points_so_the_columns_add_up(history: Session) -> None:
    report = report_for(history)
    load = {
        row["name"]: (row["open_count"], row["open_points"], row["done_points"])
        for row in report["by_assignee"]
    }
    # C1 (3 done) is Alice's and Bob's: 1.5 each; C4 (8 open) Alice's; C5 (1 done) nobody's;
    # Bob's C2 is canceled, so out of scope and out of his load
    assert load == {"Alice": (1, 8, 1.5), "Bob": (0, 0, 1.5), "Unassigned": (0, 0, 1)}
    metrics = report["metrics"]
    assert sum(v[1] for v in load.values()) == metrics["remaining_points"]
    assert sum(v[2] for v in load.values()) == metrics["completed_points"]


def test_throughput_history_counts_completed_points_per_working_day_canceled_excluded(
    history: Session,
) -> None:
    sprints = [history.get(Sprint, S0), history.get(Sprint, S1)]
    gains = daily_throughputs(
        [completed_by_day(history, s, TODAY, get_settings()) for s in sprints]
    )
    # Sprint 0: 10 working days, P1's 5 on 10-20 (P2's canceled 4 on 10-22 is no gain);
    # Sprint 1 before today: 11-02 … 11-05, C1's 3 on 11-03 and C5's 1 on 11-05
    assert len(gains) == 14
    assert sorted(gains) == [0.0] * 11 + [1.0, 3.0, 5.0]


def test_the_odds_are_reported_and_reruns_agree(history: Session) -> None:
    first, second = report_for(history), report_for(history)
    metrics = first["metrics"]
    assert metrics["forecast_probability"] == second["metrics"]["forecast_probability"]
    assert metrics["forecast_dates"] == second["metrics"]["forecast_dates"]
    # 8 points left, 6 working days (11-06 … 11-13), drawing from 14 days worth 9 points:
    # finishing needs the rare good days, so the odds are real but low
    assert 0 < metrics["forecast_probability"] < 0.5
    assert first["forecast_detail"]["odds"]["history_days"] == 14
