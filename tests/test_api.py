"""The agent HTTP API through FastAPI's TestClient: auth, every endpoint's JSON shape, 422s,
start-up refusals; plus `conductor doctor` listing the models an Ollama endpoint serves."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date

import httpx
import pytest
import respx
from fastapi.testclient import TestClient
from sqlmodel import Session

from models import Summary
from models.db import get_engine
from models.settings import ConfigError, Settings, load_settings
from tasks.assistant.api import check_bind, create_app
from tasks.health import check_llm
from tasks.notion.client import NotionGateway
from tasks.notion.sample_workspace import build_sample_workspace
from tasks.notion.sandbox import Sandbox, start_sandbox
from tasks.notion.sync import run_sync
from tests.factories import SAMPLE_TODAY, TICKET_JSON_KEYS

TOKEN = "api-token-0123456789-SECRET"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
EMBEDDINGS = "http://llm.test/v1/embeddings"
TICKET_KEYS = set(TICKET_JSON_KEYS)


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with start_sandbox(build_sample_workspace(SAMPLE_TODAY, n_tickets=150)) as server:
        yield server


@pytest.fixture
def settings(sandbox: Sandbox, db_url: str) -> Settings:
    values = load_settings(
        notion_token=sandbox.token,
        notion_base_url=sandbox.base_url,
        notion_tickets_database_id=sandbox.tickets_database_id,
        notion_sprints_database_id=sandbox.sprints_database_id,
        database_url=db_url,
        api_token=TOKEN,
    )
    with (
        Session(get_engine(db_url)) as session,
        NotionGateway.from_settings(values, rps=None) as notion,
    ):
        run_sync(session, notion, values)
    return values


@pytest.fixture
def client(settings: Settings) -> TestClient:
    return TestClient(create_app(settings))


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/health"),
        ("GET", "/sprint/current"),
        ("GET", "/users"),
        ("GET", "/tickets"),
        ("GET", "/summaries/latest"),
        ("GET", "/search?q=login"),
        ("POST", "/ai/chat"),
        ("POST", "/ai/embedding"),
        ("GET", "/chat/threads"),
        ("POST", "/chat/threads"),
        ("DELETE", "/chat/threads/x"),
    ],
)
def test_every_endpoint_requires_the_bearer_token(
    client: TestClient, method: str, path: str
) -> None:
    missing = client.request(method, path)
    wrong = client.request(method, path, headers={"Authorization": "Bearer nope"})
    basic = client.request(method, path, headers={"Authorization": f"Basic {TOKEN}"})
    for response in (missing, wrong, basic):
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert "CONDUCTOR_API_TOKEN" in response.json()["detail"]


def test_read_endpoints_return_the_design_shapes(client: TestClient, sandbox: Sandbox) -> None:
    ws = sandbox.workspace
    users = client.get("/users", headers=AUTH).json()
    assert {u["id"] for u in users} >= {p.id for p in ws.people}
    assert set(users[0]) == {"id", "name", "email", "type"}

    tickets = client.get("/tickets", headers=AUTH).json()
    assert len(tickets) == len(ws.tickets())
    assert set(tickets[0]) == TICKET_KEYS

    current = client.get("/tickets", params={"sprint": "current"}, headers=AUTH).json()
    assert current and all(t["sprint_id"] == ws.current_sprint().id for t in current)
    blocked = client.get("/tickets", params={"status": "Blocked"}, headers=AUTH).json()
    assert blocked and all(t["status"] == "Blocked" for t in blocked)
    priya = next(p for p in ws.people if p.name == "Priya Raman")
    hers = client.get("/tickets", params={"assignee": "priya"}, headers=AUTH).json()
    assert hers and all(priya.id in t["assignee_ids"] for t in hers)
    by_email = client.get("/tickets", params={"assignee": priya.email}, headers=AUTH).json()
    assert by_email == hers
    nobody = client.get("/tickets", params={"assignee": "Nobody"}, headers=AUTH)
    assert nobody.status_code == 404
    unknown_sprint = client.get("/tickets", params={"sprint": "Sprint 9999"}, headers=AUTH)
    assert unknown_sprint.status_code == 404
    assert "no sprint named" in unknown_sprint.json()["detail"]

    sprint = client.get("/sprint/current", headers=AUTH).json()
    assert set(sprint) >= {"sprint", "metrics", "by_status", "by_assignee", "burndown", "blocked"}
    assert sprint["sprint"]["id"] == ws.current_sprint().id
    assert set(sprint["metrics"]) >= {
        "scope_points",
        "committed_points",
        "completed_points",
        "remaining_points",
        "completion_pct",
        "forecast",
        "blocked_count",
    }


def test_latest_summary_is_404_until_one_exists(client: TestClient, settings: Settings) -> None:
    missing = client.get("/summaries/latest", headers=AUTH)
    assert missing.status_code == 404 and "conductor summary" in missing.json()["detail"]
    with Session(get_engine(settings.database_url)) as session:
        session.add(Summary(day=date(2026, 1, 5), text="old", generated_by="template"))
        session.add(
            Summary(
                day=date(2026, 1, 6),
                text="Sprint on track.",
                generated_by="openai/gpt-4o-mini",
                facts={"done": 3},
                prompt_tokens=120,
                completion_tokens=30,
                cost_usd=0.0004,
            )
        )
        session.commit()
    latest = client.get("/summaries/latest", headers=AUTH).json()
    assert latest == {
        "date": "2026-01-06",
        "text": "Sprint on track.",
        "generated_by": "openai/gpt-4o-mini",
        "facts": {"done": 3},
        "prompt_tokens": 120,
        "completion_tokens": 30,
        "cost_usd": 0.0004,
        "cached": False,
    }


def test_search_returns_mode_and_results(client: TestClient) -> None:
    body = client.get("/search", params={"q": "SSO login", "limit": 3}, headers=AUTH).json()
    assert body["mode"] == "full_text"
    assert 0 < len(body["results"]) <= 3
    assert set(body["results"][0]) == {"key", "title", "status", "url", "score"}
    assert "sso" in body["results"][0]["title"].lower()


def test_chat_and_threads(client: TestClient) -> None:
    created = client.post("/chat/threads", json={"title": "Release"}, headers=AUTH)
    assert created.status_code == 201
    thread = created.json()
    assert thread["title"] == "Release" and thread["message_count"] == 0

    answer = client.post(
        "/ai/chat",
        json={"message": "what is blocked?", "thread_id": thread["id"]},
        headers=AUTH,
    )
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {
        "thread_id",
        "answer",
        "citations",
        "unverified_citations",
        "generated_by",
        "search_mode",
        "sources",
        "cost_usd",
    }
    assert body["thread_id"] == thread["id"]
    assert "no language model is configured" in body["answer"]

    fresh = client.post("/ai/chat", json={"message": "SSO login"}, headers=AUTH).json()
    assert fresh["thread_id"] != thread["id"]

    listed = client.get("/chat/threads", headers=AUTH).json()
    assert {t["id"] for t in listed} == {thread["id"], fresh["thread_id"]}
    one = client.get(f"/chat/threads/{thread['id']}", headers=AUTH).json()
    assert [m["role"] for m in one["messages"]] == ["user", "assistant"]
    assert one["messages"][0]["content"] == "what is blocked?"

    assert client.delete(f"/chat/threads/{thread['id']}", headers=AUTH).status_code == 204
    assert client.get(f"/chat/threads/{thread['id']}", headers=AUTH).status_code == 404
    assert client.delete(f"/chat/threads/{thread['id']}", headers=AUTH).status_code == 404
    unknown = client.post("/ai/chat", json={"message": "hi", "thread_id": "nope"}, headers=AUTH)
    assert unknown.status_code == 404 and "no chat thread" in unknown.json()["detail"]


@pytest.mark.parametrize(
    ("method", "path", "payload", "expected"),
    [
        ("GET", "/search", None, "query.q: Field required"),
        ("GET", "/search?q=", None, "query.q: String should have at least 1 character"),
        ("GET", "/search?q=x&limit=0", None, "query.limit: Input should be greater than"),
        ("POST", "/ai/chat", {}, "body.message: Field required"),
        ("POST", "/ai/chat", {"message": ""}, "body.message: String should have at least"),
        ("POST", "/ai/chat", {"message": "   "}, "body.message: Value error, must not be blank"),
        ("POST", "/ai/chat", {"message": 42}, "body.message: Input should be a valid string"),
        ("POST", "/ai/embedding", {"input": []}, "body.input: List should have at least 1"),
        ("POST", "/chat/threads", {"title": 5}, "body.title: Input should be a valid string"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(
    client: TestClient, method: str, path: str, payload: dict | None, expected: str
) -> None:
    response = client.request(method, path, json=payload, headers=AUTH)
    assert response.status_code == 422
    assert response.json()["message"].startswith(expected)
    assert isinstance(response.json()["detail"], list)


def test_embedding_endpoint(client: TestClient, settings: Settings) -> None:
    unconfigured = client.post("/ai/embedding", json={"input": ["hello"]}, headers=AUTH)
    assert unconfigured.status_code == 503
    assert "CONDUCTOR_EMBEDDING_MODEL" in unconfigured.json()["detail"]

    configured = settings.model_copy(
        update={
            "embedding_model": "openai/text-embedding-3-small",
            "llm_api_base": "http://llm.test/v1",
        }
    )
    with respx.mock(assert_all_called=False) as router:
        router.post(EMBEDDINGS).mock(
            side_effect=lambda request: httpx.Response(
                200,
                json={
                    "object": "list",
                    "data": [
                        {"object": "embedding", "index": i, "embedding": [1.0, 0.0, float(i)]}
                        for i, _ in enumerate(json.loads(request.content)["input"])
                    ],
                    "model": "text-embedding-3-small",
                    "usage": {"prompt_tokens": 4, "total_tokens": 4},
                },
            )
        )
        router.route().pass_through()
        body = (
            TestClient(create_app(configured))
            .post("/ai/embedding", json={"input": ["a", "b"]}, headers=AUTH)
            .json()
        )
    assert body["model"] == "openai/text-embedding-3-small"
    assert body["dims"] == 3
    assert body["embeddings"] == [[1.0, 0.0, 0.0], [1.0, 0.0, 1.0]]


def test_health_lists_every_check(client: TestClient) -> None:
    response = client.get("/health", headers=AUTH)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] in {"ok", "degraded"}
    assert [c["name"] for c in body["checks"]] == [
        "database",
        "redis",
        "notion",
        "llm",
        "smtp",
        "prefect",
    ]
    assert {c["name"]: c["state"] for c in body["checks"]}["notion"] == "ok"
    assert TOKEN not in response.text


def test_openapi_docs_are_served_without_the_token(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    assert "HTTPBearer" in spec["components"]["securitySchemes"]
    assert {"/search", "/ai/chat", "/chat/threads/{thread_id}"} <= set(spec["paths"])


def test_refuses_to_start_without_a_token() -> None:
    no_token = load_settings()
    with pytest.raises(ConfigError, match="CONDUCTOR_API_TOKEN"):
        create_app(no_token)
    with pytest.raises(ConfigError, match="CONDUCTOR_API_TOKEN"):
        check_bind("127.0.0.1", require_auth=True, settings=no_token)


def test_no_auth_only_on_loopback(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'x.db'}")
    for host in ("127.0.0.1", "::1", "localhost", "127.0.0.2"):
        check_bind(host, require_auth=False, settings=settings)
    for host in ("0.0.0.0", "192.168.1.10", "::", "example.com"):
        with pytest.raises(ConfigError, match="loopback"):
            check_bind(host, require_auth=False, settings=settings)
    client = TestClient(create_app(settings, require_auth=False))
    assert client.get("/users").status_code == 200


def test_doctor_lists_the_models_an_ollama_endpoint_serves() -> None:
    settings = load_settings(llm_model="ollama/llama3.1", llm_api_base="http://ollama.test:11434")
    with respx.mock(assert_all_called=True) as router:
        router.get("http://ollama.test:11434/api/tags").mock(
            return_value=httpx.Response(
                200,
                json={"models": [{"name": "llama3.1:latest"}, {"name": "nomic-embed-text:latest"}]},
            )
        )
        check = check_llm(settings)
    assert check.state == "ok"
    assert "serves: llama3.1:latest, nomic-embed-text:latest" in check.detail
