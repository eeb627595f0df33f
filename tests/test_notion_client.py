"""`NotionGateway` against a mocked Notion (respx): pagination, retries, errors, rate limit.

No network and no real sleeping: every wait goes through a `FakeClock`, which records it and
advances fake time, so a test can assert "waited at least 2 s" in microseconds.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
import respx

from models.settings import ConfigError, load_settings
from tasks.notion.client import NotionGateway
from tasks.notion.errors import NotionAccessError, NotionRequestError, NotionUnavailableError
from tasks.notion.rate_limit import RateLimiter

TOKEN = "ntn_secret_token_that_must_never_leak"
API = "https://api.notion.com/v1"
DATA_SOURCE = "2f1c6a3e-0000-4000-8000-00000000d5a1"
DATABASE = "8e2b7c4d-0000-4000-8000-0000000000db"
PAGE = "5a9d3f10-0000-4000-8000-000000000001"


class FakeClock:
    """A monotonic clock that only moves when someone sleeps; remembers every sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    @property
    def elapsed(self) -> float:
        return sum(self.sleeps)


def notion_error(status: int, code: str, message: str, **headers: str) -> httpx.Response:
    body = {"object": "error", "status": status, "code": code, "message": message}
    return httpx.Response(status, json=body, headers=headers)


def query_result(ids: list[str], next_cursor: str | None) -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "object": "list",
            "results": [{"object": "page", "id": i} for i in ids],
            "next_cursor": next_cursor,
            "has_more": next_cursor is not None,
        },
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def gateway(clock: FakeClock) -> Iterator[NotionGateway]:
    """A gateway without client-side rate limit, so recorded sleeps are retry backoff only."""
    with NotionGateway(TOKEN, rps=None, sleep=clock.sleep, clock=clock) as gw:
        yield gw


@pytest.fixture
def notion() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=API, assert_all_called=False) as router:
        yield router


def test_iter_query_follows_cursors_with_filter_and_ascending_sort(
    gateway: NotionGateway, notion: respx.MockRouter
) -> None:
    route = notion.post(f"/data_sources/{DATA_SOURCE}/query").mock(
        side_effect=[
            query_result(["p1", "p2"], "c1"),
            query_result(["p3"], "c2"),
            query_result(["p4"], None),
        ]
    )
    since = datetime(2025, 3, 4, 9, 13, tzinfo=UTC)

    pages = list(gateway.iter_query(DATA_SOURCE, edited_on_or_after=since))

    assert [[p["id"] for p in page] for page in pages] == [["p1", "p2"], ["p3"], ["p4"]]
    bodies = [json.loads(call.request.content) for call in route.calls]
    assert [b.get("start_cursor") for b in bodies] == [None, "c1", "c2"]
    for body in bodies:
        assert body["filter"] == {
            "timestamp": "last_edited_time",
            "last_edited_time": {"on_or_after": "2025-03-04T09:13:00Z"},
        }
        assert body["sorts"] == [{"timestamp": "last_edited_time", "direction": "ascending"}]
        assert body["page_size"] == 100
    request = route.calls[0].request
    assert request.headers["Notion-Version"] == "2025-09-03"
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert gateway.stats.requests == 3


def test_query_page_without_since_sends_no_filter(
    gateway: NotionGateway, notion: respx.MockRouter
) -> None:
    route = notion.post(f"/data_sources/{DATA_SOURCE}/query").mock(
        return_value=query_result(["p1"], None)
    )

    page = gateway.query_page(DATA_SOURCE, start_cursor="abc", page_size=10)

    assert page["has_more"] is False
    body = json.loads(route.calls[0].request.content)
    assert "filter" not in body
    assert body["start_cursor"] == "abc"
    assert body["page_size"] == 10


def test_rate_limited_request_waits_retry_after_then_succeeds(
    gateway: NotionGateway, notion: respx.MockRouter, clock: FakeClock
) -> None:
    route = notion.post(f"/data_sources/{DATA_SOURCE}/query").mock(
        side_effect=[
            notion_error(
                429, "rate_limited", "You have been rate limited.", **{"Retry-After": "2"}
            ),
            query_result(["p1"], None),
        ]
    )

    page = gateway.query_page(DATA_SOURCE)

    assert page["results"] == [{"object": "page", "id": "p1"}]
    assert route.call_count == 2
    assert clock.sleeps and clock.sleeps[0] >= 2.0
    assert gateway.stats.rate_limited == 1
    assert gateway.stats.retried == 1
    assert gateway.stats.requests == 2


def test_server_error_on_post_query_is_retried(
    gateway: NotionGateway, notion: respx.MockRouter, clock: FakeClock
) -> None:
    route = notion.post(f"/data_sources/{DATA_SOURCE}/query").mock(
        side_effect=[
            notion_error(500, "internal_server_error", "Unexpected error occurred."),
            query_result(["p1"], None),
        ]
    )

    gateway.query_page(DATA_SOURCE)

    assert route.call_count == 2
    assert len(clock.sleeps) == 1
    assert 0.0 <= clock.sleeps[0] <= 1.0  # full jitter under backoff_base_s * 2**0
    assert gateway.stats.retried == 1
    assert gateway.stats.rate_limited == 0


