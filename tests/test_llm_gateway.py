"""The LLM gateway over the real LiteLLM call path, against an OpenAI-compatible endpoint mocked
with respx: fallbacks, retries, auth errors, costs, caches and secret hygiene."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator

import httpx
import pytest
from sqlmodel import Session, select

from models.db import get_engine
from models.settings import get_settings, reload_settings
from models.summaries import LlmCall
from tasks.llm import cache as llm_cache
from tasks.llm import gateway
from tasks.llm.gateway import LlmAuthError, LlmUnavailableError, complete, count_tokens
from tests.llm_stub import API_BASE, API_KEY, chat_response, error_response, mocked_llm


@pytest.fixture
def llm_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """An OpenAI-compatible model configured; retries wait for nothing. Yields the waits."""
    monkeypatch.setenv("CONDUCTOR_LLM_MODEL", "openai/gpt-4o-mini")
    monkeypatch.setenv("CONDUCTOR_LLM_API_BASE", API_BASE)
    monkeypatch.setenv("CONDUCTOR_LLM_API_KEY", API_KEY)
    reload_settings()
    waits: list[float] = []
    monkeypatch.setattr(gateway, "sleep", waits.append)
    llm_cache.reset_llm_cache()
    yield waits
    llm_cache.reset_llm_cache()


def unique_messages() -> list[dict[str, str]]:
    """A request no earlier test can have cached."""
    return [{"role": "user", "content": f"Say hello ({uuid.uuid4().hex})"}]


def llm_calls(db_url: str) -> list[LlmCall]:
    with Session(get_engine(db_url)) as session:
        return list(session.exec(select(LlmCall).order_by(LlmCall.id)).all())


def test_successful_call_records_tokens_and_cost(llm_env: list[float], db_url: str) -> None:
    with mocked_llm(chat_response("Hello!", 100, 20)) as route, Session(get_engine(db_url)) as s:
        result = complete(unique_messages(), purpose="test", settings=get_settings(), session=s)
        s.commit()
    assert route.call_count == 1
    sent = json.loads(route.calls[0].request.content)
    assert sent["model"] == "gpt-4o-mini"
    assert route.calls[0].request.headers["authorization"] == f"Bearer {API_KEY}"
    assert (result.text, result.prompt_tokens, result.completion_tokens) == ("Hello!", 100, 20)
    # gpt-4o-mini: $0.15 per 1M input tokens, $0.60 per 1M output tokens.
    assert result.cost_usd == pytest.approx(100 * 0.15e-6 + 20 * 0.60e-6)
    [call] = llm_calls(db_url)
    assert (call.purpose, call.model, call.prompt_tokens, call.completion_tokens) == (
        "test",
        "openai/gpt-4o-mini",
        100,
        20,
    )
    assert call.cost_usd == pytest.approx(2.7e-5)
    assert call.cache_hit is False
    assert call.error is None


def test_rate_limited_call_is_retried_after_a_backoff(llm_env: list[float], db_url: str) -> None:
    with (
        mocked_llm(error_response(429, "Rate limit reached"), chat_response("ok")) as route,
        Session(get_engine(db_url)) as session,
    ):
        result = complete(
            unique_messages(), purpose="test", settings=get_settings(), session=session
        )
        session.commit()
    assert result.text == "ok"
    assert route.call_count == 2
    assert llm_env == [gateway.RETRY_DELAYS_S[0]]
    failed, succeeded = llm_calls(db_url)
    assert "RateLimitError" in (failed.error or "")
    assert succeeded.error is None


def test_server_errors_exhaust_retries_then_the_fallback_model_answers(
    llm_env: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONDUCTOR_LLM_FALLBACK_MODELS", "openai/gpt-4o")
    reload_settings()

    def by_model(request: httpx.Request) -> httpx.Response:
        if json.loads(request.content)["model"] == "gpt-4o-mini":
            return error_response(500, "internal error")
        return chat_response("from the fallback")

    with mocked_llm(by_model) as route:
        result = complete(unique_messages(), purpose="test", settings=get_settings())
    models = [json.loads(call.request.content)["model"] for call in route.calls]
    assert models == ["gpt-4o-mini"] * gateway.ATTEMPTS_PER_MODEL + ["gpt-4o"]
    assert (result.model, result.text) == ("openai/gpt-4o", "from the fallback")


def test_every_model_failing_raises_unavailable(llm_env: list[float]) -> None:
    with (
        mocked_llm(lambda request: error_response(503, "overloaded")) as route,
        pytest.raises(LlmUnavailableError, match="every configured LLM failed") as raised,
    ):
        complete(unique_messages(), purpose="test", settings=get_settings())
    assert not isinstance(raised.value, LlmAuthError)
    assert route.call_count == gateway.ATTEMPTS_PER_MODEL
    assert len(llm_env) == gateway.ATTEMPTS_PER_MODEL - 1


def test_auth_error_is_not_retried_and_logged_as_one_line_without_the_key(
    llm_env: list[float], db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="LiteLLM")
    echo = f"Incorrect API key provided: {API_KEY}. You can find your API key at ..."
    with (
        mocked_llm(error_response(401, echo)) as route,
        Session(get_engine(db_url)) as session,
    ):
        with pytest.raises(LlmAuthError, match="CONDUCTOR_LLM_API_KEY"):
            complete(unique_messages(), purpose="test", settings=get_settings(), session=session)
        session.commit()
    assert route.call_count == 1
    auth_lines = [r for r in caplog.records if "CONDUCTOR_LLM_API_KEY" in r.getMessage()]
    assert len(auth_lines) == 1
    assert "\n" not in auth_lines[0].getMessage()
    for record in caplog.records:
        assert API_KEY not in record.getMessage()
    [call] = llm_calls(db_url)
    assert "AuthenticationError" in (call.error or "")
    assert API_KEY not in (call.error or "")


def test_openais_masked_echo_of_a_rejected_key_is_not_stored_or_logged(
    llm_env: list[float], db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """OpenAI echoes a wrong key masked, first and last characters kept; those characters
    must not reach `LlmCall.error` or our log lines (LiteLLM's own DEBUG lines are LiteLLM's)."""
    caplog.set_level(logging.DEBUG)
    echo = (
        "Incorrect API key provided: sk-LEAKC***********_222. "
        "You can find your API key at https://platform.openai.com/account/api-keys."
    )
    with (
        mocked_llm(error_response(401, echo)),
        Session(get_engine(db_url)) as session,
    ):
        with pytest.raises(LlmAuthError):
            complete(unique_messages(), purpose="test", settings=get_settings(), session=session)
        session.commit()
    [call] = llm_calls(db_url)
    assert "Incorrect API key provided: **********." in (call.error or "")
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("tasks.")]
    assert ours, "the gateway logged nothing about the failure"
    for text in [call.error or "", *ours]:
        assert "LEAKC" not in text and "_222" not in text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Incorrect API key provided: sk-LEAKC***********_222. You can find your API key",
            "Incorrect API key provided: **********. You can find your API key",
        ),
        (
            "{'message': 'Incorrect API key provided: sk-other-unmasked-key.', 'code': 401}",
            "{'message': 'Incorrect API key provided: **********.', 'code': 401}",
        ),
        ("key sk-proj-****************wxyz was rejected", "key ********** was rejected"),
        ("sent sk-test-0123456789abcdef-SECRET", "sent **********"),
        ("2**3 = 8, a*b", "2**3 = 8, a*b"),
    ],
)
def test_redaction_removes_keys_and_masked_echoes(text: str, expected: str) -> None:
    assert gateway._redact(text, API_KEY) == expected


@pytest.mark.parametrize("status", [400, 404])
def test_bad_request_and_not_found_are_not_retried(llm_env: list[float], status: int) -> None:
    with (
        mocked_llm(lambda request: error_response(status, "nope")) as route,
        pytest.raises(LlmUnavailableError),
    ):
        complete(unique_messages(), purpose="test", settings=get_settings())
    assert route.call_count == 1
    assert llm_env == []


def test_no_model_configured_raises_unavailable_without_any_request() -> None:
    with (
        mocked_llm(chat_response("never")) as route,
        pytest.raises(LlmUnavailableError, match="CONDUCTOR_LLM_MODEL"),
    ):
        complete(unique_messages(), purpose="test", settings=get_settings())
    assert route.call_count == 0


def test_identical_request_is_served_from_the_local_file_cache(
    llm_env: list[float], db_url: str
) -> None:
    messages = unique_messages()
    with mocked_llm(chat_response("cached answer")) as route, Session(get_engine(db_url)) as s:
        first = complete(messages, purpose="test", settings=get_settings(), session=s)
        second = complete(messages, purpose="test", settings=get_settings(), session=s)
        s.commit()
    assert llm_cache.configure_llm_cache(get_settings()) == "disk"
    assert any((get_settings().home / "llm-cache").iterdir())
    assert route.call_count == 1
    assert (first.cached, second.cached) == (False, True)
    assert second.text == "cached answer"
    assert second.cost_usd == 0.0
    assert [(c.cache_hit, c.cost_usd > 0) for c in llm_calls(db_url)] == [
        (False, True),
        (True, False),
    ]


def test_identical_request_is_served_from_redis(
    llm_env: list[float], redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import redis

    monkeypatch.setenv("CONDUCTOR_REDIS_URL", redis_url)
    reload_settings()
    messages = unique_messages()
    client = redis.Redis.from_url(redis_url)
    before = set(client.scan_iter(f"{llm_cache.REDIS_NAMESPACE}*"))
    try:
        with mocked_llm(chat_response("from redis")) as route:
            first = complete(messages, purpose="test", settings=get_settings())
            second = complete(messages, purpose="test", settings=get_settings())
        assert llm_cache.configure_llm_cache(get_settings()) == "redis"
        assert route.call_count == 1
        assert (first.cached, second.cached, second.text) == (False, True, "from redis")
        assert set(client.scan_iter(f"{llm_cache.REDIS_NAMESPACE}*")) - before
        assert not (get_settings().home / "llm-cache").exists()
    finally:
        for key in set(client.scan_iter(f"{llm_cache.REDIS_NAMESPACE}*")) - before:
            client.delete(key)
        client.close()


def test_unreachable_redis_warns_once_and_caches_on_disk(
    llm_env: list[float], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("CONDUCTOR_REDIS_URL", "redis://127.0.0.1:1/0")
    reload_settings()
    with caplog.at_level(logging.WARNING, logger="tasks.llm.cache"):
        assert llm_cache.configure_llm_cache(get_settings()) == "disk"
        assert llm_cache.configure_llm_cache(get_settings()) == "disk"
    warnings = [r for r in caplog.records if "unreachable" in r.getMessage()]
    assert len(warnings) == 1


def test_count_tokens_works_without_a_configured_model() -> None:
    assert count_tokens(" ".join(["hello world"] * 50)) == 100
    assert count_tokens([{"role": "user", "content": "hello"}], "openai/gpt-4o-mini") > 1
