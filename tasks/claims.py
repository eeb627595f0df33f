"""The claim protocol behind every outbox: at most one delivery per idempotency key.

Shared by the email outbox (`tasks.email.outbox`, table `OutboxEmail`) and the chat outbox
(`tasks.notify.delivery`, table `OutboxPost`). A table takes part when it has the columns
`idempotency_key` (unique), `status`, `attempts`, `last_error`, `claimed_at` and `sent_at`.

1. `insert_if_absent` inserts the row with `INSERT … ON CONFLICT DO NOTHING` (first writer
   wins, later ones are no-ops);
2. `claim` flips it to `sending` with a *conditional* `UPDATE … WHERE status IN (pending,
   failed) OR (status = sending AND claimed_at < lease cutoff)`. The database serialises the
   two updates (a row lock on PostgreSQL, the write lock on SQLite), and the loser's WHERE no
   longer matches, so exactly one claimant gets `rowcount == 1`;
3. the winner delivers and calls `mark_sent` (or `mark_failed`), both conditional on its own
   `claimed_at`, so a claimant whose lease expired and was taken over cannot overwrite the
   new owner's result.

A `sent` row is never claimed again, nor is a `rejected` one (`mark_failed(final=True)`: the
receiver refused for good), nor a `failed` one that has used up `max_attempts`.

Every function runs in its own short transaction so a claim is visible to other processes
immediately. Works on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Table, and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from models.base import utcnow
from models.outbox import FAILED, PENDING, REJECTED, SENDING, SENT

_MAX_ERROR = 500


def insert_if_absent(table: Table, values: Mapping[str, Any], *, engine: Engine) -> None:
    """Create the `pending` row `values` describe unless one with its key exists (an existing
    row is left untouched, whatever its status)."""
    insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
    stmt = (
        insert(table)
        .values(status=PENDING, attempts=0, created_at=utcnow(), **values)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
    )
    with engine.begin() as connection:
        connection.execute(stmt)


def claim(
    table: Table,
    key: str,
    *,
    lease: timedelta,
    values: Mapping[str, Any] | None = None,
    max_attempts: int | None = None,
    engine: Engine,
) -> datetime | None:
    """Try to become the one sender of `key`. Returns the claim's `claimed_at` (the token the
    other calls need) when this caller won, None when the row is sent, rejected, out of
    attempts or held by someone else (a `sending` claim younger than `lease`).

    `values` are written with a successful claim, so the row records what was actually sent.
    """
    now = utcnow()
    claimable = table.c.status.in_([PENDING, FAILED])
    if max_attempts is not None:
        claimable = claimable & (table.c.attempts < max_attempts)
    stmt = (
        update(table)
        .where(
            table.c.idempotency_key == key,
            or_(claimable, (table.c.status == SENDING) & (table.c.claimed_at < now - lease)),
        )
        .values(status=SENDING, claimed_at=now, **(values or {}))
    )
    with engine.begin() as connection:
        won = connection.execute(stmt).rowcount == 1
    return now if won else None


def _still_claimed(table: Table, key: str, claimed_at: datetime) -> Any:
    """The row is `sending` under *this* claim."""
    return and_(
        table.c.idempotency_key == key,
        table.c.status == SENDING,
        table.c.claimed_at == claimed_at,
    )


def mark_sent(
    table: Table,
    key: str,
    claimed_at: datetime,
    *,
    values: Mapping[str, Any] | None = None,
    engine: Engine,
) -> bool:
    """Record a delivery (plus `values`). False when the claim was lost meanwhile (the row is
    left alone)."""
    stmt = (
        update(table)
        .where(_still_claimed(table, key, claimed_at))
        .values(status=SENT, sent_at=utcnow(), last_error=None, **(values or {}))
    )
    with engine.begin() as connection:
        return connection.execute(stmt).rowcount == 1


def mark_failed(
    table: Table,
    key: str,
    claimed_at: datetime,
    error: str,
    *,
    final: bool = False,
    engine: Engine,
) -> bool:
    """Record a failed attempt (`attempts` + 1, `last_error`). The row becomes claimable again
    (`failed`), or with `final` is `rejected` and never claimed again."""
    stmt = (
        update(table)
        .where(_still_claimed(table, key, claimed_at))
        .values(
            status=REJECTED if final else FAILED,
            attempts=table.c.attempts + 1,
            last_error=error[:_MAX_ERROR],
        )
    )
    with engine.begin() as connection:
        return connection.execute(stmt).rowcount == 1


def get_entry(table: Table, key: str, *, engine: Engine) -> dict[str, Any] | None:
    """The row for `key` as a dict, or None."""
    with engine.connect() as connection:
        row = connection.execute(select(table).where(table.c.idempotency_key == key)).first()
    return dict(row._mapping) if row else None
