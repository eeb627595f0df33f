"""The outboxes: at most one delivery per idempotency key, for email and for chat posts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from models.base import json_field, utcnow

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
#: A delivery the receiving service refused for good (e.g. an HTTP 4xx: a revoked webhook, a bad
#: token): never claimed again, so a dead URL is not retried forever.
REJECTED = "rejected"


class OutboxEmail(SQLModel, table=True):
    """A stakeholder message. `idempotency_key` (audience + sprint + period) is unique, so a task
    retry, a flow rerun or an overlapping run finds the existing row instead of sending again."""

    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(unique=True, max_length=255)
    audience: str = Field(max_length=64)
    sprint_id: str | None = Field(default=None, max_length=36)
    period: str = Field(max_length=32)
    subject: str = ""
    recipients: list[str] = json_field(default_factory=list)
    status: str = Field(default=PENDING, max_length=16, index=True)
    attempts: int = 0
    last_error: str | None = None
    provider_message_id: str | None = None
    eml_path: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    claimed_at: datetime | None = None
    sent_at: datetime | None = None
    meta: dict[str, Any] = json_field()


class OutboxPost(SQLModel, table=True):
    """One chat post: one message (`message_key`, e.g. `daily-summary:2026-11-24`) to one
    Apprise URL. `idempotency_key` is `{message_key}@{url_hash}` and unique, so each URL gets a
    message at most once however often the flow is rerun or retried.

    The URL itself is never stored: it holds the service's token. `url_hash` (SHA-256 of the
    URL) tells rows of different URLs apart, `service` ("Slack", "JSON") is for people.
    """

    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(unique=True, max_length=255)
    message_key: str = Field(max_length=160, index=True)
    url_hash: str = Field(max_length=64)
    service: str = Field(default="", max_length=64)
    title: str = ""
    status: str = Field(default=PENDING, max_length=16, index=True)
    attempts: int = 0
    last_error: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    claimed_at: datetime | None = None
    sent_at: datetime | None = None
