"""The team's clock: what "now" and "today" are in `CONDUCTOR_TIMEZONE`.

Every command, flow and API route asks here, so they agree on the date, and the test suite can
pin one "today" for the sample workspace (tests/conftest.py) instead of depending on the day
it runs. Stored timestamps use `models.base.utcnow`, which is not the team's calendar.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo


def local_now(tz: tzinfo) -> datetime:
    """The current time in the team's zone (aware)."""
    return datetime.now(tz)


def local_today(tz: tzinfo) -> date:
    """The team's calendar day right now."""
    return local_now(tz).date()
