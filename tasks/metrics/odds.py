"""The forecast with odds: how likely the remaining scope is done by the sprint's end, and by
when it will likely be done (docs/design.md §5, probabilistic forecast).

A Monte Carlo simulation over the team's own history: each trial draws a completed-points
figure for every working day left from the team's past working days (with replacement) until
the remaining points are covered. The history is the daily rise in completed points — canceled
work excluded, as everywhere (`tasks.metrics.scope`) — over the last closed sprints and the
current sprint's days before today. Reruns agree: the random generator is seeded from the sprint
and the day, so the same data on the same day always gives the same odds.
"""

from __future__ import annotations

import hashlib
import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import Session

from models import Sprint
from models.settings import Settings
from tasks.metrics.calendar import day_end, day_start, days_between, is_working_day
from tasks.metrics.scope import scope_timeline

#: Enough trials that a rerun's probability moves by well under a percentage point (the
#: standard error at p = 0.5 is 0.5 / sqrt(4000) ≈ 0.8 %), few enough to take milliseconds.
TRIALS = 4_000
#: A trial that has not finished after this many working days counts as "later than that".
HORIZON_WORKING_DAYS = 130


@dataclass(frozen=True)
class Odds:
    """`probability` that the remaining points are done by the end of the sprint (None when
    there is no history to draw from), and the p50/p85 completion dates (None when later than
    the horizon or unknown); `history_days` is how many past working days were drawn from."""

    probability: float | None
    p50: date | None
    p85: date | None
    history_days: int
    reason: str


def completed_by_day(
    session: Session, sprint: Sprint, today: date, settings: Settings
) -> list[tuple[date, float]]:
    """Completed points of `sprint` at the end of each of its days before `today` (its last
    day at most), after its start as `(start, points at its first midnight)`. One statement.
    A closed sprint's last entry is what it completed: velocity reads it from here, so a
    report replays each closed sprint's history once."""
    assert sprint.end is not None
    if sprint.start is None:  # an undated start: only where it ended is known
        [point] = scope_timeline(
            session,
            sprint.id,
            [day_end(sprint.end, settings.tz)],
            settings.blocked_statuses,
            settings.canceled_statuses,
        )
        return [(sprint.end, point.completed_points)]
    days = list(days_between(sprint.start, min(sprint.end, today - timedelta(days=1))))
    instants = [day_start(sprint.start, settings.tz), *(day_end(d, settings.tz) for d in days)]
    points = scope_timeline(
        session, sprint.id, instants, settings.blocked_statuses, settings.canceled_statuses
    )
    return list(zip([sprint.start, *days], (p.completed_points for p in points), strict=True))


def daily_throughputs(histories: Sequence[list[tuple[date, float]]]) -> list[float]:
    """Completed points gained on each working day of the `completed_by_day` histories (a day
    whose completed points fell, by a reopened ticket, counts as 0: nothing was finished)."""
    gains: list[float] = []
    for history in histories:
        for (_, before), (day, after) in itertools.pairwise(history):
            if is_working_day(day):
                gains.append(max(0.0, after - before))
    return gains


def completion_odds(
    remaining: float,
    throughputs: Sequence[float],
    first_day: date,
    end: date,
    seed: str,
    trials: int = TRIALS,
) -> Odds:
    """Simulate finishing `remaining` points, working from `first_day` (included) on, against
    the sprint's `end`; `seed` makes reruns agree."""
    if remaining <= 0:
        return Odds(1.0, None, None, len(throughputs), "nothing remaining")
    if not throughputs:
        return Odds(None, None, None, 0, "no finished working day in the history yet")
    if not any(throughputs):
        return Odds(0.0, None, None, len(throughputs), "no points completed on any past day")
    calendar = _working_days_from(first_day, HORIZON_WORKING_DAYS)
    rng = random.Random(int(hashlib.sha256(seed.encode()).hexdigest()[:16], 16))
    finished: list[int] = []
    for _ in range(trials):
        done, day = 0.0, 0
        while done < remaining and day < len(calendar):
            done += rng.choice(throughputs)
            day += 1
        finished.append(day - 1 if done >= remaining else len(calendar))
    by_end = sum(1 for index in finished if index < len(calendar) and calendar[index] <= end)
    finished.sort()

    def percentile(share: float) -> date | None:
        index = finished[min(len(finished) - 1, int(share * len(finished)))]
        return calendar[index] if index < len(calendar) else None

    return Odds(
        round(by_end / trials, 3),
        percentile(0.5),
        percentile(0.85),
        len(throughputs),
        f"{trials} trials over {len(throughputs)} past working days",
    )


def _working_days_from(first: date, count: int) -> list[date]:
    days, day = [], first
    while len(days) < count:
        if is_working_day(day):
            days.append(day)
        day += timedelta(days=1)
    return days


def odds_sentence(metrics: dict, end: str | None) -> str | None:
    """The odds in a lead's words, the same in every channel, e.g. "62% likely done by Fri
    4 Dec; 50% by Thu 3 Dec, 85% by Mon 7 Dec." None when there is no history to judge from."""
    probability = metrics.get("forecast_probability")
    if probability is None:
        return None
    dates = metrics.get("forecast_dates") or {}
    when = _day_label(end) if end else "the sprint's end"
    sentence = f"{round(100 * probability)}% likely done by {when}"
    p50, p85 = dates.get("p50"), dates.get("p85")
    if p50 and p85:
        sentence += f"; 50% by {_day_label(p50)}, 85% by {_day_label(p85)}"
    elif p50:
        sentence += (
            f"; 50% by {_day_label(p50)}, 85% later than {HORIZON_WORKING_DAYS} working days"
        )
    elif probability < 1:
        sentence += f"; not even half the trials finish within {HORIZON_WORKING_DAYS} working days"
    return sentence + "."


def _day_label(iso_day: str) -> str:
    day = date.fromisoformat(iso_day)
    return f"{day:%a} {day.day} {day:%b}"
