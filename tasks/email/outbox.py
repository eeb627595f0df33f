"""The outbox: who may send a message, and what became of it. At most one delivery per key.

A message is identified by `idempotency_key = "{audience}:{sprint_id}:{period}"`. Sending is
guarded by the claim protocol of `tasks.claims` (insert the row if absent, claim it with a
conditional update that exactly one caller wins, then `mark_sent` or `mark_failed` under that
claim); this module binds it to the `OutboxEmail` table.

A `sent` row is never claimed again. Senders take turns under a run lock that dies with its
holder (`tasks.email.delivery`), so a row still `sending` when the next sender holds the lock
was claimed by a run that died: it is taken over at once (`lease=0`). Without that lock a claim
is honoured for `SENDING_LEASE`. The one window left is a crash after the SMTP server accepted
the message but before `mark_sent` committed: the next run sends it again, with the same
Message-ID (derived from the key), so mail clients that thread by Message-ID (Gmail among
them) show it once and anyone can recognise the resend.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from models.outbox import OutboxEmail
from tasks import claims

#: How long a `sending` claim is honoured before another run may take it over. Longer than any
#: SMTP conversation (timeouts are 30 s), short enough that a crashed run is retried the same day.
SENDING_LEASE = timedelta(minutes=10)
_TABLE = OutboxEmail.__table__  # type: ignore[attr-defined]


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
    claims.insert_if_absent(
        _TABLE,
        {
            "idempotency_key": key,
            "audience": audience,
            "sprint_id": sprint_id,
            "period": period,
            "subject": subject,
            "recipients": list(recipients),
            "meta": {},
        },
        engine=engine,
    )


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
    values: dict[str, Any] = {}
    if subject is not None:
        values["subject"] = subject
    if recipients is not None:
        values["recipients"] = list(recipients)
    return claims.claim(_TABLE, key, lease=lease, values=values, engine=engine)


def mark_sent(
    key: str,
    claimed_at: datetime,
    *,
    message_id: str | None = None,
    eml_path: str | None = None,
    engine: Engine,
) -> bool:
    """Record a delivery. False when the claim was lost meanwhile (the row is left alone)."""
    values = {"provider_message_id": message_id, "eml_path": eml_path}
    return claims.mark_sent(_TABLE, key, claimed_at, values=values, engine=engine)


def mark_failed(key: str, claimed_at: datetime, error: str, *, engine: Engine) -> bool:
    """Record a failed attempt (`attempts` + 1, `last_error`), making the row claimable again."""
    return claims.mark_failed(_TABLE, key, claimed_at, error, engine=engine)


def get_entry(key: str, *, engine: Engine) -> dict[str, Any] | None:
    """The outbox row for `key` as a dict, or None."""
    return claims.get_entry(_TABLE, key, engine=engine)
