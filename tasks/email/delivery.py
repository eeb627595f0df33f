"""Deliver a rendered update exactly once: SMTP when configured, else an `.eml` file.

Recipients come only from configuration (`CONDUCTOR_STAKEHOLDERS`), for every audience,
including `team`. People's emails from the database are deliberately not used: a person row
can be learnt from a ticket's people property, so using them would let whoever edits a ticket
add a recipient. Nothing rendered from ticket or model text reaches the envelope.

The SMTP password is read from its `SecretStr` only at the moment of `login`; it is never
logged, put in an exception message, passed as a task parameter or stored.
"""

from __future__ import annotations

import errno
import hashlib
import os
import smtplib
import socket
import ssl
import tempfile
from collections.abc import Sequence
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from models.db import get_engine
from models.errors import ConductorError
from models.locks import SEND_LOCK, LockBusyError, run_lock
from models.settings import ConfigError, Settings
from tasks.email import outbox
from tasks.email.render import RenderedUpdate, compose_message

SMTP_TIMEOUT_S = 30.0
DEFAULT_PORTS = {"ssl": 465, "starttls": 587, "none": 25}
#: How long a run waits for another live sender before reporting `in_progress` (a sender is
#: normally done within one SMTP conversation).
WAIT_FOR_OTHER_SENDER_S = 30.0

#: Result statuses of `deliver`.
SENT_SMTP, WRITTEN, ALREADY_SENT, IN_PROGRESS = "sent", "written", "already_sent", "in_progress"


class DeliveryError(ConductorError):
    """The SMTP server or the outbox folder refused the message; the outbox row is `failed`.

    `transient` says whether trying again later can help (connection trouble, a 4xx reply);
    a refused login or a 5xx reply is permanent and is not retried.
    """

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


_NETWORK_ERRNOS = frozenset(
    {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN, errno.EHOSTDOWN, errno.ETIMEDOUT}
)


def is_transient_smtp_failure(exc: BaseException) -> bool:
    """Connection errors, disconnects and 4xx replies are worth retrying; the rest is not."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return True
    # Only network trouble is transient; SMTPException and file errors (a full disk or a
    # read-only outbox folder) are OSErrors too, and retrying them only delays the fix.
    return isinstance(exc, ConnectionError | TimeoutError | socket.gaierror) or (
        isinstance(exc, OSError) and exc.errno in _NETWORK_ERRNOS
    )


class NoRecipientsError(ConfigError):
    """No stakeholders are configured, so there is no one to send to."""


def configured_recipients(settings: Settings) -> list[str]:
    """The recipients of every update: `CONDUCTOR_STAKEHOLDERS`, validated and de-duplicated.

    Raises `NoRecipientsError` (naming the variable) when the list is empty, and `ConfigError`
    for an entry that is not a plain address.
    """
    recipients: list[str] = []
    for entry in settings.stakeholders:
        address = parseaddr(entry)[1]
        if "@" not in address or any(c.isspace() for c in address):
            raise ConfigError(f"CONDUCTOR_STAKEHOLDERS: {entry!r} is not an email address")
        if address.lower() not in {r.lower() for r in recipients}:
            recipients.append(address)
    if not recipients:
        raise NoRecipientsError(
            "no recipients: set CONDUCTOR_STAKEHOLDERS to a comma list of email addresses"
        )
    return recipients


def message_id_for(key: str, sender: str) -> str:
    """A Message-ID derived from the idempotency key, so any resend of the same update carries
    the same id and mail clients de-duplicate it."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"<{digest}.conductor@{domain}>"


