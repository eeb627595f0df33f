"""The sandbox enforces Notion's documented limits, so the sync is tested against them.

Each test states one limit as Notion documents it ("Query large data sources", "Retrieve a page"
limits, "Retrieve a page property item", "Upgrading to 2025-09-03") and drives the sandbox
through the real `notion_client.Client`. Small caps keep the workspaces small.
"""

from __future__ import annotations

import pytest
from notion_client import Client
from notion_client.helpers import collect_paginated_api

from sandbox.server import Sandbox
from sandbox.workspace import Workspace

INCOMPLETE = {"type": "incomplete", "incomplete_reason": "query_result_limit_reached"}


def client_for(sandbox: Sandbox) -> Client:
    return Client(auth=sandbox.token, base_url=sandbox.base_url)


def query_pages(client: Client, data_source_id: str, **body: object) -> list[dict]:
    """Every page of one query's response (the list objects, not their results)."""
    pages, cursor = [], None
    while True:
        extra = {"start_cursor": cursor} if cursor else {}
        page = client.data_sources.query(data_source_id, page_size=50, **body, **extra)
        pages.append(page)
        if not page["has_more"]:
            return pages
        cursor = page["next_cursor"]


@pytest.mark.sandbox(150, query_result_limit=120)
def test_a_query_stops_at_the_result_limit_and_every_page_says_incomplete(
    sandbox: Sandbox,
) -> None:
    pages = query_pages(client_for(sandbox), sandbox.tickets_data_source_id)
    assert sum(len(p["results"]) for p in pages) == 120
    assert [len(p["results"]) for p in pages] == [50, 50, 20]
    assert pages[-1]["has_more"] is False and pages[-1]["next_cursor"] is None
    assert all(p.get("request_status") == INCOMPLETE for p in pages)


@pytest.mark.sandbox(150, query_result_limit=120)
def test_a_query_under_the_limit_carries_no_request_status(sandbox: Sandbox) -> None:
    pages = query_pages(
        client_for(sandbox),
        sandbox.tickets_data_source_id,
        filter={"property": "Status", "status": {"equals": "Done"}},
    )
    assert 0 < sum(len(p["results"]) for p in pages) < 120
    assert all("request_status" not in p for p in pages)


def _crowded_ticket(workspace: Workspace) -> None:
    people = [workspace.add_person(f"Extra Person {i}") for i in range(30)]
    ticket = workspace.tickets()[0]
    workspace.update_page(ticket.id, {"Assignee": people})


@pytest.mark.sandbox(20, prepare=_crowded_ticket)
def test_people_are_cut_at_25_without_has_more_and_the_property_item_list_has_all(
    sandbox: Sandbox,
) -> None:
    client = client_for(sandbox)
    ticket = sandbox.workspace.tickets()[0]
    prop = client.pages.retrieve(ticket.id)["properties"]["Assignee"]
    assert len(prop["people"]) == 25 and "has_more" not in prop
    first = client.pages.properties.retrieve(ticket.id, prop["id"], page_size=10)
    assert first["object"] == "list" and first["property_item"]["type"] == "people"
    assert first["has_more"] is True
    items = collect_paginated_api(
        client.pages.properties.retrieve, page_id=ticket.id, property_id=prop["id"]
    )
    assert [item["people"]["id"] for item in items] == list(ticket.values["Assignee"])


@pytest.mark.sandbox(30)
def test_partial_pages_show_only_their_id_in_queries_and_whole_when_retrieved(
    sandbox: Sandbox,
) -> None:
    client = client_for(sandbox)
    victim = sandbox.workspace.tickets()[5]
    sandbox.partial_page_ids.add(victim.id)
    results = collect_paginated_api(
        client.data_sources.query, data_source_id=sandbox.tickets_data_source_id
    )
    assert {"object": "page", "id": victim.id} in results
    assert client.pages.retrieve(victim.id)["properties"]["Name"]["title"]


@pytest.mark.sandbox(30)
def test_trashed_pages_say_so_in_every_flag_and_leave_queries(sandbox: Sandbox) -> None:
    client = client_for(sandbox)
    victim = sandbox.workspace.tickets()[2]
    sandbox.workspace.trash_page(victim.id)
    page = client.pages.retrieve(victim.id)
    assert (page["in_trash"], page["archived"], page["is_archived"]) == (True, True, True)
    ids = {
        r["id"]
        for r in collect_paginated_api(
            client.data_sources.query, data_source_id=sandbox.tickets_data_source_id
        )
    }
    assert victim.id not in ids


@pytest.mark.sandbox(30)
def test_a_database_can_hold_a_second_data_source(sandbox: Sandbox) -> None:
    ws = sandbox.workspace
    second = ws.add_data_source(
        ws.tickets_database_id, "Support tickets", like=ws.tickets_data_source_id
    )
    page_id = ws.create_page(second, {"Name": "Printer on fire", "Status": "Todo"})
    client = client_for(sandbox)
    sources = client.databases.retrieve(ws.tickets_database_id)["data_sources"]
    assert [s["id"] for s in sources] == [ws.tickets_data_source_id, second]
    results = collect_paginated_api(client.data_sources.query, data_source_id=second)
    assert [r["id"] for r in results] == [page_id]
    assert len(ws.tickets(all_sources=True)) == len(ws.tickets()) + 1
