"""The sync against a sandbox as strict as Notion: past the 10,000-result cap (here a cap of 120),
people and relations past 25, several data sources, partial page objects, removals between
full scans, and the request budget of an unchanged re-sync.

Every test compares what is stored with the sandbox's own records (`tests/workspace_truth.py`)
and runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlmodel import Session, select

from models import SyncState
from models.base import as_utc
from models.db import get_engine
from sandbox.records import DateValue
from sandbox.server import Sandbox
from sandbox.workspace import Workspace
from tasks.notion.errors import NotionAccessError
from tests.sandboxes import settings_for, sync
from tests.workspace_truth import expected, stored

CAP = 120


def freeze(ws: Workspace, later: timedelta) -> datetime:
    """Stop the workspace clock `later` from now, so every edit lands in one minute."""
    moment = ws.now() + later
    ws.set_clock(lambda: moment)
    return moment


def live(rows: dict[str, tuple]) -> set[str]:
    return {ticket_id for ticket_id, row in rows.items() if row[-1]}


def sync_states(db_url: str) -> list[SyncState]:
    with Session(get_engine(db_url)) as session:
        return list(session.exec(select(SyncState).where(SyncState.kind == "tickets")))


@pytest.mark.sandbox(300, query_result_limit=CAP)
def test_past_the_result_cap_full_incremental_and_refresh_equal_the_workspace(
    sandbox: Sandbox, db_url: str
) -> None:
    ws = sandbox.workspace
    settings = settings_for(sandbox, db_url)
    first = sync(settings)
    assert stored(db_url) == expected(sandbox)
    assert first.complete and first.windows > 2 and first.removed == 0
    assert sync_states(db_url)[0].last_full_scan_at is not None

    # An edit flood: 150 tickets edited in one minute, more than one query returns.
    freeze(ws, timedelta(hours=1))
    for page in ws.tickets()[:150]:
        ws.update_page(page.id, {"Points": 8})
    flood = sync(settings)
    assert stored(db_url) == expected(sandbox)
    assert (flood.complete, flood.removed, flood.full_scan) == (True, 0, False)
    assert flood.updated >= 150 - sum(1 for p in ws.tickets()[:150] if p.values["Points"] == 8)

    # A creation flood: 130 tickets created (and so edited) in one later minute.
    freeze(ws, timedelta(hours=2))
    created = [
        ws.create_page(ws.tickets_data_source_id, {"Name": f"Imported {i}", "Status": "Todo"})
        for i in range(130)
    ]
    imported = sync(settings)
    assert imported.created == 130 and imported.complete and imported.removed == 0
    assert stored(db_url) == expected(sandbox)

    refresh = sync(settings, full_refresh=True)
    assert refresh.complete and refresh.removed == 0 and refresh.created == 0
    assert stored(db_url) == expected(sandbox)
    assert set(created) <= live(stored(db_url))


@pytest.mark.sandbox(40, query_result_limit=CAP)
def test_a_flood_no_order_can_split_is_incomplete_and_removes_nothing(
    sandbox: Sandbox, db_url: str
) -> None:
    ws = sandbox.workspace
    source = ws.add_data_source(ws.tickets_database_id, "No keys", like=ws.tickets_data_source_id)
    del ws.data_sources[source].properties["Key"]
    minute = freeze(ws, timedelta(hours=1)).replace(second=0, microsecond=0)
    for i in range(CAP + 10):
        ws.create_page(source, {"Name": f"Bulk {i}", "Status": "Todo"})
    freeze(ws, timedelta(hours=2))
    late = ws.create_page(source, {"Name": "After the flood", "Status": "Todo"})
    settings = settings_for(sandbox, db_url)
    stats = sync(settings)
    assert stats.complete is False and stats.removed == 0
    states = {state.data_source_id: state for state in sync_states(db_url)}
    assert states[source].last_full_scan_at is None, "an incomplete scan is no full scan"
    assert states[source].cursor is not None
    assert as_utc(states[source].cursor) <= minute, "the next sync starts at the unread minute"
    assert states[ws.tickets_data_source_id].last_full_scan_at is not None
    # Only a page of the flood can be missing; nothing stored was ever marked removed.
    assert live(stored(db_url)) <= live(expected(sandbox))
    assert len(live(stored(db_url))) >= len(ws.tickets()) + CAP
    assert late in live(stored(db_url)), "the scan reads on past the minute it cannot split"


def _crowded(ws: Workspace) -> None:
    """Ticket 0 has 30 assignees, ticket 1 exactly 25; ticket 2 relates to 30 sprints, the
    current one last (past the 25 a page object shows)."""
    people = [ws.add_person(f"Crowd Member {i}") for i in range(30)]
    tickets = ws.tickets()
    ws.update_page(tickets[0].id, {"Assignee": people})
    ws.update_page(tickets[1].id, {"Assignee": people[:25]})
    old = [
        ws.create_page(
            ws.sprints_data_source_id,
            {"Name": f"Ancient {i}", "Dates": DateValue(f"2020-01-{i + 1:02d}", "2020-01-28")},
        )
        for i in range(29)
    ]
    ws.update_page(tickets[2].id, {"Sprint": [*old, ws.current_sprint().id]})


@pytest.mark.sandbox(40, prepare=_crowded)
def test_people_and_relations_past_25_are_read_whole(sandbox: Sandbox, db_url: str) -> None:
    ws = sandbox.workspace
    settings = settings_for(sandbox, db_url)
    sync(settings)
    rows, tickets = stored(db_url), ws.tickets()
    assert len(rows[tickets[0].id][4]) == 30
    assert len(rows[tickets[1].id][4]) == 25
    assert rows[tickets[2].id][3] == ws.current_sprint().id
    assert rows == expected(sandbox)
    sandbox.reset_requests()
    sync(settings)
    assert sandbox.count(path_contains="/properties/") == 0, "unchanged pages are not re-read"


@pytest.mark.sandbox(60)
def test_every_data_source_of_the_tickets_database_is_synced(sandbox: Sandbox, db_url: str) -> None:
    ws = sandbox.workspace
    second = ws.add_data_source(ws.tickets_database_id, "Support", like=ws.tickets_data_source_id)
    for i in range(5):
        ws.create_page(second, {"Name": f"Support case {i}", "Status": "Todo"})
    settings = settings_for(sandbox, db_url)
    sync(settings)
    assert stored(db_url) == expected(sandbox)
    assert {s.data_source_id for s in sync_states(db_url)} == {ws.tickets_data_source_id, second}
    ws.advance_clock(timedelta(minutes=10))
    late = ws.create_page(second, {"Name": "A later case", "Status": "Todo"})
    assert sync(settings).created == 1
    assert late in live(stored(db_url))


@pytest.mark.sandbox(60)
def test_partial_page_objects_are_retrieved_and_never_removed(
    sandbox: Sandbox, db_url: str
) -> None:
    ws = sandbox.workspace
    partial = ws.tickets()[7].id
    sandbox.partial_page_ids.add(partial)
    settings = settings_for(sandbox, db_url)
    first = sync(settings)
    assert first.quarantined == 0
    assert stored(db_url) == expected(sandbox)
    assert sandbox.count(method="GET", path_contains=f"/v1/pages/{partial}") == 1
    assert sync(settings, full_refresh=True).removed == 0
    assert partial in live(stored(db_url))


@pytest.mark.sandbox(150)
def test_a_trashed_current_sprint_ticket_leaves_scope_at_the_next_incremental_sync(
    sandbox: Sandbox, db_url: str
) -> None:
    ws = sandbox.workspace
    settings = settings_for(sandbox, db_url)
    sync(settings)
    current = ws.current_sprint().id
    in_sprint = [t for t in ws.tickets() if stored(db_url)[t.id][3] == current]
    elsewhere = next(t for t in ws.tickets() if not t.values.get("Sprint"))
    ws.advance_clock(timedelta(minutes=10))
    ws.trash_page(in_sprint[0].id)
    ws.trash_page(elsewhere.id)
    stats = sync(settings)
    assert stats.full_scan is False and stats.removed == 1
    rows = stored(db_url)
    assert rows[in_sprint[0].id][-1] is False
    assert rows[elsewhere.id][-1] is True, "outside open sprints, removals wait for a full scan"
    assert sync(settings, full_refresh=True).removed == 1
    assert stored(db_url)[elsewhere.id][-1] is False
    assert live(stored(db_url)) == live(expected(sandbox))


@pytest.mark.sandbox(150)
def test_an_unchanged_resync_takes_six_requests_with_the_removal_check(
    sandbox: Sandbox, db_url: str
) -> None:
    settings = settings_for(sandbox, db_url)
    sync(settings)
    sandbox.reset_requests()
    stats = sync(settings)
    assert (stats.created, stats.updated, stats.removed) == (0, 0, 0)
    assert sorted(sandbox.requests) == sorted(
        [
            ("GET", f"/v1/databases/{sandbox.sprints_database_id}"),
            ("GET", f"/v1/data_sources/{sandbox.sprints_data_source_id}"),
            ("POST", f"/v1/data_sources/{sandbox.sprints_data_source_id}/query"),
            ("GET", f"/v1/databases/{sandbox.tickets_database_id}"),
            ("GET", f"/v1/data_sources/{sandbox.tickets_data_source_id}"),
            ("POST", f"/v1/data_sources/{sandbox.tickets_data_source_id}/query"),
        ]
    )


@pytest.mark.sandbox(60)
def test_a_named_data_source_is_the_only_one_synced(sandbox: Sandbox, db_url: str) -> None:
    ws = sandbox.workspace
    second = ws.add_data_source(ws.tickets_database_id, "Support", like=ws.tickets_data_source_id)
    ws.create_page(second, {"Name": "Support case", "Status": "Todo"})
    settings = settings_for(
        sandbox, db_url, notion_tickets_data_source_id=ws.tickets_data_source_id
    )
    sync(settings)
    assert {s.data_source_id for s in sync_states(db_url)} == {ws.tickets_data_source_id}
    assert set(live(stored(db_url))) == {page.id for page in ws.tickets()}


@pytest.mark.sandbox(20)
def test_a_data_source_not_in_the_database_is_one_line_naming_the_setting(
    sandbox: Sandbox, db_url: str
) -> None:
    settings = settings_for(
        sandbox, db_url, notion_tickets_data_source_id=sandbox.workspace.sprints_data_source_id
    )
    with pytest.raises(NotionAccessError) as error:
        sync(settings)
    message = str(error.value)
    assert "CONDUCTOR_NOTION_TICKETS_DATA_SOURCE_ID" in message and "\n" not in message
