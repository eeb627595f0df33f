"""Transport-level guards that run before routing: body size, content type, and — when auth is
off — who may talk to the API at all.

An ASGI middleware rather than dependencies because two of these must act before FastAPI
touches the request: the size limit has to refuse a body before it is read (FastAPI reads it
whole before any dependency runs), and a DNS-rebinding request must not reach a route. The
checks, in order:

1. **Loopback only, when auth is off** (`--no-auth`). Without a token, the browser is the
   attacker's way in: a page on `evil.example` whose name is re-pointed at 127.0.0.1 (DNS
   rebinding) sends `Host: evil.example` and may read the answers, and any page can send a
   cross-site form POST. So the `Host` must name a loopback address or `localhost` (any port),
   a request carrying an `Origin` must come from such a host, and `Sec-Fetch-Site: cross-site`
   is refused. Tools like curl, agents and the CLI send none of these headers and pass.
2. **JSON bodies only** (always): a POST/PUT/PATCH/DELETE with a `Content-Type` other than JSON
   is a 415. HTML forms can only send form or text types, so no form can reach a route, even
   one whose body is optional (`POST /chat/threads`) or absent (`POST /ai/embedding/tickets`).
3. **At most `MAX_BODY_BYTES`** (always): a declared `Content-Length` above it is a 413 before
   anything is read; a streamed (chunked) body is read only until it passes the limit. The
   accepted body is handed on as read, so a route reads it exactly as it was sent.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: The largest request body accepted (1 MiB): the biggest valid request, `POST /ai/embedding`
#: with 64 texts of 8,000 characters, is ~520 KB of ASCII; nothing else comes close.
MAX_BODY_BYTES = 1024 * 1024
#: Methods that may change something, and so may not arrive from a form or another site.
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class RequestGuard:
    """The checks of this module's docstring around `app`; `loopback_only` turns on check 1."""

    def __init__(
        self, app: ASGIApp, *, loopback_only: bool, max_body_bytes: int = MAX_BODY_BYTES
    ) -> None:
        self.app = app
        self.loopback_only = loopback_only
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {
            name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]
        }
        refusal = self._refusal(scope["method"], headers)
        if refusal is None:
            body, refusal = await self._read_body(headers, receive)
        if refusal is not None:
            status, detail = refusal
            await _send_json(send, status, {"detail": detail})
            return
        await self.app(scope, _replay(body, receive), send)

    def _refusal(self, method: str, headers: dict[str, str]) -> tuple[int, str] | None:
        if self.loopback_only:
            host = headers.get("host", "")
            if not is_loopback_host(_hostname(host)):
                return 400, (
                    f"Host {host!r} is not a loopback name: without auth this API answers only "
                    "requests to 127.0.0.1, [::1] or localhost"
                )
            origin = headers.get("origin")
            if origin is not None and not is_loopback_host(_hostname(_origin_authority(origin))):
                return 403, f"cross-origin request from {origin!r} refused (auth is off)"
            if headers.get("sec-fetch-site") == "cross-site":
                return 403, "cross-site request refused (auth is off)"
        content_type = headers.get("content-type")
        if method in UNSAFE_METHODS and content_type is not None and not _is_json(content_type):
            return 415, f"Content-Type must be application/json, not {content_type!r}"
        declared = headers.get("content-length")
        if declared is not None:
            if not declared.strip().isdigit():
                return 400, f"invalid Content-Length {declared!r}"
            if int(declared) > self.max_body_bytes:
                return 413, self._too_large()
        return None

    async def _read_body(
        self, headers: dict[str, str], receive: Receive
    ) -> tuple[bytes, tuple[int, str] | None]:
        """The whole body, read only while it stays within the limit."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away; let the app see it
                return b"", (400, "client disconnected")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return b"", (413, self._too_large())
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks), None

    def _too_large(self) -> str:
        return f"request body larger than {self.max_body_bytes:,} bytes"


def is_loopback_host(host: str) -> bool:
    """`localhost` or a loopback IP literal (`127.0.0.1`, `127.0.0.2`, `::1`, `[::1]`)."""
    host = host.strip().lower().rstrip(".")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _hostname(authority: str) -> str:
    """The host of `host[:port]`, IPv6 literals in brackets included (`[::1]:8000` → `::1`)."""
    authority = authority.strip()
    if authority.startswith("["):
        return authority[1 : authority.find("]")] if "]" in authority else ""
    return authority.rsplit(":", 1)[0] if authority.count(":") == 1 else authority


def _origin_authority(origin: str) -> str:
    """`http://localhost:8000` → `localhost:8000`; `null` and other opaque origins → `""`."""
    _, separator, rest = origin.partition("://")
    return rest.split("/", 1)[0] if separator else ""


def _is_json(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that returns the body already read, then whatever the client sends next
    (a disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _send_json(send: Send, status: int, payload: dict[str, Any]) -> None:
    body = json.dumps(payload).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
