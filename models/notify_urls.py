"""Reading `CONDUCTOR_NOTIFY_URLS`: Apprise URLs, checked at start-up, never shown in clear.

An Apprise URL carries the service's credentials in its path or user part
(`slack://T0/B0/secret`, `mailto://user:password@host`), so every message here names a URL by
its position in the list and its scheme only, and `redacted` uses Apprise's own
`url(privacy=True)`. Apprise is imported on first use: its plugin table takes about a second to
load, which only a configuration that uses chat should pay.
"""

from __future__ import annotations

import logging
from typing import Any

_SCHEME_ONLY = "{scheme}://…"


def split_urls(value: Any) -> list[str]:
    """The URLs of a comma (or space) separated list, split by Apprise's own rule, which keeps a
    comma inside a query (`mailto://host?to=a@x.org,b@x.org`) with its URL. A list is taken
    entry by entry (each may hold several URLs)."""
    from apprise.utils.parse import parse_urls

    if value in (None, ""):
        return []
    entries = [value] if isinstance(value, str) else list(value)
    urls: list[str] = []
    for entry in entries:
        text = entry.get_secret_value() if hasattr(entry, "get_secret_value") else str(entry)
        urls.extend(url for url in parse_urls(text) if url)
    return urls


def scheme_of(url: str) -> str:
    """`slack` for `slack://…`; `?` when the text has no scheme at all."""
    scheme, sep, _ = url.partition("://")
    return scheme.lower() if sep and scheme.isalnum() else "?"


def instantiate(url: str) -> Any:
    """The Apprise plugin object for `url`; raises `ValueError` with one line saying what is
    wrong (unknown scheme, or which service's URL did not parse), without the URL.

    Apprise explains a rejection only in its log, and that text can quote the token it
    rejected, so its log is silenced here and the reason is rebuilt from the scheme.
    """
    import apprise
    from apprise.manager_plugins import NotificationManager

    scheme = scheme_of(url)
    shown = _SCHEME_ONLY.format(scheme=scheme) if scheme != "?" else "(no scheme://)"
    plugins = NotificationManager()
    if scheme == "?" or scheme not in plugins:
        raise ValueError(f"{shown} is not a service Apprise knows (see Apprise's list of URLs)")
    apprise_log = logging.getLogger("apprise")
    level, apprise_log.level = apprise_log.level, logging.CRITICAL + 1
    try:
        plugin = apprise.Apprise.instantiate(url)
    finally:
        apprise_log.level = level
    if plugin is None:
        service = plugins[scheme].service_name
        raise ValueError(
            f"{shown} is not a valid {service} URL (check its tokens and options "
            "against Apprise's page for that service)"
        )
    return plugin


def check_all(urls: list[str]) -> None:
    """Raise `ValueError` for the first URL Apprise cannot use, naming its position (1-based)."""
    for position, url in enumerate(urls, start=1):
        try:
            instantiate(url)
        except ValueError as exc:
            raise ValueError(f"entry {position}: {exc}") from None
