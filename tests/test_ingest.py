"""Ingestion end to end: the real client and sync code against the local Notion sandbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, func, select

from models import Person, Sprint, SyncState, Ticket, TicketEvent
from models.db import get_engine
from sandbox.server import Sandbox
from tasks.notion.client import NotionGateway
from tasks.notion.errors import NotionAccessError
from tests.sandboxes import serving, settings_for, sync
from tests.workspace_truth import expected, stored

N_TICKETS = 250
pytestmark = pytest.mark.sandbox(N_TICKETS)


def test_full_sync_equals_the_sandbox(sandbox: Sandbox, db_url: str) -> None:
    stats = sync(settings_for(sandbox, db_url))
    assert stored(db_url) == expected(sandbox)
    sprints = len(sandbox.workspace.sprints())
    tickets = len(sandbox.workspace.tickets())
    assert stats.fetched == tickets + sprints
    assert stats.created == tickets + sprints
    assert stats.quarantined == 0
    with Session(get_engine(db_url)) as session:
        assert session.exec(select(func.count()).select_from(Sprint)).one() == sprints
        people = session.exec(select(Person)).all()
    assert {p.id for p in people} >= {u.id for u in sandbox.workspace.people}
    assert all(p.email for p in people if p.type == "person")


def test_unchanged_resync_issues_one_query_per_data_source(sandbox: Sandbox, db_url: str) -> None:
    settings = settings_for(sandbox, db_url)
    sync(settings)
    before = stored(db_url)
    sandbox.reset_requests()
    stats = sync(settings)
    assert sandbox.count(method="POST", path_contains="/query") == 2
    assert (stats.created, stats.updated, stats.removed) == (0, 0, 0)
    assert stored(db_url) == before


def test_incremental_sync_picks_up_exactly_the_edits_and_new_pages(
    sandbox: Sandbox, db_url: str
) -> None:
    settings = settings_for(sandbox, db_url)
    sync(settings)
    ws = sandbox.workspace
    ws.advance_clock(timedelta(minutes=10))
    todo = next(
        p for p in ws.tickets() if p.values.get("Status") == "Todo" and p.values.get("Points")
    )
    other = next(
        p
        for p in ws.tickets()
        if p.values.get("Status") == "In Progress" and p.values.get("Points")
    )
    old_points = f"{float(other.values['Points']):g}"
    ws.update_page(todo.id, {"Status": "In Progress"})
    ws.update_page(other.id, {"Points": 13})
    new_id = ws.create_page(
        ws.tickets_data_source_id, {"Name": "Brand new ticket", "Status": "Todo", "Points": 2}
    )
    stats = sync(settings)
    assert (stats.created, stats.updated) == (1, 2)
    assert stored(db_url) == expected(sandbox)
    with Session(get_engine(db_url)) as session:
        observed = session.exec(
            select(TicketEvent).where(TicketEvent.derived.is_(False))  # type: ignore[attr-defined]
        ).all()
    changes = {(e.ticket_id, e.field, e.old_value, e.new_value) for e in observed}
    assert changes == {
        (todo.id, "status", "Todo", "In Progress"),
        (other.id, "points", old_points, "13"),
    }
    assert new_id in stored(db_url)


def test_trashed_pages_are_marked_removed_by_the_full_scan(sandbox: Sandbox, db_url: str) -> None:
    settings = settings_for(sandbox, db_url)
    sync(settings)
    victim = sandbox.workspace.tickets()[3]
    sandbox.workspace.trash_page(victim.id)
    assert sync(settings).removed == 0, "incremental queries never return trashed pages"
    stats = sync(settings, full_refresh=True)
    assert stats.removed == 1
    rows = stored(db_url)
    assert rows[victim.id][-1] is False
    assert sum(1 for row in rows.values() if row[-1]) == len(sandbox.workspace.tickets())
    sandbox.workspace.trash_page(victim.id, in_trash=False)
    assert sync(settings, full_refresh=True).updated == 1
    assert stored(db_url)[victim.id][-1] is True


def test_crash_between_batches_then_rerun_gives_the_same_rows_and_no_duplicates(
    sandbox: Sandbox, db_url: str
) -> None:
    settings = settings_for(sandbox, db_url)
    sandbox.fail_next(1, status=400, path_contains="/query", code="validation_error")
    # The 1st query (sprints) fails: nothing is stored and no cursor moved.
    with pytest.raises(Exception, match="validation"):
        sync(settings)
    # Let sprints and two ticket pages commit, then fail the third ticket page.
    sandbox.reset_requests()
    original = NotionGateway.query_page
    calls = {"n": 0}

    def flaky(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 4:
            raise RuntimeError("injected crash between batches")
        return original(self, *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(NotionGateway, "query_page", flaky)
        with pytest.raises(RuntimeError, match="injected crash"):
            sync(settings)
    partial = stored(db_url)
    assert 0 < len(partial) < len(sandbox.workspace.tickets())
    sync(settings)
    assert stored(db_url) == expected(sandbox)
    with Session(get_engine(db_url)) as session:
        per_ticket = session.exec(
            select(TicketEvent.ticket_id, TicketEvent.field, func.count())
            .where(TicketEvent.field.in_(["sprint", "points"]))  # type: ignore[attr-defined]
            .group_by(TicketEvent.ticket_id, TicketEvent.field)
        ).all()
        states = session.exec(select(SyncState)).all()
    assert all(count == 1 for _, _, count in per_ticket), "no duplicate first-seen events"
    assert all(state.cursor is not None for state in states)


def test_rate_limited_sandbox_is_honoured_and_nothing_is_lost(db_url: str) -> None:
    with serving(120, rate_limit_rps=50) as server:
        settings = settings_for(server, db_url)
        server.fail_next(2, status=429, path_contains="/query", retry_after=1)
        server.fail_next(1, status=529, path_contains="/query")
        sleeps: list[float] = []
        gateway = NotionGateway.from_settings(settings, rps=None, sleep=sleeps.append)
        with gateway:
            stats = sync(settings, gateway=gateway)
        assert stats.rate_limited == 2 and stats.retried == 3
        assert sum(sleeps) >= 2
        assert stored(db_url) == expected(server)


def test_wrong_token_fails_with_the_fix_and_keeps_stored_data(
    sandbox: Sandbox, db_url: str
) -> None:
    settings = settings_for(sandbox, db_url)
    sync(settings)
    before = stored(db_url)
    bad = settings_for(sandbox, db_url, notion_token="secret_wrong")
    with pytest.raises(NotionAccessError) as excinfo:
        sync(bad)
    assert "CONDUCTOR_NOTION_TOKEN" in str(excinfo.value)
    assert "secret_wrong" not in str(excinfo.value)
    assert stored(db_url) == before


def test_unshared_database_names_the_fix(sandbox: Sandbox, db_url: str) -> None:
    settings = settings_for(sandbox, db_url, notion_tickets_database_id="0" * 32)
    with pytest.raises(NotionAccessError, match="share the database with the integration"):
        sync(settings)


def test_integration_without_user_access_still_yields_people_from_properties(db_url: str) -> None:
    """Without user capabilities Notion returns partial users (`{object, id}`): ids, no names."""
    with serving(80, integration_can_read_users=False) as server:
        sync(settings_for(server, db_url))
        with Session(get_engine(db_url)) as session:
            people = session.exec(select(Person)).all()
    assigned = {a for page in server.workspace.tickets() for a in page.values.get("Assignee") or ()}
    assert {p.id for p in people} >= assigned
    assert all(p.source == "property" for p in people)


def test_unreadable_property_keeps_the_stored_value_and_writes_no_history(
    sandbox: Sandbox, db_url: str
) -> None:
    from tasks.notion.plan import TICKETS, plan_sources
    from tasks.notion.writes import write_batch

    settings = settings_for(sandbox, db_url)
    sync(settings)
    page = next(p for p in sandbox.workspace.tickets() if p.values.get("Points"))
    with (
        NotionGateway.from_settings(settings, rps=None) as gateway,
        Session(get_engine(db_url)) as session,
    ):
        (plan,) = plan_sources(session, gateway, settings, TICKETS, full_refresh=False)
        fetched = gateway.retrieve_page(page.id)
        fetched["properties"]["Points"]["number"] = "thirteen"  # a formula turned text, say
        fetched["last_edited_time"] = "2099-01-01T00:00:00.000Z"
        result = write_batch(session, plan, [fetched], settings, gateway)
        stored = session.get(Ticket, page.id)
        events = session.exec(
            select(TicketEvent).where(
                TicketEvent.ticket_id == page.id,
                TicketEvent.derived.is_(False),  # type: ignore[attr-defined]
            )
        ).all()
    assert result.quarantined == 1
    assert stored is not None and stored.points == float(page.values["Points"])
    assert [e["property"] for e in stored.parse_errors] == ["Points"]
    assert events == []


def test_a_page_that_is_not_a_page_is_quarantined_and_the_cursor_moves_on(
    sandbox: Sandbox, db_url: str
) -> None:
    from tasks.notion.plan import TICKETS, plan_sources
    from tasks.notion.writes import write_batch

    settings = settings_for(sandbox, db_url)
    sync(settings)
    page = sandbox.workspace.tickets()[0]
    with (
        NotionGateway.from_settings(settings, rps=None) as gateway,
        Session(get_engine(db_url)) as session,
    ):
        (plan,) = plan_sources(session, gateway, settings, TICKETS, full_refresh=False)
        good = gateway.retrieve_page(page.id)
        good["last_edited_time"] = "2099-01-01T00:00:00.000Z"
        broken = {
            "object": "page",
            "id": "not-an-id",
            "last_edited_time": "2099-01-01T00:00:00.000Z",
        }
        result = write_batch(session, plan, [broken, good], settings, gateway)
        state = session.get(SyncState, plan.data_source_id)
    assert (result.fetched, result.quarantined) == (2, 1)
    assert state is not None and state.cursor is not None and state.cursor.year == 2099
