"""Post a chat message once per URL, through Apprise, with the outbox's claim protocol.

Each (message, URL) pair is one `OutboxPost` row keyed `{message.key}@{sha256(url)}`, claimed
with `tasks.claims` exactly like an email: a rerun, a Prefect retry or an overlapping run finds
the row `sent` and posts nothing. URLs are independent: one failing URL neither blocks nor
repeats the others, and a retry re-posts only to the URLs that failed.

**What is retried.** Apprise's `notify()` only returns False; why it failed is in its log. The
sender captures Apprise's warnings for the one call and classifies them:

- an HTTP status in the reply (`error=403`): 408, 425, 429 and 5xx are transient; any other 4xx
  (revoked webhook, bad token, unknown channel) is permanent — the row is `rejected` and never
  claimed again, so a dead URL is not retried forever;
- a connection error or timeout, and a failure Apprise does not explain (e.g. an SMTP server
  refusing the message): transient, but at most `MAX_ATTEMPTS` attempts per row in all.

A transient failure marks the row `failed` and raises `ChatDeliveryError(transient=True)` after
every URL was tried, so the caller's retry policy decides when to try again.

**Secrets.** The URL is read from its `SecretStr` only to build the Apprise object. Apprise's
own log lines (which can name a chat id or host) are kept out of Conductor's log; what is logged
and stored is the service name, the redacted URL and a reason such as `HTTP 403`.

The window left is the email's: a crash after the service accepted a post but before
`mark_sent` committed posts it again on the next run once the `POST_LEASE` has passed.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine

from models.errors import ConductorError
from models.outbox import OutboxPost
from tasks import claims
from tasks.notify.messages import ChatMessage
from tasks.notify.targets import NotifyTarget

log = logging.getLogger("conductor.notify")

#: Attempts per message and URL before a transiently failing URL is given up for that message.
MAX_ATTEMPTS = 5
#: How long a `sending` claim is honoured before another run may take it over: longer than any
#: Apprise call (its HTTP timeouts are seconds), short enough for the next scheduled run.
POST_LEASE = timedelta(minutes=5)
#: Statuses of one URL in `post_message`'s result.
POSTED, ALREADY_POSTED, FAILED, REJECTED, GAVE_UP, IN_PROGRESS = (
    "posted",
    "already_posted",
    "failed",
    "rejected",
    "gave_up",
    "in_progress",
)

_TABLE = OutboxPost.__table__  # type: ignore[attr-defined]
_HTTP_STATUS = re.compile(r"error=(\d{3})\b")
_CONNECTION = re.compile(r"(?i)connection error|timed out|timeout|socket")
_TRANSIENT_HTTP = frozenset({408, 425, 429})
#: One Apprise call at a time captures the `apprise` logger (its handlers are process-wide).
_CAPTURE_LOCK = threading.Lock()


class ChatDeliveryError(ConductorError):
    """At least one chat URL failed in a way a later attempt may fix (`transient`)."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def classify_failure(apprise_lines: list[str]) -> tuple[bool, str]:
    """`(transient, reason)` of a failed Apprise call from its warning lines; the reason names
    no host, chat or token."""
    text = "\n".join(apprise_lines)
    status = _HTTP_STATUS.search(text)
    if status:
        code = int(status.group(1))
        return (code >= 500 or code in _TRANSIENT_HTTP), f"HTTP {code}"
    if _CONNECTION.search(text):
        return True, "connection error"
    return True, "the service did not accept the message (no reason given)"


@contextmanager
def _quiet_loggers(capture: logging.Handler) -> Iterator[None]:
    """For one Apprise call: Apprise's log goes only to `capture`, and urllib3's request lines
    (which quote the request path, where Discord and Slack keep their webhook tokens) nowhere.
    Both loggers are process-wide, hence `_CAPTURE_LOCK` around this."""
    apprise_log, http_log = (
        logging.getLogger("apprise"),
        logging.getLogger("urllib3.connectionpool"),
    )
    saved = apprise_log.propagate, apprise_log.level, http_log.propagate, http_log.disabled
    apprise_log.setLevel(logging.WARNING)  # its warnings are the failure reasons we classify
    apprise_log.addHandler(capture)
    apprise_log.propagate = http_log.propagate = False
    http_log.disabled = True
    try:
        yield
    finally:
        apprise_log.removeHandler(capture)
        apprise_log.propagate, level, http_log.propagate, http_log.disabled = saved
        apprise_log.setLevel(level)


