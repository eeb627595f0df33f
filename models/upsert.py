"""Idempotent bulk upserts: one `INSERT … ON CONFLICT DO UPDATE` statement per batch.

Both SQLite and PostgreSQL support `ON CONFLICT`; SQLAlchemy builds it per dialect. A `compare`
column (a content hash) turns a no-op re-sync into zero row writes: the conflicting row is
updated only when its fingerprint differs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import func, or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel

from models.base import utcnow


def _insert_for(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert
    if dialect == "sqlite":
        return sqlite.insert
    raise NotImplementedError(f"upserts are implemented for SQLite and PostgreSQL, not {dialect}")


def bulk_upsert(
    session: Session,
    model: type[SQLModel],
    rows: Sequence[dict[str, Any]],
    *,
    keys: Sequence[str],
    compare: Sequence[str] = (),
    insert_only: Iterable[str] = (),
    keep_when_null: Iterable[str] = (),
    custom_updates: Callable[[Any, Any], dict[str, Any]] | None = None,
) -> None:
    """Insert `rows`, or update the existing row with the same `keys`.

    - `compare`: update only when one of these columns differs (unchanged rows are not rewritten).
    - `insert_only`: columns set on first insert and never overwritten (e.g. `first_seen_at`).
    - `keep_when_null`: columns where a NULL in the new row keeps the stored value (a person
      seen in a property has no email; that must not erase the one `users.list` gave).
    All rows must have the same columns.
    """
    if not rows:
        return
    table = model.__table__  # type: ignore[attr-defined]
    stmt = _insert_for(session)(table)
    excluded = stmt.excluded
    frozen = set(keys) | set(insert_only)
    keep = set(keep_when_null)
    updates = {
        name: func.coalesce(excluded[name], table.c[name]) if name in keep else excluded[name]
        for name in rows[0]
        if name not in frozen
    }
    if custom_updates:
        updates.update(custom_updates(table, excluded))
    where = (
        or_(*(table.c[name].is_distinct_from(excluded[name]) for name in compare))
        if compare
        else None
    )
    stmt = stmt.on_conflict_do_update(index_elements=list(keys), set_=updates, where=where)
    # executemany with one statement, compiled once (cached). Core statements run on the
    # session's own connection (same transaction): the ORM execute path adds nothing here but
    # per-call overhead on the sync's hottest path.
    session.connection().execute(stmt, list(rows))


def upsert_seen_pages(
    session: Session,
    model: type[SQLModel],
    rows: Sequence[dict[str, Any]],
    *,
    compare: Sequence[str],
) -> None:
    """Upsert Notion pages this sync saw, keyed by page id.

    Seeing a page clears `removed_at` (a page restored from Notion's trash comes back);
    `first_seen_at` is set once and kept; `updated_at` moves only when a `compare` column changed.
    """
    if not rows:
        return
    now = utcnow()
    seen = [{**row, "removed_at": None, "first_seen_at": now, "updated_at": now} for row in rows]
    bulk_upsert(session, model, seen, keys=["id"], compare=compare, insert_only=["first_seen_at"])
