"""Per-data-source sync bookkeeping."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from models.base import json_field, utcnow


class SyncState(SQLModel, table=True):
    """Where the incremental sync of one Notion data source stands.

    `cursor` is the newest `last_edited_time` whose page is committed; the next sync asks for
    pages edited on or after `cursor - lookback`, because Notion truncates edit times to the
    minute. It advances only after the batch that contains it has been committed.
    """

    data_source_id: str = Field(primary_key=True, max_length=36)
    kind: str = Field(max_length=16)
    database_id: str | None = Field(default=None, max_length=36)
    cursor: datetime | None = None
    last_full_scan_at: datetime | None = None
    last_run_at: datetime | None = None
    last_run_stats: dict[str, Any] = json_field()
    updated_at: datetime = Field(default_factory=utcnow)
