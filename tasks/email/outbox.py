"""The outbox: who may send a message, and what became of it. At most one delivery per key.

A message is identified by `idempotency_key = "{audience}:{sprint_id}:{period}"`. Sending is
guarded by a claim:

1. `ensure_entry` inserts the row with `INSERT … ON CONFLICT DO NOTHING` (first writer wins,
   later ones are no-ops);
2. `claim` flips it to `sending` with a *conditional* `UPDATE … WHERE status IN (pending,
   failed) OR (status = sending AND claimed_at < lease cutoff)`. The database serialises the
   two updates (a row lock on PostgreSQL, the write lock on SQLite), and the loser's WHERE no
   longer matches, so exactly one claimant gets `rowcount == 1`;
3. the winner delivers and calls `mark_sent` (or `mark_failed`), both conditional on its own
   `claimed_at`, so a claimant whose lease expired and was taken over cannot overwrite the
   new owner's result.

A `sent` row is never claimed again. Senders take turns under a run lock that dies with its
holder (`tasks.email.delivery`), so a row still `sending` when the next sender holds the lock
was claimed by a run that died: it is taken over at once (`lease=0`). Without that lock a claim
is honoured for `SENDING_LEASE`. The one window left is a crash after the SMTP server accepted
the message but before `mark_sent` committed: the next run sends it again, with the same
Message-ID (derived from the key), so mail clients that thread by Message-ID (Gmail among
them) show it once and anyone can recognise the resend.

Every function runs in its own short transaction so a claim is visible to other processes
immediately. Works on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from models.base import utcnow
from models.outbox import FAILED, PENDING, SENDING, SENT, OutboxEmail

#: How long a `sending` claim is honoured before another run may take it over. Longer than any
#: SMTP conversation (timeouts are 30 s), short enough that a crashed run is retried the same day.
SENDING_LEASE = timedelta(minutes=10)
_TABLE = OutboxEmail.__table__  # type: ignore[attr-defined]
_MAX_ERROR = 500


def idempotency_key(audience: str, sprint_id: str | None, period: str) -> str:
    """`{audience}:{sprint_id}:{period}` — one message per audience, sprint and period."""
    return f"{audience}:{sprint_id or 'none'}:{period}"


def weekly_period(day: date) -> str:
    """ISO week of `day`, e.g. `2026-W48`: the period of the scheduled Friday update."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def adhoc_period(day: date) -> str:
    """The date itself, e.g. `2026-11-27`: the period of an extra, hand-triggered update."""
    return day.isoformat()


def ensure_entry(
    key: str,
    *,
    audience: str,
    sprint_id: str | None,
    period: str,
    subject: str,
    recipients: Sequence[str],
    engine: Engine,
) -> None:
    """Create the `pending` row for `key` unless it exists (an existing row is left untouched)."""
    insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
    stmt = (
        insert(_TABLE)
        .values(
            idempotency_key=key,
            audience=audience,
            sprint_id=sprint_id,
            period=period,
            subject=subject,
            recipients=list(recipients),
            status=PENDING,
            attempts=0,
            created_at=utcnow(),
            meta={},
        )
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
    )
    with engine.begin() as connection:
        connection.execute(stmt)


def claim(
    key: str,
    *,
    subject: str | None = None,
    recipients: Sequence[str] | None = None,
    lease: timedelta = SENDING_LEASE,
    engine: Engine,
) -> datetime | None:
    """Try to become the one sender of `key`. Returns the claim's `claimed_at` (the token the
    other calls need) when this caller won, None when the row is sent or held by someone else.

    The subject and recipients are refreshed on a successful claim so the row records what was
    actually sent.
    """
    now = utcnow()
    values: dict[str, Any] = {"status": SENDING, "claimed_at": now}
    if subject is not None:
        values["subject"] = subject
    if recipients is not None:
        values["recipients"] = list(recipients)
    stmt = (
        update(_TABLE)
        .where(
            _TABLE.c.idempotency_key == key,
            or_(
                _TABLE.c.status.in_([PENDING, FAILED]),
                (_TABLE.c.status == SENDING) & (_TABLE.c.claimed_at < now - lease),
            ),
        )
        .values(**values)
    )
    with engine.begin() as connection:
        won = connection.execute(stmt).rowcount == 1
    return now if won else None


def _still_claimed(key: str, claimed_at: datetime) -> Any:
    """The row is `sending` under *this* claim: a sender whose lease expired and was taken over
    cannot overwrite the new owner's result."""
    return and_(
        _TABLE.c.idempotency_key == key,
        _TABLE.c.status == SENDING,
        _TABLE.c.claimed_at == claimed_at,
    )


def mark_sent(
    key: str,
    claimed_at: datetime,
    *,
    message_id: str | None = None,
    eml_path: str | None = None,
    engine: Engine,
) -> bool:
    """Record a delivery. False when the claim was lost meanwhile (the row is left alone)."""
    stmt = (
        update(_TABLE)
        .where(_still_claimed(key, claimed_at))
        .values(
            status=SENT,
            sent_at=utcnow(),
            provider_message_id=message_id,
            eml_path=eml_path,
            last_error=None,
        )
    )
    with engine.begin() as connection:
        return connection.execute(stmt).rowcount == 1


def mark_failed(key: str, claimed_at: datetime, error: str, *, engine: Engine) -> bool:
    """Record a failed attempt (`attempts` + 1, `last_error`), making the row claimable again."""
    stmt = (
        update(_TABLE)
        .where(_still_claimed(key, claimed_at))
        .values(status=FAILED, attempts=_TABLE.c.attempts + 1, last_error=error[:_MAX_ERROR])
    )
    with engine.begin() as connection:
        return connection.execute(stmt).rowcount == 1


def get_entry(key: str, *, engine: Engine) -> dict[str, Any] | None:
    """The outbox row for `key` as a dict, or None."""
    with engine.connect() as connection:
        row = connection.execute(select(_TABLE).where(_TABLE.c.idempotency_key == key)).first()
    return dict(row._mapping) if row else None
