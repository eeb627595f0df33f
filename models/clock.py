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


#: What a command or route accepts wherever it takes a day.
DAY_GRAMMAR = "today, yesterday or YYYY-MM-DD"


def parse_day(text: str | None, today: date) -> date:
    """`today`, `yesterday` (case-insensitive) or an ISO date; empty means today.

    `today` is the team's calendar day (`local_today`), so "yesterday" is the team's yesterday
    whatever the machine's zone. Raises `ValueError` naming the accepted forms.
    """
    value = (text or "").strip().lower()
    if value in ("", "today"):
        return today
    if value == "yesterday":
        return date.fromordinal(today.toordinal() - 1)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{text!r} is not a day: use {DAY_GRAMMAR}") from None
