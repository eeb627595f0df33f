"""The assistant endpoints: `/search`, `/ai/chat` with `/chat/threads`, `/ai/embedding`, and the
422 that names the offending field."""

from __future__ import annotations

import json

import httpx
import pytest
import respx
from fastapi.testclient import TestClient

from api import create_app
from models.settings import Settings
from tests.api.conftest import AUTH

EMBEDDINGS = "http://llm.test/v1/embeddings"


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
