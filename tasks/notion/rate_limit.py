"""Client-side rate limiting and request counters of the Notion gateway.

Why a module of its own: the token bucket and the counters know nothing of HTTP; they are
shared by every gateway of a process (`NotionGateway(limiter=...)`), measured on their own by
the benchmarks, and tested with a fake clock. `client.py` stays the only module that speaks HTTP.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

Clock = Callable[[], float]
Sleep = Callable[[float], None]

_STATS_LOCK = threading.Lock()


@dataclass
class NotionStats:
    """Counters of one gateway, reported by `conductor ingest --json`.

    `requests` counts every HTTP attempt (retries included), `retried` every repeated attempt,
    `rate_limited` every 429 answer. The lock lives outside the instance so `asdict()` works.
    """

    requests: int = 0
    rate_limited: int = 0
    retried: int = 0

    def add(self, *, requests: int = 0, rate_limited: int = 0, retried: int = 0) -> None:
        """Increment counters atomically; tasks of one flow share a gateway across threads."""
        with _STATS_LOCK:
            self.requests += requests
            self.rate_limited += rate_limited
            self.retried += retried

    def as_dict(self) -> dict[str, int]:
        with _STATS_LOCK:
            return asdict(self)


class RateLimiter:
    """A thread-safe token bucket: on average at most `rps` acquisitions per second.

    The bucket starts full (`burst` tokens) and refills continuously, so a run of N requests
    takes about (N - burst) / rps seconds plus nothing else: time spent waiting for responses
    refills the bucket, and no caller waits longer than its own turn. Callers reserve their slot
    under the lock and sleep outside it, so concurrent threads queue fairly without holding
    the lock while sleeping. `rps=None` disables limiting (the local sandbox, tests).
    The default burst of 2 stays one token under Notion's own burst allowance: with equal
    buckets, the first requests' uneven latencies (a fresh TCP connection) provoke a 429.
    """

    def __init__(
        self,
        rps: float | None,
        burst: int = 2,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
    ) -> None:
        if rps is not None and rps <= 0:
            raise ValueError("rps must be positive, or None to disable the limit")
        if burst < 1:
            raise ValueError("burst must be at least 1")
        self.rps = rps
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens = float(burst)
        self._updated = clock()

    def acquire(self) -> float:
        """Block until this caller may send a request; return the seconds it waited."""
        if self.rps is None:
            return 0.0
        with self._lock:
            self._refill()
            self._tokens -= 1.0
            wait = -self._tokens / self.rps if self._tokens < 0 else 0.0
        if wait > 0:
            self._sleep(wait)
        return wait

    def pause(self, seconds: float) -> None:
        """Give out no new token for `seconds`: after a 429 every thread of the run backs off.

        Slots already handed out are not recalled; those requests may meet a 429 and retry.
        """
        if self.rps is None or seconds <= 0:
            return
        with self._lock:
            self._refill()
            self._tokens = min(self._tokens, 1.0 - seconds * self.rps)

    def _refill(self) -> None:
        assert self.rps is not None
        now = self._clock()
        self._tokens = min(float(self.burst), self._tokens + (now - self._updated) * self.rps)
        self._updated = now