def test_service_overload_529_is_retried(gateway: NotionGateway, notion: respx.MockRouter) -> None:
    route = notion.get(f"/data_sources/{DATA_SOURCE}").mock(
        side_effect=[
            notion_error(529, "service_overload", "Notion is overloaded.", **{"Retry-After": "1"}),
            httpx.Response(200, json={"object": "data_source", "properties": {}}),
        ]
    )

    assert gateway.retrieve_data_source(DATA_SOURCE)["object"] == "data_source"
    assert route.call_count == 2
    assert gateway.stats.retried == 1


def test_persistent_server_errors_exhaust_retries(
    clock: FakeClock, notion: respx.MockRouter
) -> None:
    route = notion.post(f"/data_sources/{DATA_SOURCE}/query").mock(
        return_value=httpx.Response(502, text="<html>Bad Gateway</html>")
    )
    gateway = NotionGateway(TOKEN, rps=None, max_retries=3, sleep=clock.sleep, clock=clock)

    with pytest.raises(NotionUnavailableError) as raised:
        gateway.query_page(DATA_SOURCE)

    assert route.call_count == 4
    assert gateway.stats.retried == 3
    message = str(raised.value)
    assert "\n" not in message
    assert "HTTP 502" in message
    assert "CONDUCTOR_NOTION_BASE_URL" in message
    assert "try again later" in message
    # exponential ceilings 1, 2, 4 s: each full-jitter wait stays under its own ceiling
    assert all(wait <= 2**i for i, wait in enumerate(clock.sleeps))


