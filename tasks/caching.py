"""Where Prefect keeps cached task results and their locks: Redis when `CONDUCTOR_REDIS_URL` is
reachable, else Prefect's local defaults (files under `PREFECT_HOME`).

With Redis every worker shares one cache, so a result computed on one machine is a cache hit
on the next; and with SERIALIZABLE isolation two workers reaching the same key at once take a
lock, so one computes and the other waits for its result instead of repeating the work (for
the daily summary: instead of paying for a second model call). Options are built at run time,
inside a flow, never at import: deciding needs a Redis ping and a saved Prefect block.

The Redis password never goes into Prefect's database. Prefect encrypts a block's secret
fields, but with a key kept in the same database, so anyone who can read that database (or a
copy of its file) can read the secret. The saved block therefore holds the URL without its
password; the storage the tasks actually use is built in this process from
`CONDUCTOR_REDIS_URL` and only borrows the saved block's id, which is all a cached record
stores about where it lives.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from functools import partial
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from prefect.cache_policies import CacheKeyFnPolicy
from prefect.settings import get_current_settings
from prefect_redis.blocks import RedisDatabase
from prefect_redis.locking import RedisLockManager
from pydantic import SecretStr

from models.settings import Settings, redact_url
from tasks.health import redis_reachable

logger = logging.getLogger(__name__)

#: Name of the saved `RedisDatabase` block that holds cached results (saved on first use).
RESULTS_BLOCK_NAME = "conductor-results"
#: Prefix of every cache record this project writes to Redis, so an operator can find or flush
#: them; their locks are `lock:` + the same key.
KEY_NAMESPACE = "conductor:prefect:"
#: Cached records and results expire in Redis after a week, the longest cache expiration of
#: any task; Prefect ignores expired records anyway, this only keeps Redis from filling up.
RESULT_TTL_S = 7 * 24 * 3600
#: A lock is released after this long even if its holder never releases it (a killed worker),
#: so a key cannot stay blocked forever. Matches the flows' 30-minute timeout.
LOCK_HOLD_S = 1800

CacheKeyFn = Callable[[Any, dict[str, Any]], str | None]

_backends: dict[tuple[str, str | None], tuple[RedisDatabase, RedisLockManager]] = {}
_backends_lock = threading.Lock()
_warned_unreachable: set[str] = set()


def shared_cache_options(settings: Settings, cache_key_fn: CacheKeyFn) -> dict[str, Any]:
    """Keyword arguments for `task.with_options(**options)` that put the task's cache in Redis.

    Returns `{}` (the task keeps its local defaults) when `CONDUCTOR_REDIS_URL` is unset, or
    when it is set but Redis does not answer a ping within a second; the latter logs one
    warning per URL and process. Otherwise returns a `cache_policy` keyed by `cache_key_fn`
    (namespaced under `KEY_NAMESPACE`) with its locks in Redis at SERIALIZABLE isolation, and
    `result_storage` in the same Redis, where each cached record is one key, the cache key.

    The task must declare its key as `cache_policy=CacheKeyFnPolicy(cache_key_fn=...)`, not
    `cache_key_fn=...`: `with_options` keeps a task's `cache_key_fn`, and Prefect lets that
    win over any `cache_policy`, which would silently drop the Redis configuration.
    """
    url = settings.redis_url
    if not url:
        return {}
    if not redis_reachable(url):
        _warn_unreachable_once(url)
        return {}
    results, locks = _redis_backends(url)
    # No `key_storage`: Prefect writes a result and its metadata under the same key, one to
    # result storage and one to key storage, so with both in this Redis the metadata would
    # overwrite the result. Without it the whole record (metadata and result) is one key.
    policy = CacheKeyFnPolicy(cache_key_fn=partial(_namespaced_key, cache_key_fn)).configure(
        lock_manager=locks, isolation_level="SERIALIZABLE"
    )
    return {"cache_policy": policy, "result_storage": results}


def reset_shared_cache() -> None:
    """Forget built backends and warnings (tests switch Redis URLs and Prefect APIs)."""
    with _backends_lock:
        _backends.clear()
        _warned_unreachable.clear()


def _namespaced_key(
    cache_key_fn: CacheKeyFn, context: Any, parameters: dict[str, Any]
) -> str | None:
    key = cache_key_fn(context, parameters)
    return None if key is None else KEY_NAMESPACE + key


class ExpiringRedisLockManager(RedisLockManager):
    """Prefect takes locks without a hold timeout, so a lock whose holder died (a killed
    worker) would block its key forever; this one gives every lock `LOCK_HOLD_S`."""

    def acquire_lock(
        self,
        key: str,
        holder: str,
        acquire_timeout: float | None = None,
        hold_timeout: float | None = None,
    ) -> bool:
        return super().acquire_lock(key, holder, acquire_timeout, hold_timeout or LOCK_HOLD_S)

    async def aacquire_lock(
        self,
        key: str,
        holder: str,
        acquire_timeout: float | None = None,
        hold_timeout: float | None = None,
    ) -> bool:
        return await super().aacquire_lock(
            key, holder, acquire_timeout, hold_timeout or LOCK_HOLD_S
        )


def _redis_backends(url: str) -> tuple[RedisDatabase, RedisLockManager]:
    """The saved results block and the lock manager for `url`, built once per process and
    Prefect API (the block is saved on that API; saving again with the same values is a no-op
    apart from the round trip, which this cache avoids)."""
    cache_key = (url, get_current_settings().api.url)
    with _backends_lock:
        if cache_key not in _backends:
            locks = ExpiringRedisLockManager(connection_url=url)
            _backends[cache_key] = (_saved_results_block(url), locks)
        return _backends[cache_key]


def _saved_results_block(url: str) -> RedisDatabase:
    """The result storage for `url`: a `RedisDatabase` built here with the whole URL, carrying
    the id of the block saved as `RESULTS_BLOCK_NAME` with `url_without_password(url)`.

    A block is saved at all because Prefect refuses result storage without a saved id and
    cached records name their storage by it. The whole URL is kept as `connection_url`, a
    secret, so query options and `unix://` sockets work and the password never appears in the
    block's repr. A process that loads the saved block by name (Conductor never does) gets a
    URL without the password and must be given it again.
    """
    saved = RedisDatabase(connection_url=SecretStr(url_without_password(url)), key_ttl=RESULT_TTL_S)
    saved.save(RESULTS_BLOCK_NAME, overwrite=True)
    block = RedisDatabase(connection_url=SecretStr(url), key_ttl=RESULT_TTL_S)
    block._block_document_id = saved._block_document_id
    block._block_document_name = saved._block_document_name
    block._is_anonymous = False
    return block


def url_without_password(url: str) -> str:
    """`url` with its password removed, from the user-info part and from a `password=` query
    option (`redis://user:pw@host:6379/0` → `redis://user@host:6379/0`)."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        username = userinfo.split(":", 1)[0]
        netloc = f"{username}@{host}" if username else host
    query = urlencode(
        [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "password"]
    )
    # Not `urlunsplit`: it turns `unix:///path` into `unix:/path`, which redis-py misreads.
    return f"{parts.scheme}://{netloc}{parts.path}" + (f"?{query}" if query else "")


def _warn_unreachable_once(url: str) -> None:
    if url in _warned_unreachable:
        return
    _warned_unreachable.add(url)
    logger.warning(
        "Redis at CONDUCTOR_REDIS_URL (%s) is unreachable; cached task results stay in local "
        "files under %s instead (and concurrent runs do not wait for each other)",
        redact_url(url),
        get_current_settings().results.local_storage_path,
    )
