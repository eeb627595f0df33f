"""Unhappy paths on demand: queued error answers (`Sandbox.fail_next`) and the token-bucket rate
limiter (`Sandbox.set_rate_limit`), with Notion's default error codes and messages."""

from __future__ import annotations

import time
from dataclasses import dataclass

_DEFAULT_CODES = {
    400: "validation_error",
    401: "unauthorized",
    403: "restricted_resource",
    404: "object_not_found",
    409: "conflict_error",
    429: "rate_limited",
    500: "internal_server_error",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
    529: "service_unavailable",
}
_DEFAULT_MESSAGES = {
    "validation_error": "body failed validation.",
    "unauthorized": "API token is invalid.",
    "restricted_resource": "Insufficient permissions for this endpoint.",
    "object_not_found": "Could not find the requested object.",
    "conflict_error": "Conflict occurred while saving. Please try again.",
    "rate_limited": "You have been rate limited. Please try again in a few minutes.",
    "internal_server_error": "Unexpected error occurred.",
    "bad_gateway": "Bad gateway.",
    "service_unavailable": "Notion is unavailable, please try again later.",
    "gateway_timeout": "Notion timed out, please try again later.",
}


@dataclass(slots=True)
class _Fault:
    remaining: int
    status: int
    code: str
    message: str
    path_contains: str | None
    retry_after: int | None


class _TokenBucket:
    """Averages `rate` requests per second and allows a burst of about one second's worth."""

    def __init__(self, rate: float) -> None:
        if rate <= 0:
            raise ValueError("rate limit must be positive")
        self.rate = rate
        self.capacity = max(1.0, rate)
        self.tokens = self.capacity
        self.stamp = time.monotonic()

    def wait_needed(self) -> float:
        """0 if a request may go now (and takes a token), else seconds until one may."""
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate
