"""Calendar arithmetic for sprint metrics: team-zone day boundaries and working days.

Sprint dates are calendar days in `CONDUCTOR_TIMEZONE`, but event times are aware UTC. Every
"state at the end of day D" question is therefore asked at one instant: the start of D + 1 in
the team's zone, converted to UTC. An event belongs to the state at instant `t` when `at < t`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def day_start(day: date, tz: ZoneInfo) -> datetime:
    """Midnight at the start of `day` in the team's zone, as aware UTC."""
    return datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)


def day_end(day: date, tz: ZoneInfo) -> datetime:
    """The instant the team's `day` ends (start of the next day), as aware UTC."""
    return day_start(day + timedelta(days=1), tz)


def days_between(first: date, last: date) -> Iterator[date]:
    """Every calendar day from `first` to `last`, both included (nothing when last < first)."""
    for offset in range((last - first).days + 1):
        yield first + timedelta(days=offset)


def is_working_day(day: date) -> bool:
    """Monday to Friday. Holidays are not modelled: the ideal line is a guide, not a promise."""
    return day.weekday() < 5


def working_days(first: date, last: date) -> int:
    """Working days from `first` to `last`, both included."""
    return sum(1 for day in days_between(first, last) if is_working_day(day))
