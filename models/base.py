"""Column types and clock helpers shared by every table module.

Times are *aware UTC* `datetime`s (SQLModel's `UTCDateTime`: `timestamptz` on PostgreSQL, UTC
text on SQLite), so comparisons and sync cursors are exact on both backends. Convert to
`CONDUCTOR_TIMEZONE` only when presenting a value or deciding which calendar day it belongs to.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Column, Field, SQLModel

#: Deterministic constraint names, so Alembic migrations are identical on SQLite and PostgreSQL.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
#: JSON on SQLite, JSONB on PostgreSQL (indexable, compact).
JsonType = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    """Current time, aware, in UTC."""
    return datetime.now(UTC)


def as_utc(value: datetime | None) -> datetime | None:
    """Normalise to aware UTC; naive input is taken to be UTC already."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def json_field(default_factory: Any = dict, **kwargs: Any) -> Any:
    """A JSON column with a fresh default per row."""
    return Field(
        default_factory=default_factory, sa_column=Column(JsonType, nullable=False), **kwargs
    )
