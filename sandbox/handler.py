"""HTTP plumbing: the request handler class each `Sandbox` subclasses with itself attached."""

from __future__ import annotations

import socket
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sandbox.server import Sandbox


_TCP_QUICKACK: int | None = getattr(socket, "TCP_QUICKACK", None)


class _Handler(BaseHTTPRequestHandler):
    """HTTP plumbing only; `Sandbox.handle` does the work. Keep-alive, no access log."""

    protocol_version = "HTTP/1.1"
    server_version = "NotionSandbox/1.0"
    sandbox: Sandbox

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without this, Nagle + delayed ACK add
        # up to 40 ms to every keep-alive request.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._quick_ack()

    def _quick_ack(self) -> None:
        """ACK at once (Linux): clients such as httpx send headers and body in two writes, and
        with Nagle on their side the body waits for our ACK of the headers."""
        if _TCP_QUICKACK is not None:
            self.connection.setsockopt(socket.IPPROTO_TCP, _TCP_QUICKACK, 1)

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        status, data, headers = self.sandbox.handle(self.command, self.path, self.headers, body)
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
        self._quick_ack()  # the kernel drops quick-ACK mode after a while; re-arm it

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve
