"""The chat URLs of `CONDUCTOR_NOTIFY_URLS` as targets that can be named without their secrets.

`models.settings` has already checked each URL with Apprise at start-up. A target keeps the URL
as a `SecretStr` (read only to build the Apprise object at send time) next to what may be shown:
the service name ("Slack", "JSON", "E-Mail"), Apprise's redacted form (`url(privacy=True)`,
tokens shortened to their first and last character; without the query, which is Apprise's
option defaults and would only bury the service), and a SHA-256 of the URL that the chat
outbox stores instead of the URL.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr

from models import notify_urls
from models.settings import Settings


@dataclass(frozen=True)
class NotifyTarget:
    """One chat URL. `body_format` is the format its service renders (Apprise's
    `notify_format`: `markdown`, `html` or `text`), which picks the body it is sent."""

    url: SecretStr
    service: str
    redacted: str
    url_hash: str
    body_format: str

    def __repr__(self) -> str:
        return f"NotifyTarget({self.service}: {self.redacted})"


def url_hash(url: str) -> str:
    """SHA-256 of the URL (hex): tells outbox rows of different URLs apart without storing one."""
    return hashlib.sha256(url.encode()).hexdigest()


def target_for(url: SecretStr) -> NotifyTarget:
    """Describe one URL; raises `ValueError` (one line, no secret) when Apprise cannot use it."""
    plugin: Any = notify_urls.instantiate(url.get_secret_value())
    return NotifyTarget(
        url=url,
        service=str(plugin.service_name),
        redacted=str(plugin.url(privacy=True)).split("?", 1)[0],
        url_hash=url_hash(url.get_secret_value()),
        body_format=str(getattr(plugin.notify_format, "value", plugin.notify_format)),
    )


def configured_targets(settings: Settings) -> list[NotifyTarget]:
    """Every URL of `CONDUCTOR_NOTIFY_URLS`, in order (empty when none is set)."""
    return [target_for(url) for url in settings.notify_urls]


def describe_urls(settings: Settings) -> list[dict[str, Any]]:
    """For `conductor doctor`: per URL its position, service and redacted form, or the one-line
    reason it is unusable. Never raises, never shows a secret."""
    rows: list[dict[str, Any]] = []
    for position, url in enumerate(settings.notify_urls, start=1):
        try:
            target = target_for(url)
        except ValueError as exc:
            rows.append({"entry": position, "ok": False, "error": str(exc)})
            continue
        rows.append(
            {
                "entry": position,
                "ok": True,
                "service": target.service,
                "url": target.redacted,
                "format": target.body_format,
            }
        )
    return rows
