"""Prefect's task cache in Redis (CONDUCTOR_REDIS_URL) and its fallback to local files.

Runs against the real Redis on 127.0.0.1:6379 (Redis locks are Lua scripts, which fakeredis
does not run). Every key written goes under a namespace unique to the test and is deleted
afterwards, with their locks and the LLM responses cached on the way.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from prefect import task
from prefect.cache_policies import CacheKeyFnPolicy
from prefect.settings import get_current_settings
from sqlmodel import Session

from models.db import get_engine
from models.settings import get_settings, redact_url, reload_settings
from tasks import caching
from tasks.llm import cache as llm_cache
from tasks.llm import gateway
from tests.llm_stub import API_BASE, API_KEY, chat_response, mocked_llm
from tests.test_daily_summary import DAY, seed_team_day
from tests.test_metrics import S1, TODAY, build_history

UNREACHABLE_WITH_PASSWORD = "redis://:dummy-s3cret-pw@127.0.0.1:9/0"
#: The test Redis has no password; Redis accepts any for the `default` user then, so a URL
#: carrying one works and shows where the password would end up.
REDIS_PASSWORD = "redis-pw-S3CRET-4711"

sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@pytest.fixture(autouse=True)
def _fresh_cache_state() -> Iterator[None]:
    caching.reset_shared_cache()
    llm_cache.reset_llm_cache()
    yield
    caching.reset_shared_cache()
    llm_cache.reset_llm_cache()


@pytest.fixture
def llm_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONDUCTOR_LLM_MODEL", "openai/gpt-4o-mini")
    monkeypatch.setenv("CONDUCTOR_LLM_API_BASE", API_BASE)
    monkeypatch.setenv("CONDUCTOR_LLM_API_KEY", API_KEY)
    monkeypatch.setattr(gateway, "sleep", lambda seconds: None)
    reload_settings()


@pytest.fixture
def shared_redis(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """CONDUCTOR_REDIS_URL at the real Redis, with this test's own key namespaces; yields a
    client and deletes every key the test wrote."""
    import redis

    namespace = f"conductor-test:{uuid.uuid4().hex[:12]}:"
    monkeypatch.setattr(caching, "KEY_NAMESPACE", namespace + "prefect:")
    monkeypatch.setattr(llm_cache, "REDIS_NAMESPACE", namespace + "llm")
    monkeypatch.setenv("CONDUCTOR_REDIS_URL", redis_url)
    reload_settings()
    client = redis.Redis.from_url(redis_url)
    yield client
    records = list(client.scan_iter(f"{namespace}prefect:*"))
    locks = list(client.scan_iter(f"lock:{namespace}*"))
    llm = list(client.scan_iter(f"{namespace}llm*"))
    if records or locks or llm:
        client.delete(*records, *locks, *llm)
    client.close()


def _stored_record(client: Any, key: bytes) -> Any:
    from prefect.results import ResultRecord

    return ResultRecord.deserialize(client.get(key))


def _run_daily_summary(day: date = DAY) -> dict[str, Any]:
    from flows.daily_summary import daily_summary

    return daily_summary(day=day)


# --- the daily summary with Redis configured -------------------------------------------------


@sqlite_only
def test_unchanged_day_is_a_cache_hit_from_redis_and_the_record_lives_there(
    prefect_harness: None, llm_configured: None, shared_redis: Any, db_url: str
) -> None:
    with Session(get_engine(db_url)) as session:
        seed_team_day(session, tag=f"{uuid.uuid4().hex} ")
    with mocked_llm(chat_response("ENG-1 shipped."), chat_response("ENG-3 is blocked.")) as route:
        first = _run_daily_summary()
        second = _run_daily_summary()
        assert route.call_count == 1
        [key] = shared_redis.keys(f"{caching.KEY_NAMESPACE}daily-summary-*")
        assert _stored_record(shared_redis, key).result["text"] == first["text"]
        assert 0 < shared_redis.ttl(key) <= caching.RESULT_TTL_S
        local_storage = get_current_settings().results.local_storage_path
        assert not (local_storage / key.decode()).exists()

        llm_responses = shared_redis.keys(f"{llm_cache.REDIS_NAMESPACE}*")
        assert llm_responses
        shared_redis.delete(key, *llm_responses)
        third = _run_daily_summary()

    assert (first["cached"], second["cached"], third["cached"]) == (False, True, False)
    assert second["text"] == first["text"] == "ENG-1 shipped.\n"
    assert (route.call_count, third["text"]) == (2, "ENG-3 is blocked.\n")


@sqlite_only
def test_rollup_keeps_its_fingerprint_cached_tasks_in_redis(
    prefect_harness: None, shared_redis: Any, db_url: str
) -> None:
    from flows.sprint_rollup import sprint_rollup

    with Session(get_engine(db_url)) as session:
        build_history(session)
    first = sprint_rollup(today=TODAY)
    second = sprint_rollup(today=TODAY)

    assert (first["sprints"], first["snapshots"], second["snapshots"]) == (1, 5, 5)
    assert second["current"] == first["current"]
    assert len(shared_redis.keys(f"{caching.KEY_NAMESPACE}*-all")) == 1
    assert len(shared_redis.keys(f"{caching.KEY_NAMESPACE}*-{S1}")) == 1


# --- two workers, one key ----------------------------------------------------------------------

executions: list[str] = []


def _token_key(_context: Any, parameters: dict[str, Any]) -> str:
    return f"slow-{parameters['token']}"


@task(cache_policy=CacheKeyFnPolicy(cache_key_fn=_token_key))
def slow_cached_work(token: str) -> str:
    executions.append(token)
    time.sleep(1)
    return token.upper()


def _run_twice_at_once(options: dict[str, Any]) -> list[Any]:
    token = uuid.uuid4().hex
    start = threading.Barrier(2)
    states: list[Any] = []

    def worker() -> None:
        start.wait()
        states.append(slow_cached_work.with_options(**options)(token, return_state=True))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert len(states) == 2, "a worker never finished"
    assert [state.result() for state in states] == [token.upper()] * 2
    return states


def test_two_workers_on_one_key_run_the_task_once_and_share_its_result(
    prefect_harness: None, shared_redis: Any
) -> None:
    executions.clear()
    states = _run_twice_at_once(caching.shared_cache_options(get_settings(), _token_key))
    assert len(executions) == 1
    assert sorted(state.name for state in states) == ["Cached", "Completed"]


def test_the_redis_password_never_reaches_prefects_database(
    prefect_harness: None, shared_redis: Any, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Prefect encrypts block secrets with a key kept in its own database, so a password saved
    in a block is readable by anyone with that database: it must not be saved at all."""
    from prefect.client.orchestration import get_client

    with_password = redis_url.replace("redis://", f"redis://default:{REDIS_PASSWORD}@", 1)
    monkeypatch.setenv("CONDUCTOR_REDIS_URL", with_password)
    reload_settings()
    executions.clear()
    options = caching.shared_cache_options(get_settings(), _token_key)
    token = uuid.uuid4().hex
    first = slow_cached_work.with_options(**options)(token, return_state=True)
    second = slow_cached_work.with_options(**options)(token, return_state=True)

    assert (first.name, second.name, executions) == ("Completed", "Cached", [token])
    assert shared_redis.keys(f"{caching.KEY_NAMESPACE}slow-{token}")
    with get_client(sync_client=True) as client:
        documents = client.read_block_documents(include_secrets=True)
    [saved] = [d for d in documents if d.name == caching.RESULTS_BLOCK_NAME]
    assert saved.data["connection_url"] == redis_url.replace("redis://", "redis://default@", 1)
    for document in documents:
        assert REDIS_PASSWORD not in document.model_dump_json()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("redis://:pw@cache:6379/0", "redis://cache:6379/0"),
        (
            "rediss://user:p%40ss@cache:6380/2?ssl_cert_reqs=none",
            "rediss://user@cache:6380/2?ssl_cert_reqs=none",
        ),
        ("unix:///run/redis.sock?db=1&password=pw", "unix:///run/redis.sock?db=1"),
        ("redis://cache:6379", "redis://cache:6379"),
    ],
)
def test_url_without_password(url: str, expected: str) -> None:
    assert caching.url_without_password(url) == expected


def test_without_redis_two_workers_on_one_key_both_run_the_task(prefect_harness: None) -> None:
    executions.clear()
    _run_twice_at_once(caching.shared_cache_options(get_settings(), _token_key))
    assert len(executions) == 2


# --- no Redis, or Redis down ------------------------------------------------------------------


def test_without_redis_url_tasks_keep_prefects_local_defaults() -> None:
    assert get_settings().redis_url is None
    assert caching.shared_cache_options(get_settings(), _token_key) == {}


@sqlite_only
def test_unreachable_redis_warns_once_without_the_password_and_caches_locally(
    prefect_harness: None,
    llm_configured: None,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("CONDUCTOR_REDIS_URL", UNREACHABLE_WITH_PASSWORD)
    reload_settings()
    with Session(get_engine(db_url)) as session:
        seed_team_day(session, tag=f"{uuid.uuid4().hex} ")

    assert caching.shared_cache_options(get_settings(), _token_key) == {}
    with mocked_llm(chat_response("ENG-1 shipped.")) as route:
        first = _run_daily_summary()
        second = _run_daily_summary()

    assert route.call_count == 1
    assert (first["cached"], second["cached"]) == (False, True)
    messages = [record.getMessage() for record in caplog.records]
    warnings = [m for m in messages if "CONDUCTOR_REDIS_URL" in m and "cached task results" in m]
    assert len(warnings) == 1
    assert "127.0.0.1:9" in warnings[0] and "local files" in warnings[0]
    captured = capfd.readouterr()
    for text in [*messages, captured.out, captured.err]:
        assert "dummy-s3cret-pw" not in text


def test_redacted_url_masks_the_password() -> None:
    assert redact_url("redis://user:s3cret@cache.internal:6380/2") == (
        "redis://user:***@cache.internal:6380/2"
    )
