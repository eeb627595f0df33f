"""Bearer-token auth on every endpoint, the public OpenAPI docs, and the start-up refusals
(no token; `--no-auth` off loopback)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api import check_bind, create_app
from models.settings import ConfigError, load_settings
from tests.api.conftest import TOKEN


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


def test_openapi_docs_are_served_without_the_token(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    assert client.get("/docs/assets/swagger-ui-bundle.js").status_code == 200
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
    client = TestClient(create_app(settings, require_auth=False), base_url="http://127.0.0.1:8000")
    assert client.get("/users").status_code == 200
