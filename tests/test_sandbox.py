"""The local Notion sandbox, driven through the real `notion_client.Client`.

These tests pin the API behaviour Conductor's ingestion relies on (shapes, pagination, filters,
errors, rate limiting) and the sample workspace's promises (a current sprint, realistic mix,
hostile titles). Small workspaces keep the file fast; the default one is built where the
default itself is the point.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import httpx
import pytest
from notion_client import APIResponseError, Client, RetryOptions
from notion_client.helpers import collect_paginated_api

from sandbox.records import DateValue
from sandbox.sample import build_sample_workspace
from sandbox.sample_content import EPIC_RELATED_COUNT, HOSTILE_TITLES, TICKET_STATUSES
from sandbox.server import Sandbox
from sandbox.workspace import Workspace
from tests.factories import SAMPLE_TODAY
from tests.sandboxes import serving

TODAY = SAMPLE_TODAY
MINUTE_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:00\.000Z$")
FAST_RETRIES = RetryOptions(max_retries=2, initial_retry_delay_ms=10, max_retry_delay_ms=50)


@pytest.fixture(scope="module")
def shared() -> Iterator[Sandbox]:
    """A read-only sandbox for tests that do not mutate anything."""
    with serving(120) as sandbox:
        yield sandbox


def _frozen_clock(workspace: Workspace) -> None:
    workspace.set_clock(lambda: datetime(2026, 11, 24, 10, 15, 42, 123000, tzinfo=UTC))


#: The `sandbox` fixture: a private sandbox whose workspace clock is frozen at 10:15:42 on TODAY.
pytestmark = pytest.mark.sandbox(120, prepare=_frozen_clock)


def client_for(sandbox: Sandbox, **options: object) -> Client:
    return Client(auth=sandbox.token, base_url=sandbox.base_url, **options)


def all_pages(client: Client, data_source_id: str, **query: object) -> list[dict]:
    return collect_paginated_api(client.data_sources.query, data_source_id=data_source_id, **query)


def title_of(page: dict) -> str:
    return "".join(part["plain_text"] for part in page["properties"]["Name"]["title"])


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# --- users ---------------------------------------------------------------------------------


def test_users_are_listed_page_by_page_with_cursors(shared: Sandbox) -> None:
    client = client_for(shared)
    first = client.users.list(page_size=5)
    assert first["object"] == "list" and first["has_more"] is True
    assert len(first["results"]) == 5 and first["next_cursor"]

    users = collect_paginated_api(client.users.list, page_size=5)

    assert len(users) == 13 == len(shared.workspace.users)
    assert len({user["id"] for user in users}) == 13
    people = [user for user in users if user["type"] == "person"]
    assert len(people) == 12
    assert all(user["person"]["email"].endswith("@acme.dev") for user in people)
    assert "Zoë Ångström" in {user["name"] for user in people}
    assert [user["name"] for user in users if user["type"] == "bot"] == ["Conductor"]


def test_users_me_is_the_integration_bot(shared: Sandbox) -> None:
    me = client_for(shared).users.me()

    assert me["type"] == "bot" and me["id"] == shared.workspace.bot.id
    assert me["bot"]["owner"] == {"type": "workspace", "workspace": True}


def test_without_the_user_capability_users_are_forbidden_and_people_partial() -> None:
    with serving(30, integration_can_read_users=False) as sandbox:
        client = client_for(sandbox)
        with pytest.raises(APIResponseError) as error:
            client.users.list()
        assert (error.value.status, error.value.code) == (403, "restricted_resource")
        assert client.users.me()["type"] == "bot"

        pages = all_pages(client, sandbox.tickets_data_source_id)
        people = [p for page in pages for p in page["properties"]["Assignee"]["people"]]
        assert people and all(set(person) == {"object", "id"} for person in people)


# --- databases and data sources ------------------------------------------------------------


def test_database_points_to_its_data_source_and_schema(shared: Sandbox) -> None:
    client = client_for(shared)
    database = client.databases.retrieve(shared.tickets_database_id)

    assert database["object"] == "database"
    assert database["data_sources"] == [{"id": shared.tickets_data_source_id, "name": "Tickets"}]

    data_source = client.data_sources.retrieve(database["data_sources"][0]["id"])
    assert data_source["object"] == "data_source"
    assert data_source["parent"] == {"type": "database_id", "database_id": database["id"]}
    types = {name: prop["type"] for name, prop in data_source["properties"].items()}
    assert types == {
        "Name": "title",
        "Key": "unique_id",
        "Status": "status",
        "Points": "number",
        "Assignee": "people",
        "Sprint": "relation",
        "Priority": "select",
        "Tags": "multi_select",
        "Due": "date",
        "Description": "rich_text",
        "Related": "relation",
        "Created by": "created_by",
    }
    status = data_source["properties"]["Status"]["status"]
    option_names = {option["id"]: option["name"] for option in status["options"]}
    groups = {g["name"]: tuple(option_names[i] for i in g["option_ids"]) for g in status["groups"]}
    assert groups == TICKET_STATUSES
    sprint = data_source["properties"]["Sprint"]["relation"]
    assert sprint["data_source_id"] == shared.sprints_data_source_id
    assert sprint["database_id"] == shared.sprints_database_id
    assert data_source["properties"]["Key"]["unique_id"] == {"prefix": "ENG"}


def test_unknown_database_is_404_object_not_found(shared: Sandbox) -> None:
    missing = "0f0e0d0c-0b0a-4908-8706-050403020100"
    with pytest.raises(APIResponseError) as error:
        client_for(shared).databases.retrieve(missing)

    assert (error.value.status, error.value.code) == (404, "object_not_found")
    assert f"Could not find database with ID: {missing}." in str(error.value)


def test_data_source_id_is_not_a_database_id(shared: Sandbox) -> None:
    with pytest.raises(APIResponseError) as error:
        client_for(shared).databases.retrieve(shared.tickets_data_source_id)

    assert error.value.code == "object_not_found"


# --- querying ------------------------------------------------------------------------------


def test_query_pages_through_every_live_ticket(shared: Sandbox) -> None:
    client = client_for(shared)
    first = client.data_sources.query(shared.tickets_data_source_id, page_size=50)
    assert first["type"] == "page_or_data_source" and first["has_more"] is True

    pages = all_pages(client, shared.tickets_data_source_id, page_size=50)

    live = shared.workspace.tickets()
    assert len(live) < len(shared.workspace.tickets(include_trashed=True))
    assert len(pages) == len(live)
    assert {page["id"] for page in pages} == {page.id for page in live}
    assert not any(page["in_trash"] for page in pages)
    assert shared.count("POST", "/query") >= 4


def test_last_edited_filter_with_ascending_sort(shared: Sandbox) -> None:
    times = sorted(page.last_edited_time for page in shared.workspace.tickets())
    since = times[len(times) // 2]
    expected = sum(1 for t in times if t >= since)

    pages = all_pages(
        client_for(shared),
        shared.tickets_data_source_id,
        page_size=20,
        filter={"timestamp": "last_edited_time", "last_edited_time": {"on_or_after": _z(since)}},
        sorts=[{"timestamp": "last_edited_time", "direction": "ascending"}],
    )

    edited = [parse_time(page["last_edited_time"]) for page in pages]
    assert len(pages) == expected
    assert edited == sorted(edited) and edited[0] >= since


def test_compound_filter_selects_a_time_window(shared: Sandbox) -> None:
    times = sorted(page.last_edited_time for page in shared.workspace.tickets())
    lo, hi = times[10], times[40]
    window = {
        "and": [
            {"timestamp": "last_edited_time", "last_edited_time": {"after": _z(lo)}},
            {"timestamp": "last_edited_time", "last_edited_time": {"on_or_before": _z(hi)}},
        ]
    }

    pages = all_pages(client_for(shared), shared.tickets_data_source_id, filter=window)

    assert len(pages) == sum(1 for t in times if lo < t <= hi)


def test_unsupported_filter_is_a_validation_error(shared: Sandbox) -> None:
    with pytest.raises(APIResponseError) as error:
        client_for(shared).data_sources.query(
            shared.tickets_data_source_id,
            filter={"timestamp": "last_edited_time", "last_edited_time": {"past_week": {}}},
        )

    assert (error.value.status, error.value.code) == (400, "validation_error")


def test_timestamps_are_truncated_to_the_minute(sandbox: Sandbox) -> None:
    client = client_for(sandbox)
    ticket = sandbox.workspace.tickets()[0]

    updated = client.pages.update(ticket.id, properties={"Points": {"number": 8}})

    assert updated["last_edited_time"] == "2026-11-24T10:15:00.000Z"
    pages = all_pages(client, sandbox.tickets_data_source_id)
    stamps = [page[key] for page in pages for key in ("created_time", "last_edited_time")]
    assert all(MINUTE_TIMESTAMP.match(stamp) for stamp in stamps)


# --- pages ---------------------------------------------------------------------------------


def test_page_caps_relations_at_25_and_the_property_endpoint_pages_the_rest(
    shared: Sandbox,
) -> None:
    client = client_for(shared)
    epic = next(p for p in shared.workspace.tickets() if len(p.values.get("Related", ())) > 25)

    page = client.pages.retrieve(epic.id)
    related = page["properties"]["Related"]
    assert len(related["relation"]) == 25 and related["has_more"] is True

    first = client.pages.properties.retrieve(epic.id, related["id"], page_size=10)
    assert first["object"] == "list" and first["type"] == "property_item"
    assert first["has_more"] is True and first["property_item"]["type"] == "relation"
    assert first["property_item"]["next_url"].endswith(f"start_cursor={first['next_cursor']}")
    items = collect_paginated_api(
        client.pages.properties.retrieve, page_id=epic.id, property_id=related["id"], page_size=10
    )
    assert len(items) == EPIC_RELATED_COUNT
    assert [item["relation"]["id"] for item in items] == list(epic.values["Related"])


def test_hostile_titles_come_back_verbatim(shared: Sandbox) -> None:
    client = client_for(shared)
    by_title = {
        shared.workspace.title(p): p for p in shared.workspace.tickets(include_trashed=True)
    }

    for title in HOSTILE_TITLES:
        page = client.pages.retrieve(by_title[title].id)
        assert title_of(page) == title

    long_page = by_title[HOSTILE_TITLES[8]]
    parts = client.pages.retrieve(long_page.id)["properties"]["Name"]["title"]
    assert [len(part["text"]["content"]) for part in parts] == [2000, 1000]
    assert client.pages.retrieve(by_title[""].id)["properties"]["Name"]["title"] == []


def test_page_shape_matches_notion(shared: Sandbox) -> None:
    ticket = next(p for p in shared.workspace.tickets() if p.values.get("Sprint"))
    page = client_for(shared).pages.retrieve(ticket.id)

    assert page["object"] == "page"
    assert page["parent"] == {
        "type": "data_source_id",
        "data_source_id": shared.tickets_data_source_id,
        "database_id": shared.tickets_database_id,
    }
    assert page["url"].endswith(ticket.id.replace("-", ""))
    props = page["properties"]
    assert props["Key"]["unique_id"] == {"prefix": "ENG", "number": ticket.unique_number}
    assert props["Status"]["status"]["name"] == ticket.values["Status"]
    assert props["Sprint"]["relation"] == [{"id": i} for i in ticket.values["Sprint"]]
    assert props["Sprint"]["has_more"] is False
    assert props["Created by"]["created_by"]["id"] == ticket.created_by
    assert page["created_by"] == {"object": "user", "id": ticket.created_by}


def test_unknown_page_is_404_and_malformed_id_is_400(shared: Sandbox) -> None:
    client = client_for(shared)
    with pytest.raises(APIResponseError) as missing:
        client.pages.retrieve("0f0e0d0c-0b0a-4908-8706-050403020100")
    with pytest.raises(APIResponseError) as malformed:
        client.pages.retrieve("not-a-page")

    assert (missing.value.status, missing.value.code) == (404, "object_not_found")
    assert (malformed.value.status, malformed.value.code) == (400, "validation_error")


def test_created_and_updated_pages_show_up_in_a_later_filtered_query(sandbox: Sandbox) -> None:
    client = client_for(sandbox)
    workspace = sandbox.workspace
    sprint_id = workspace.current_sprint().id
    person = workspace.people[2]
    cursor = workspace.now()
    highest_key = max(p.unique_number or 0 for p in workspace.tickets(include_trashed=True))

    workspace.advance_clock(timedelta(minutes=5))
    created = client.pages.create(
        parent={"type": "data_source_id", "data_source_id": sandbox.tickets_data_source_id},
        properties={
            "Name": {"title": [{"text": {"content": "Add SCIM provisioning"}}]},
            "Status": {"status": {"name": "Todo"}},
            "Points": {"number": 5},
            "Assignee": {"people": [{"object": "user", "id": person.id}]},
            "Sprint": {"relation": [{"id": sprint_id}]},
            "Tags": {"multi_select": [{"name": "backend"}, {"name": "enterprise"}]},
            "Due": {"date": {"start": "2026-12-01"}},
        },
    )
    workspace.advance_clock(timedelta(hours=1))
    client.pages.update(created["id"], properties={"Status": {"status": {"name": "In Progress"}}})

    changed = all_pages(
        client,
        sandbox.tickets_data_source_id,
        filter={"timestamp": "last_edited_time", "last_edited_time": {"after": _z(cursor)}},
    )

    assert [page["id"] for page in changed] == [created["id"]]
    page = changed[0]
    assert page["properties"]["Status"]["status"]["name"] == "In Progress"
    assert page["properties"]["Key"]["unique_id"]["number"] == highest_key + 1
    assert page["last_edited_time"] == "2026-11-24T11:20:00.000Z"
    assert page["created_time"] == "2026-11-24T10:20:00.000Z"
    assert page["created_by"]["id"] == workspace.bot.id
    assert page["properties"]["Assignee"]["people"][0]["name"] == person.name
    assert [t["name"] for t in page["properties"]["Tags"]["multi_select"]] == [
        "backend",
        "enterprise",
    ]


def test_edits_made_in_the_workspace_are_seen_by_the_api(sandbox: Sandbox) -> None:
    workspace = sandbox.workspace
    ticket = workspace.tickets()[3]
    workspace.advance_clock(timedelta(days=1))

    workspace.update_page(ticket.id, {"Status": "Blocked", "Due": DateValue("2026-12-24")})

    page = client_for(sandbox).pages.retrieve(ticket.id)
    assert page["properties"]["Status"]["status"]["name"] == "Blocked"
    assert page["properties"]["Due"]["date"] == {
        "start": "2026-12-24",
        "end": None,
        "time_zone": None,
    }
    assert page["last_edited_time"] == "2026-11-25T10:15:00.000Z"


def test_writes_with_unknown_properties_or_wrong_types_are_rejected(sandbox: Sandbox) -> None:
    client = client_for(sandbox)
    ticket = sandbox.workspace.tickets()[0]
    bad_writes = [
        {"Estimate": {"number": 3}},
        {"Points": {"select": {"name": "3"}}},
        {"Points": {"number": "three"}},
        {"Status": {"status": {"name": "Shipped"}}},
        {"Assignee": {"people": [{"id": "0f0e0d0c-0b0a-4908-8706-050403020100"}]}},
        {"Key": {"unique_id": {"number": 1}}},
    ]
    for properties in bad_writes:
        with pytest.raises(APIResponseError) as error:
            client.pages.update(ticket.id, properties=properties)
        assert (error.value.status, error.value.code) == (400, "validation_error"), properties

    assert sandbox.workspace.page(ticket.id) is ticket
    assert ticket.last_edited_time < datetime(2026, 11, 24, tzinfo=UTC)


def test_trashed_pages_vanish_from_queries_but_can_still_be_retrieved(sandbox: Sandbox) -> None:
    client = client_for(sandbox)
    ticket = sandbox.workspace.tickets()[0]
    before = len(all_pages(client, sandbox.tickets_data_source_id))

    client.pages.update(ticket.id, in_trash=True)

    ids = {page["id"] for page in all_pages(client, sandbox.tickets_data_source_id)}
    assert len(ids) == before - 1 and ticket.id not in ids
    page = client.pages.retrieve(ticket.id)
    assert page["in_trash"] is True and page["archived"] is True
    with pytest.raises(APIResponseError):
        client.pages.update(ticket.id, properties={"Points": {"number": 1}})


# --- auth, versions, limits, faults --------------------------------------------------------


def test_wrong_token_is_401_unauthorized(shared: Sandbox) -> None:
    client = Client(auth="secret_wrong", base_url=shared.base_url)
    with pytest.raises(APIResponseError) as error:
        client.users.me()

    assert (error.value.status, error.value.code) == (401, "unauthorized")
    assert str(error.value) == "API token is invalid."


def test_missing_notion_version_is_400(shared: Sandbox) -> None:
    response = httpx.get(
        f"{shared.base_url}/v1/users/me", headers={"Authorization": f"Bearer {shared.token}"}
    )

    assert response.status_code == 400
    body = response.json()
    assert body["object"] == "error" and body["code"] == "missing_version"
    assert body["request_id"]


def test_rate_limiter_answers_429_with_retry_after(shared: Sandbox) -> None:
    headers = {"Authorization": f"Bearer {shared.token}", "Notion-Version": "2025-09-03"}
    shared.set_rate_limit(0.5)
    try:
        with httpx.Client(base_url=shared.base_url, headers=headers) as http:
            statuses = [http.get("/v1/users/me") for _ in range(6)]
    finally:
        shared.set_rate_limit(None)

    limited = [r for r in statuses if r.status_code == 429]
    assert statuses[0].status_code == 200
    assert len(limited) >= 3
    assert int(limited[0].headers["Retry-After"]) >= 1
    assert limited[0].json()["code"] == "rate_limited"


def test_client_recovers_from_rate_limiting(sandbox: Sandbox) -> None:
    sandbox.set_rate_limit(20)
    client = client_for(sandbox)
    started = time.monotonic()

    pages = all_pages(client, sandbox.tickets_data_source_id, page_size=5)

    assert len(pages) == len(sandbox.workspace.tickets())
    assert sandbox.count(status=429) >= 1
    assert time.monotonic() - started < 6


def test_fault_injection_answers_the_injected_status(sandbox: Sandbox) -> None:
    client = client_for(sandbox, retry=False)
    sandbox.fail_next(1, status=503, path_contains="/query")

    with pytest.raises(APIResponseError) as error:
        client.data_sources.query(sandbox.tickets_data_source_id)

    assert (error.value.status, error.value.code) == (503, "service_unavailable")
    assert client.data_sources.query(sandbox.tickets_data_source_id)["object"] == "list"
    assert sandbox.count("POST", "/query") == 2
    assert sandbox.count("POST", "/query", status=503) == 1


def test_client_retries_an_injected_529_on_reads(sandbox: Sandbox) -> None:
    client = client_for(sandbox, retry=FAST_RETRIES)
    sandbox.fail_next(2, status=529, path_contains="/users/me")

    assert client.users.me()["type"] == "bot"
    assert sandbox.count("GET", "/users/me") == 3


# --- the sample workspace ------------------------------------------------------------------


def test_default_workspace_has_a_current_sprint_and_a_realistic_mix() -> None:
    workspace = build_sample_workspace(TODAY)
    sprints = workspace.sprints()
    tickets = workspace.tickets()

    assert len(workspace.tickets(include_trashed=True)) == 400
    assert [p.values["Status"] for p in sprints] == ["Completed"] * 6 + ["Active", "Planned"]
    starts = [date.fromisoformat(p.values["Dates"].start) for p in sprints]
    assert all(day.weekday() == 0 for day in starts)
    assert all(b - a == timedelta(days=14) for a, b in pairwise(starts))
    current = workspace.current_sprint()
    assert current is sprints[6] and re.fullmatch(r"Sprint \d+", current.values["Name"])

    in_current = [p for p in tickets if current.id in p.values.get("Sprint", ())]
    statuses = {p.values["Status"] for p in in_current}
    assert {"Blocked", "In Progress", "Todo"} <= statuses
    unpointed = sum(1 for p in tickets if "Points" not in p.values) / len(tickets)
    assert 0.05 <= unpointed <= 0.2
    backlog = [p for p in tickets if not p.values.get("Sprint")]
    assert 0.2 <= len(backlog) / len(tickets) <= 0.35
    assert {workspace.title(p) for p in workspace.tickets(include_trashed=True)} >= set(
        HOSTILE_TITLES
    )


def test_past_sprint_work_was_finished_inside_its_sprint() -> None:
    workspace = build_sample_workspace(TODAY)
    horizon = datetime(2026, 11, 24, tzinfo=UTC)
    for sprint in workspace.sprints()[:6]:
        dates = sprint.values["Dates"]
        start = datetime.fromisoformat(dates.start).replace(tzinfo=UTC)
        end = datetime.fromisoformat(dates.end).replace(tzinfo=UTC) + timedelta(days=1)
        done = [
            p
            for p in workspace.tickets()
            if p.values.get("Sprint") == (sprint.id,) and p.values["Status"] == "Done"
        ]
        assert len(done) > 10
        assert all(start <= p.last_edited_time < end for p in done)
    for page in workspace.pages.values():
        assert page.created_time <= page.last_edited_time < horizon
        assert page.last_edited_time.second == 0 and page.last_edited_time.microsecond == 0


def test_generation_is_deterministic_for_the_same_arguments() -> None:
    first: Workspace = build_sample_workspace(TODAY, n_tickets=50, seed=3)
    second = build_sample_workspace(TODAY, n_tickets=50, seed=3)
    other_day = build_sample_workspace(TODAY + timedelta(days=30), n_tickets=80, seed=3)

    assert list(first.pages) == list(second.pages)
    assert [p.values for p in first.pages.values()] == [p.values for p in second.pages.values()]
    assert first.tickets_database_id == other_day.tickets_database_id
    ids = [(s.name, s.id) for s in first.tickets_data_source.properties.values()]
    assert ids == [(s.name, s.id) for s in other_day.tickets_data_source.properties.values()]


def _z(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
