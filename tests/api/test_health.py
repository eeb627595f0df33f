"""`GET /health` and the checks behind it (shared with `conductor doctor`), including the models
an Ollama endpoint serves."""

from __future__ import annotations

import httpx
import respx
from fastapi.testclient import TestClient

from models.settings import load_settings
from tasks.health import check_llm
from tests.api.conftest import AUTH, TOKEN


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
