"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it accepts: the sink of the email
tests and of chat's `mailto://` URLs."""

from __future__ import annotations

import asyncio
import email
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.prefect_helpers import free_port


@dataclass
class Collector:
    """An aiosmtpd handler that keeps every accepted message; can fail or slow down DATA.
    AUTH succeeds only with `password`."""

    password: str = ""
    messages: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    fail_next: int = 0
    delay_s: float = 0.0
    logins: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        with self.lock:
            if self.fail_next:
                self.fail_next -= 1
                return "451 4.3.0 Temporary local problem, try again"
            self.messages.append(
                (envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
            )
        return "250 OK"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and auth_data.password == self.password.encode()
        if ok:
            self.logins.append(auth_data.login.decode())
        return AuthResult(success=ok)

    def parsed(self) -> list[EmailMessage]:
        return [
            email.message_from_bytes(raw, policy=policy.default)  # type: ignore[misc]
            for _, _, raw in self.messages
        ]


@contextmanager
def smtp_sink(collector: Collector) -> Iterator[int]:
    """Serve `collector` on 127.0.0.1 for the block; yields the port."""
    # The test server's own protocol trace is not Conductor's logging; keep it out of caplog.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    port = free_port()
    controller = Controller(
        collector,
        hostname="127.0.0.1",
        port=port,
        authenticator=collector.authenticate,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield port
    finally:
        controller.stop()
