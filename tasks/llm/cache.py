"""LiteLLM's response cache: Redis when `CONDUCTOR_REDIS_URL` is reachable, else local files.

An identical request (same model, messages and parameters) is answered from the cache, and
LiteLLM marks the response with `_hidden_params["cache_hit"]`; the gateway records it as a free
call. LiteLLM 1.110 removed its disk backend, so the local fallback is `file_cache`, a small
`BaseCache` that keeps one JSON file per key under `$CONDUCTOR_HOME/llm-cache`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from functools import cache
from pathlib import Path
from typing import Any

from models.settings import Settings
from tasks.health import redis_reachable

logger = logging.getLogger(__name__)

#: Prefix of every key this project writes to Redis, so an operator can find or flush them.
REDIS_NAMESPACE = "conductor:llm"
#: Cached answers expire after a week: facts change daily, so older entries are dead weight.
CACHE_TTL_S = 7 * 24 * 3600

_configured_for: tuple[str, str] | None = None
_warned_unreachable: set[str] = set()


def configure_llm_cache(settings: Settings) -> str:
    """Point `litellm.cache` at Redis or local files; returns `"redis"` or `"disk"`.

    Idempotent: calling it again with the same settings keeps the existing cache. When Redis is
    configured but does not answer a ping within a second, a warning is logged once per URL and
    the local file cache is used instead, so a summary never fails for want of a cache.
    """
    global _configured_for
    backend, target = _choose_backend(settings)
    if _configured_for == (backend, target):
        return backend
    import litellm
    from litellm.caching.caching import Cache

    if backend == "redis":
        litellm.cache = Cache(type="redis", url=target, namespace=REDIS_NAMESPACE, ttl=CACHE_TTL_S)
    else:
        litellm.cache = Cache(_backend=file_cache(Path(target)), ttl=CACHE_TTL_S)
    _configured_for = (backend, target)
    return backend


def _choose_backend(settings: Settings) -> tuple[str, str]:
    if settings.redis_url:
        if redis_reachable(settings.redis_url):
            return "redis", settings.redis_url
        if settings.redis_url not in _warned_unreachable:
            _warned_unreachable.add(settings.redis_url)
            logger.warning(
                "Redis at CONDUCTOR_REDIS_URL is unreachable; caching LLM responses in %s instead",
                settings.home / "llm-cache",
            )
    return "disk", str(settings.home / "llm-cache")


@cache
def _file_cache_class() -> type:
    from litellm.caching.base_cache import BaseCache

    class _FileCache(BaseCache):
        """One JSON file per cache key; expired entries are ignored and overwritten.

        Writes go to a temporary file first and are renamed into place, so a reader never sees
        half a file even when two flows write the same key.
        """

        def __init__(self, directory: Path) -> None:
            super().__init__(default_ttl=CACHE_TTL_S)
            self.directory = directory

        def _path(self, key: str) -> Path:
            return self.directory / f"{hashlib.sha256(key.encode()).hexdigest()}.json"

        def set_cache(self, key: str, value: Any, **kwargs: Any) -> None:
            ttl = self.get_ttl(**kwargs) or self.default_ttl
            self.directory.mkdir(parents=True, exist_ok=True)
            path = self._path(key)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps({"expires": time.time() + ttl, "value": value}))
            tmp.replace(path)

        def get_cache(self, key: str, **kwargs: Any) -> Any:
            try:
                entry = json.loads(self._path(key).read_text())
            except (OSError, ValueError):
                return None
            if entry.get("expires", 0) < time.time():
                return None
            return entry.get("value")

        async def async_set_cache(self, key: str, value: Any, **kwargs: Any) -> None:
            self.set_cache(key, value, **kwargs)

        async def async_get_cache(self, key: str, **kwargs: Any) -> Any:
            return self.get_cache(key, **kwargs)

        async def async_set_cache_pipeline(self, cache_list: Any, **kwargs: Any) -> None:
            for key, value in cache_list:
                self.set_cache(key, value, **kwargs)

        async def disconnect(self) -> None:
            return None

    return _FileCache


def file_cache(directory: Path) -> Any:
    """A file-backed LiteLLM cache under `directory` (built lazily: LiteLLM is slow to import)."""
    return _file_cache_class()(directory)


def reset_llm_cache() -> None:
    """Forget the configured cache (tests switch homes and Redis URLs between cases)."""
    global _configured_for
    _configured_for = None
    _warned_unreachable.clear()
    import litellm

    litellm.cache = None
