"""The API's defences beyond the bearer token: loopback-only hosts and origins without auth (DNS
rebinding, cross-site forms), JSON-only bodies, the body size limit, NUL characters refused
before any work, unusable tokens refused at start-up, and Swagger UI served locally."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlmodel import Session, func, select

from api import check_bind, create_app
from api.guards import MAX_BODY_BYTES, RequestGuard
from models.db import get_engine
from models.settings import ConfigError, Settings
from models.summaries import LlmCall
from tests.api.conftest import AUTH
from tests.llm_stub import API_BASE, API_KEY, chat_response, mocked_llm

LOOPBACK = "http://127.0.0.1:8000"


@pytest.fixture
def open_client(settings: Settings) -> TestClient:
    """The app as `conductor api --no-auth` serves it, reached at 127.0.0.1:8000."""
    return TestClient(create_app(settings, require_auth=False), base_url=LOOPBACK)


# --- without auth: only loopback hosts, no cross-site requests ---------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1:8000", "localhost:8000", "[::1]:8000", "localhost"])
def test_without_auth_loopback_hosts_are_served(open_client: TestClient, host: str) -> None:
    assert open_client.get("/users", headers={"Host": host}).status_code == 200


@pytest.mark.parametrize("host", ["evil.example:8000", "evil.example", "127.0.0.1.nip.io", ""])
def test_without_auth_a_rebound_host_cannot_read_the_people(
    open_client: TestClient, host: str
) -> None:
    response = open_client.get("/users", headers={"Host": host})
    assert response.status_code == 400
    assert "loopback" in response.json()["detail"]
    assert "@" not in response.text  # no email address came back


def test_without_auth_a_cross_site_form_post_creates_no_thread(open_client: TestClient) -> None:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    attempts = [
        open_client.post("/chat/threads", content=b"", headers=form),
        open_client.post("/chat/threads", content=b"title=x", headers=form),
        open_client.post(
            "/chat/threads", content=b"", headers={**form, "Origin": "https://evil.example"}
        ),
        open_client.post("/chat/threads", json={}, headers={"Origin": "https://evil.example"}),
        open_client.post("/chat/threads", json={}, headers={"Origin": "null"}),
        open_client.post("/chat/threads", json={}, headers={"Sec-Fetch-Site": "cross-site"}),
        open_client.post("/ai/embedding/tickets", headers={"Origin": "https://evil.example"}),
    ]
    assert [r.status_code for r in attempts] == [415, 415, 403, 403, 403, 403, 403]
    assert open_client.get("/chat/threads").json() == []


def test_without_auth_same_origin_json_posts_work(open_client: TestClient) -> None:
    same_origin = {"Origin": LOOPBACK, "Sec-Fetch-Site": "same-origin"}
    created = open_client.post("/chat/threads", json={"title": "t"}, headers=same_origin)
    assert created.status_code == 201
    assert open_client.post("/chat/threads").status_code == 201  # curl: no body, no headers
    assert len(open_client.get("/chat/threads").json()) == 2


def test_with_auth_a_form_body_is_refused_too(client: TestClient) -> None:
    response = client.post(
        "/chat/threads",
        content=b"title=x",
        headers={**AUTH, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 415
    assert "application/json" in response.json()["detail"]
    assert client.get("/chat/threads", headers=AUTH).json() == []


# --- body size ---------------------------------------------------------------------------------


def _guarded(headers: list[tuple[bytes, bytes]]) -> tuple[int, int, bool]:
    """Send a POST of endless 64 KiB chunks through `RequestGuard`: (status, chunks read,
    whether the app was reached)."""
    reached_app: list[bool] = []
    received: list[int] = []
    sent: list[dict[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        reached_app.append(True)

    async def receive() -> dict[str, Any]:
        received.append(1)
        return {"type": "http.request", "body": b" " * 65_536, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/ai/chat",
        "headers": [
            (b"host", b"127.0.0.1:8000"),
            (b"content-type", b"application/json"),
            *headers,
        ],
    }
    asyncio.run(RequestGuard(app, loopback_only=True)(scope, receive, send))
    return sent[0]["status"], len(received), bool(reached_app)


def test_a_declared_body_over_the_limit_is_refused_before_it_is_read() -> None:
    ten_megabytes = str(10 * 1024 * 1024).encode()
    assert _guarded([(b"content-length", ten_megabytes)]) == (413, 0, False)


def test_a_streamed_body_is_read_only_until_it_passes_the_limit() -> None:
    status, chunks_read, reached_app = _guarded([(b"transfer-encoding", b"chunked")])
    assert (status, reached_app) == (413, False)
    assert chunks_read == MAX_BODY_BYTES // 65_536 + 1


def test_an_oversized_body_is_a_413_through_the_whole_app(client: TestClient) -> None:
    response = client.post(
        "/ai/chat",
        content=b'{"message": "' + b"x" * MAX_BODY_BYTES + b'"}',
        headers={**AUTH, "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert f"{MAX_BODY_BYTES:,} bytes" in response.json()["detail"]


def test_the_largest_valid_request_fits_the_limit(client: TestClient) -> None:
    body = {"input": ["word " * 1_600] * 64}  # 64 texts of 8,000 characters
    response = client.post("/ai/embedding", json=body, headers=AUTH)
    assert response.status_code == 503  # got through to the route: no embedding model set
    assert "CONDUCTOR_EMBEDDING_MODEL" in response.json()["detail"]


# --- NUL characters ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url", "body", "where"),
    [
        ("GET", "/tickets?status=Do%00ne", None, "query.status"),
        ("GET", "/search?q=log%00in", None, "query.q"),
        ("GET", "/tickets?sta%00tus=Done", None, "query.sta\\0tus"),
        ("GET", "/chat/threads/ab%00cd", None, "path.thread_id"),
        ("POST", "/chat/threads", {"title": "a\x00b"}, "body.title"),
        ("POST", "/ai/embedding", {"input": ["ok", "n\x00ul"]}, "body.input.1"),
    ],
)
def test_nul_characters_are_a_422_naming_the_field(
    client: TestClient, method: str, url: str, body: Any, where: str
) -> None:
    response = client.request(method, url, json=body, headers=AUTH)
    assert response.status_code == 422
    assert response.json()["message"] == f"{where}: must not contain NUL characters"


def test_a_nul_in_a_chat_message_is_refused_before_the_model_is_called(
    settings: Settings, db_url: str
) -> None:
    with_model = settings.model_copy(
        update={
            "llm_model": "openai/gpt-4o-mini",
            "llm_api_base": API_BASE,
            "llm_api_key": SecretStr(API_KEY),
        }
    )
    client = TestClient(create_app(with_model))
    with mocked_llm(chat_response("ENG-1 is blocked.")) as route:
        response = client.post("/ai/chat", json={"message": "what\x00 is blocked?"}, headers=AUTH)
    assert response.status_code == 422
    assert response.json()["message"] == "body.message: must not contain NUL characters"
    assert route.call_count == 0
    with Session(get_engine(db_url)) as session:
        assert session.exec(select(func.count()).select_from(LlmCall)).one() == 0
    assert client.get("/chat/threads", headers=AUTH).json() == []


def test_an_escaped_backslash_before_u0000_is_not_a_nul(client: TestClient) -> None:
    response = client.post(
        "/chat/threads",
        content=b'{"title": "C:\\\\u0000 path"}',
        headers={**AUTH, "Content-Type": "application/json"},
    )
    assert response.status_code == 201
    assert response.json()["title"] == "C:\\u0000 path"


def test_nul_characters_without_the_token_are_still_a_401(client: TestClient) -> None:
    assert client.get("/search?q=%00").status_code == 401


# --- the token checked at start-up -------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "problem"),
    [
        ("   ", "is blank"),
        ("\t\n", "is blank"),
        ("hunter2", "is 7 characters long, under 16"),
        (" padded-0123456789abcdef ", "starts or ends with whitespace"),
    ],
)
def test_unusable_tokens_are_refused_with_one_line_naming_the_fix(
    settings: Settings, token: str, problem: str
) -> None:
    unusable = settings.model_copy(update={"api_token": SecretStr(token)})
    for start in (
        lambda: create_app(unusable),
        lambda: check_bind("127.0.0.1", require_auth=True, settings=unusable),
    ):
        with pytest.raises(ConfigError) as refused:
            start()
        message = str(refused.value)
        assert message.startswith(f"CONDUCTOR_API_TOKEN {problem}: set it to a long random")
        assert "token_urlsafe" in message and "\n" not in message


# --- /docs from local files --------------------------------------------------------------------


def test_docs_load_swagger_ui_from_this_server_only(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(source.startswith("/docs/assets/") for source in sources)
    assert "cdn." not in page.text
    for source in sources:
        asset = client.get(source)
        assert asset.status_code == 200 and len(asset.content) > 1_000
    script = client.get("/docs/assets/swagger-ui-bundle.js")
    assert script.headers["content-type"].startswith("text/javascript")
    assert b"SwaggerUIBundle" in script.content
    assert client.get("/docs/assets/../../pyproject.toml").status_code == 404
    assert client.get("/redoc").status_code == 404
