"""`tasks.notion.windows`: which query follows a window Notion cut at its result limit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tasks.notion.windows import QueryWindow, next_window, window_filter, window_sorts

T = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
MIN = timedelta(minutes=1)


def test_an_uncut_window_ends_the_scan() -> None:
    step = next_window(QueryWindow(), capped=False, last=T, unique_id_property="Key")
    assert step.window is None and step.whole


def test_a_cut_window_continues_from_its_last_edit_minute_inclusive() -> None:
    step = next_window(
        QueryWindow(edited_from=T - MIN), capped=True, last=T, unique_id_property=None
    )
    assert step.window == QueryWindow(edited_from=T)


def test_a_cut_window_stuck_in_one_minute_reads_that_minute_by_creation() -> None:
    step = next_window(QueryWindow(edited_from=T), capped=True, last=T, unique_id_property=None)
    assert step.window == QueryWindow(edited_minute=T)
    assert window_sorts(step.window, None) == [
        {"timestamp": "created_time", "direction": "ascending"}
    ]
    done = next_window(step.window, capped=False, last=T, unique_id_property=None)
    assert done.window == QueryWindow(edited_from=T + MIN)


def test_a_minute_created_and_edited_at_once_is_read_by_unique_id() -> None:
    flood = QueryWindow(edited_minute=T, created_from=T)
    step = next_window(flood, capped=True, last=T, unique_id_property="Key")
    assert step.window == QueryWindow(edited_minute=T, created_minute=T)
    more = next_window(step.window, capped=True, last=120, unique_id_property="Key")
    assert more.window == QueryWindow(edited_minute=T, created_minute=T, number_after=120)
    assert window_filter(more.window, None, "Key")["and"][-1] == {
        "property": "Key",
        "unique_id": {"greater_than": 120},
    }
    assert next_window(more.window, capped=False, last=130, unique_id_property="Key").window == (
        QueryWindow(edited_minute=T, created_from=T + MIN)
    )


def test_without_a_unique_id_such_a_minute_is_skipped_and_the_scan_not_whole() -> None:
    flood = QueryWindow(edited_minute=T, created_from=T)
    step = next_window(flood, capped=True, last=T, unique_id_property=None)
    assert step.whole is False
    assert step.window == QueryWindow(edited_from=T + MIN)


def test_windows_nest_inside_the_plans_base_filter() -> None:
    base = {"or": [{"timestamp": "last_edited_time", "last_edited_time": {"on_or_after": "x"}}]}
    spec = window_filter(QueryWindow(edited_from=T), base, None)
    assert spec == {
        "and": [
            base,
            {
                "timestamp": "last_edited_time",
                "last_edited_time": {"on_or_after": "2026-11-24T09:30:00.000Z"},
            },
        ]
    }
    assert window_filter(QueryWindow(), None, None) is None