def test_bad_token_fails_at_once_naming_the_variable_never_the_token(
    gateway: NotionGateway, notion: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    route = notion.get("/users/me").mock(
        return_value=notion_error(401, "unauthorized", "API token is invalid.")
    )

    with caplog.at_level(logging.DEBUG), pytest.raises(NotionAccessError) as raised:
        gateway.me()

    assert route.call_count == 1
    assert str(raised.value) == "Notion rejected the token (401): check CONDUCTOR_NOTION_TOKEN"
    assert TOKEN not in str(raised.value)
    assert TOKEN not in caplog.text
    assert gateway.stats.retried == 0


def test_unshared_database_says_to_share_it(
    gateway: NotionGateway, notion: respx.MockRouter
) -> None:
    route = notion.get(f"/databases/{DATABASE}").mock(
        return_value=notion_error(
            404, "object_not_found", f"Could not find database with ID: {DATABASE}."
        )
    )

    with pytest.raises(NotionAccessError) as raised:
        gateway.database_data_sources(DATABASE)

    message = str(raised.value)
    assert route.call_count == 1
    assert "not found or not shared (404)" in message
    assert "share the database with the integration" in message
    assert "Connections" in message
    assert "CONDUCTOR_NOTION_TICKETS_DATABASE_ID" in message
    assert DATABASE in message
    assert "\n" not in message


def test_database_data_sources_lists_ids_and_names(
    gateway: NotionGateway, notion: respx.MockRouter
) -> None:
    sources = [{"id": DATA_SOURCE, "name": "Tickets"}]
    notion.get(f"/databases/{DATABASE}").mock(
        return_value=httpx.Response(
            200, json={"object": "database", "id": DATABASE, "data_sources": sources}
        )
    )

    assert gateway.database_data_sources(DATABASE) == sources


def test_validation_error_is_not_retried_and_keeps_notions_message(
    gateway: NotionGateway, notion: respx.MockRouter, clock: FakeClock
) -> None:
    route = notion.post("/pages").mock(
        return_value=notion_error(
            400, "validation_error", "Points is expected to be number.\nGot string."
        )
    )

    with pytest.raises(NotionRequestError) as raised:
        gateway.create_page(DATA_SOURCE, {"Points": {"number": "three"}})

    assert route.call_count == 1
    assert clock.sleeps == []
    assert raised.value.code == "validation_error"
    assert "Points is expected to be number. Got string." in str(raised.value)
    body = json.loads(route.calls[0].request.content)
    assert body["parent"] == {"type": "data_source_id", "data_source_id": DATA_SOURCE}


def test_timeout_is_retried_then_succeeds(gateway: NotionGateway, notion: respx.MockRouter) -> None:
    route = notion.post(f"/data_sources/{DATA_SOURCE}/query").mock(
        side_effect=[httpx.ReadTimeout("read timed out"), query_result(["p1"], None)]
    )

    assert gateway.query_page(DATA_SOURCE)["results"][0]["id"] == "p1"
    assert route.call_count == 2
    assert gateway.stats.retried == 1


def test_connection_errors_exhaust_retries_into_unavailable(
    clock: FakeClock, notion: respx.MockRouter
) -> None:
    notion.get("/users/me").mock(side_effect=httpx.ConnectError("connection refused"))
    gateway = NotionGateway(TOKEN, rps=None, max_retries=2, sleep=clock.sleep, clock=clock)

    with pytest.raises(NotionUnavailableError, match="ConnectError"):
        gateway.me()

    assert gateway.stats.requests == 3


def test_list_users_returns_none_without_user_capability(
    gateway: NotionGateway, notion: respx.MockRouter
) -> None:
    route = notion.get("/users").mock(
        return_value=notion_error(403, "restricted_resource", "Insufficient permissions.")
    )

    assert gateway.list_users() is None
    assert route.call_count == 1


def test_list_users_reads_every_page(gateway: NotionGateway, notion: respx.MockRouter) -> None:
    route = notion.get("/users").mock(
        side_effect=[
            httpx.Response(
                200,
                json={
                    "object": "list",
                    "results": [{"id": "u1"}],
                    "next_cursor": "n1",
                    "has_more": True,
                },
            ),
            httpx.Response(
                200,
                json={
                    "object": "list",
                    "results": [{"id": "u2"}],
                    "next_cursor": None,
                    "has_more": False,
                },
            ),
        ]
    )

    assert [u["id"] for u in gateway.list_users() or []] == ["u1", "u2"]
    assert route.calls[1].request.url.params["start_cursor"] == "n1"


def test_property_items_pages_relations_and_wraps_single_items(
    gateway: NotionGateway, notion: respx.MockRouter
) -> None:
    notion.get(f"/pages/{PAGE}/properties/rel").mock(
        side_effect=[
            httpx.Response(
                200,
                json={
                    "object": "list",
                    "results": [{"object": "property_item", "relation": {"id": "a"}}],
                    "next_cursor": "r1",
                    "has_more": True,
                },
            ),
            httpx.Response(
                200,
                json={
                    "object": "list",
                    "results": [{"object": "property_item", "relation": {"id": "b"}}],
                    "next_cursor": None,
                    "has_more": False,
                },
            ),
        ]
    )
    notion.get(f"/pages/{PAGE}/properties/pts").mock(
        return_value=httpx.Response(200, json={"object": "property_item", "number": 3})
    )

    assert [i["relation"]["id"] for i in gateway.property_items(PAGE, "rel")] == ["a", "b"]
    assert gateway.property_items(PAGE, "pts") == [{"object": "property_item", "number": 3}]


def test_limiter_spaces_requests_to_the_average_rate(clock: FakeClock) -> None:
    limiter = RateLimiter(3.0, burst=1, clock=clock, sleep=clock.sleep)

    for _ in range(10):
        limiter.acquire()

    assert clock.elapsed == pytest.approx(3.0)


def test_limiter_burst_is_free_and_idle_time_refills_it(clock: FakeClock) -> None:
    limiter = RateLimiter(3.0, burst=3, clock=clock, sleep=clock.sleep)

    for _ in range(3):
        limiter.acquire()
    assert clock.elapsed == 0.0
    clock.now += 10.0  # idle: the bucket refills, but never beyond `burst`
    for _ in range(4):
        limiter.acquire()

    assert clock.elapsed == pytest.approx(1 / 3)


def test_disabled_limiter_never_waits(clock: FakeClock) -> None:
    limiter = RateLimiter(None, clock=clock, sleep=clock.sleep)

    for _ in range(10):
        limiter.acquire()

    assert clock.sleeps == []


def test_every_request_passes_the_limiter_and_the_cross_process_hook(
    clock: FakeClock, notion: respx.MockRouter
) -> None:
    notion.get("/users/me").mock(return_value=httpx.Response(200, json={"object": "user"}))
    hook_calls: list[float] = []
    gateway = NotionGateway(
        TOKEN,
        rps=2.0,
        sleep=clock.sleep,
        clock=clock,
        before_request=lambda: hook_calls.append(clock()),
    )

    for _ in range(5):
        gateway.me()

    assert len(hook_calls) == 5
    assert clock.elapsed == pytest.approx(1.5)  # default burst of 2, then three at 0.5 s intervals


def test_base_url_override_is_used(clock: FakeClock) -> None:
    with respx.mock(base_url="http://127.0.0.1:8765/v1", assert_all_called=False) as router:
        route = router.get("/users/me").mock(
            return_value=httpx.Response(200, json={"object": "user", "id": "bot"})
        )
        gateway = NotionGateway(TOKEN, "http://127.0.0.1:8765/", rps=None, sleep=clock.sleep)

        assert gateway.me()["id"] == "bot"

    assert route.call_count == 1


def test_from_settings_reads_token_base_url_and_rate() -> None:
    settings = load_settings(
        notion_token=TOKEN, notion_base_url="http://localhost:9000", notion_rate_limit_rps=5
    )

    with NotionGateway.from_settings(settings) as gateway:
        assert gateway.base_url == "http://localhost:9000"
        assert gateway.limiter.rps == 5


def test_from_settings_without_token_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="CONDUCTOR_NOTION_TOKEN"):
        NotionGateway.from_settings(load_settings())