def eml_filename(key: str) -> str:
    """A portable file name for `key` (`:` is not allowed on Windows)."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in key) + ".eml"


def send_smtp(message: EmailMessage, recipients: Sequence[str], settings: Settings) -> None:
    """Hand `message` to the configured SMTP server (`CONDUCTOR_SMTP_*`).

    The envelope recipients are `recipients` — never the message's own headers — so a header
    cannot add an address.
    """
    host = settings.smtp_host or ""
    port = settings.smtp_port or DEFAULT_PORTS[settings.smtp_security]
    context = ssl.create_default_context()
    if settings.smtp_security == "ssl":
        server: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=SMTP_TIMEOUT_S, context=context)
    else:
        server = smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT_S)
    with server:
        server.ehlo()
        if settings.smtp_security == "starttls":
            server.starttls(context=context)
            server.ehlo()
        if settings.smtp_username and settings.smtp_password:
            try:
                server.login(settings.smtp_username, settings.smtp_password.get_secret_value())
            except smtplib.SMTPException as exc:
                # The server's reply may echo the AUTH exchange; report only the code.
                code = getattr(exc, "smtp_code", "?")
                raise smtplib.SMTPException(
                    f"SMTP login as {settings.smtp_username} failed (code {code}); "
                    "check CONDUCTOR_SMTP_USERNAME/_PASSWORD"
                ) from None
        server.send_message(message, from_addr=_envelope_sender(settings), to_addrs=recipients)


def _envelope_sender(settings: Settings) -> str:
    return parseaddr(settings.email_from)[1] or settings.email_from


def write_eml(message: EmailMessage, directory: Path, key: str) -> Path:
    """Write `message` to `directory/<key>.eml` atomically (temp file + rename)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / eml_filename(key)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".eml")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(message.as_bytes())
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide the file from the mail client's user
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def deliver(
    update: RenderedUpdate,
    *,
    key: str,
    period: str,
    recipients: Sequence[str],
    settings: Settings,
    wait_s: float = WAIT_FOR_OTHER_SENDER_S,
) -> dict[str, Any]:
    """Claim `key` in the outbox and deliver `update` once; safe to call any number of times.

    Returns `{"key", "status", "recipients", "subject", "message_id", "path"?}` where status is
    `sent` (SMTP), `written` (`.eml` file), `already_sent` (an earlier call delivered it) or
    `in_progress` (another live run is sending and did not finish within `wait_s`). A delivery
    error marks the row `failed` and is re-raised, so a retry can claim it again.

    Senders take turns under the `conductor-send` run lock, which dies with its holder: a row
    still `sending` when we hold the lock was claimed by a run that died, and is taken over at
    once instead of after the outbox's lease.
    """
    engine = get_engine(settings.database_url)
    outbox.ensure_entry(
        key,
        audience=update.audience,
        sprint_id=update.sprint_id,
        period=period,
        subject=update.subject,
        recipients=recipients,
        engine=engine,
    )
    result: dict[str, Any] = {
        "key": key,
        "recipients": list(recipients),
        "subject": update.subject,
    }
    try:
        with run_lock(SEND_LOCK, settings.database_url, wait_s=wait_s):
            claimed_at = outbox.claim(
                key,
                subject=update.subject,
                recipients=recipients,
                lease=timedelta(0),
                engine=engine,
            )
            if claimed_at is None:
                return {**result, **_already_sent(key, engine)}
            return {**result, **_send(update, key, claimed_at, recipients, settings, engine)}
    except LockBusyError:
        return {**result, "status": IN_PROGRESS}


def _already_sent(key: str, engine: Engine) -> dict[str, Any]:
    """What the earlier delivery of `key` recorded (only a `sent` row cannot be claimed)."""
    entry = outbox.get_entry(key, engine=engine) or {}
    done: dict[str, Any] = {
        "status": ALREADY_SENT,
        "subject": entry.get("subject"),
        "recipients": list(entry.get("recipients") or []),
        "message_id": entry.get("provider_message_id"),
    }
    if entry.get("eml_path"):
        done["path"] = entry["eml_path"]
    return done


def _send(
    update: RenderedUpdate,
    key: str,
    claimed_at: datetime,
    recipients: Sequence[str],
    settings: Settings,
    engine: Engine,
) -> dict[str, Any]:
    """Deliver under our claim, then record it; a failure releases the claim for a retry."""
    message_id = message_id_for(key, settings.email_from)
    message = compose_message(update, settings.email_from, recipients, message_id)
    path: Path | None = None
    try:
        if settings.smtp_configured:
            send_smtp(message, recipients, settings)
        else:
            path = write_eml(message, settings.outbox_dir, key)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        outbox.mark_failed(key, claimed_at, error, engine=engine)
        if not isinstance(exc, OSError | smtplib.SMTPException):
            raise
        where = (
            f"SMTP {settings.smtp_host}" if settings.smtp_configured else str(settings.outbox_dir)
        )
        transient = is_transient_smtp_failure(exc)
        raise DeliveryError(
            f"delivering {key} via {where} failed ({error.splitlines()[0][:200]}); "
            "check CONDUCTOR_SMTP_*" + (" — the next run retries it" if transient else ""),
            transient=transient,
        ) from exc
    outbox.mark_sent(
        key,
        claimed_at,
        message_id=message_id,
        eml_path=str(path) if path else None,
        engine=engine,
    )
    sent: dict[str, Any] = {"status": WRITTEN if path else SENT_SMTP, "message_id": message_id}
    if path:
        sent["path"] = str(path)
    return sent


def write_preview(update: RenderedUpdate, directory: Path) -> dict[str, str]:
    """Write the HTML and text parts (and chart) to `directory` for a look before sending.

    The HTML's `cid:` reference is pointed at the PNG written next to it, so the preview opens
    in a browser as the recipient will see it.
    """
    directory.mkdir(parents=True, exist_ok=True)
    stem = update.audience
    paths = {"html": directory / f"{stem}.html", "text": directory / f"{stem}.txt"}
    html = update.html
    if update.chart_png:
        paths["chart"] = directory / f"{stem}-burndown.png"
        paths["chart"].write_bytes(update.chart_png)
        html = html.replace(f"cid:{update.chart_cid}", paths["chart"].name)
    paths["html"].write_text(html, encoding="utf-8")
    paths["text"].write_text(update.text, encoding="utf-8")
    return {name: str(path) for name, path in paths.items()}
