"""Pages Conductor publishes into Notion, remembered so a rerun updates them in place.

One row per published report (`key`: `daily-summary:<date>` or `sprint-report:<sprint id>`).
The page id is a hint, not the truth: the publisher checks it is still alive in Notion, and
without a row (a new database) it looks for the page by title under the reports page first.
A failed publish is recorded on the same row (`last_error`) and keeps the page id it had.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field, Session, SQLModel

from models.base import utcnow
from models.upsert import bulk_upsert

PUBLISHED, FAILED = "published", "failed"


class NotionPublication(SQLModel, table=True):
    """Where one report lives in Notion and how its last publish went."""

    key: str = Field(primary_key=True, max_length=128)
    title: str = Field(max_length=255)
    parent_page_id: str = Field(max_length=36)
    page_id: str | None = Field(default=None, max_length=36)
    url: str | None = None
    status: str = Field(default=PUBLISHED, max_length=16)
    content_hash: str = Field(default="", max_length=64)
    blocks: int = 0
    requests: int = 0
    last_error: str | None = None
    published_at: datetime | None = None
    updated_at: datetime = Field(default_factory=utcnow)


def publication(session: Session, key: str) -> NotionPublication | None:
    """The stored row for `key`, or None."""
    return session.get(NotionPublication, key)


def save_publication(session: Session, row: dict[str, Any]) -> None:
    """Upsert the row for `row["key"]` (one `INSERT … ON CONFLICT`, so reruns and overlapping
    publishes of the same report converge on one row). A NULL `page_id` (a failed first
    publish) keeps the id already stored; the caller commits."""
    bulk_upsert(
        session,
        NotionPublication,
        [{**row, "updated_at": utcnow()}],
        keys=["key"],
        keep_when_null=["page_id", "url", "published_at"],
    )