def send_once(target: NotifyTarget, message: ChatMessage) -> tuple[bool, bool, str]:
    """One Apprise call for one URL: `(ok, transient, reason)`.

    Each service gets the body in the format it renders, declared as such (`body_format`), so
    Apprise converts nothing and no service shows Markdown it cannot render.
    """
    import apprise

    asset = apprise.AppriseAsset(app_id="Conductor", app_desc="Conductor sprint updates")
    body_format = apprise.NotifyFormat(target.body_format)
    capture = _Capture()
    with _CAPTURE_LOCK, _quiet_loggers(capture):
        sender = apprise.Apprise(asset=asset)
        sender.add(target.url.get_secret_value())
        ok = sender.notify(
            body=message.body_for(target.body_format),
            title=message.title,
            body_format=body_format,
        )
    if ok:
        return True, False, ""
    transient, reason = classify_failure(capture.lines)
    return False, transient, reason


def post_message(
    message: ChatMessage, targets: list[NotifyTarget], *, engine: Engine
) -> list[dict[str, Any]]:
    """Post `message` to every target that has not had it yet; safe to call any number of times.

    Returns one `{"service", "url" (redacted), "status", "reason"?}` per target, status one of
    `posted`, `already_posted`, `failed` (transient, will be retried), `rejected` (permanent),
    `gave_up` (out of attempts) or `in_progress` (another run holds the claim). Raises
    `ChatDeliveryError(transient=True)` when any target failed transiently, after trying all.
    """
    results = [_post_to(message, target, engine) for target in targets]
    failed = [r for r in results if r["status"] == FAILED]
    if failed:
        names = ", ".join(f"{r['service']} ({r['reason']})" for r in failed)
        raise ChatDeliveryError(
            f"posting {message.key} failed for {names}; a retry posts only to these",
            transient=True,
        )
    return results


def _post_to(message: ChatMessage, target: NotifyTarget, engine: Engine) -> dict[str, Any]:
    key = f"{message.key}@{target.url_hash}"
    result: dict[str, Any] = {"service": target.service, "url": target.redacted}
    claims.insert_if_absent(
        _TABLE,
        {
            "idempotency_key": key,
            "message_key": message.key,
            "url_hash": target.url_hash,
            "service": target.service,
            "title": message.title,
        },
        engine=engine,
    )
    claimed_at = claims.claim(
        _TABLE,
        key,
        lease=POST_LEASE,
        values={"title": message.title, "service": target.service},
        max_attempts=MAX_ATTEMPTS,
        engine=engine,
    )
    if claimed_at is None:
        return {**result, **_not_claimed(key, engine)}
    ok, transient, reason = send_once(target, message)
    if ok:
        claims.mark_sent(_TABLE, key, claimed_at, engine=engine)
        log.info("posted %s to %s (%s)", message.key, target.service, target.redacted)
        return {**result, "status": POSTED}
    claims.mark_failed(_TABLE, key, claimed_at, reason, final=not transient, engine=engine)
    log.warning(
        "posting %s to %s (%s) failed: %s%s",
        message.key,
        target.service,
        target.redacted,
        reason,
        " — will retry" if transient else " — not retried; fix or remove this URL",
    )
    return {**result, "status": FAILED if transient else REJECTED, "reason": reason}


def _not_claimed(key: str, engine: Engine) -> dict[str, Any]:
    """Why a row could not be claimed: it was posted, refused, out of attempts, or is held."""
    entry = claims.get_entry(_TABLE, key, engine=engine) or {}
    status = entry.get("status")
    if status == "sent":
        return {"status": ALREADY_POSTED}
    if status == "rejected":
        return {"status": REJECTED, "reason": entry.get("last_error")}
    if status == "failed":
        return {"status": GAVE_UP, "reason": entry.get("last_error")}
    return {"status": IN_PROGRESS}
