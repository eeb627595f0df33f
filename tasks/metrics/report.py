"""The sprint report: every number of docs/design.md §3 `sprint --json` and the reasons behind them.

Definitions follow docs/design.md §5. Times: the sprint runs from the start of its first day to the end
of its last day in `CONDUCTOR_TIMEZONE`; "now" for a running sprint is the end of `today`, for a
closed one the end of its last day. Points are rounded to 2 decimals only when presented.
"""

from __future__ import annotations

import statistics
from datetime import date, timedelta
from typing import Any

from sqlmodel import Session, select

from models import Sprint, SprintSnapshot
from models.base import as_utc
from models.settings import Settings
from tasks.metrics.breakdown import (
    assignee_load,
    assignee_names,
    attention_tickets,
    carried_over,
    cycle_times,
    status_breakdown,
)
from tasks.metrics.calendar import day_end, day_start, days_between, working_days
from tasks.metrics.odds import completed_by_day, completion_odds, daily_throughputs
from tasks.metrics.scope import ScopePoint, sprint_states

#: Velocity is the mean completed points of this many most recent closed sprints.
VELOCITY_SPRINTS = 3
#: In-progress tickets whose status has not changed for this many days are "aging".
AGING_DAYS = 3
#: Capacity at or above this share of the remaining points is "at risk" rather than "off track".
AT_RISK_SHARE = 0.7

ON_TRACK, AT_RISK, OFF_TRACK = "on_track", "at_risk", "off_track"


def sprint_report(session: Session, sprint: Sprint, today: date, settings: Settings) -> dict:
    """Where `sprint` stands on `today` (team calendar day), as JSON-ready data.

    Shape: docs/design.md §3 (`sprint`, `metrics`, `by_status`, `by_assignee`, `burndown`, `blocked`)
    plus `forecast_detail`, `cycle_time`, `aging`, `at_risk`, `unpointed`, `carry_over`.
    Reads only (its one write is a temporary table on the session's own connection, see
    `sprint_states`); safe to call from the CLI while a flow writes.
    """
    return _sprint_report(session, sprint, today, settings, whole=True)


def sprint_figures(
    session: Session,
    sprint: Sprint,
    today: date,
    settings: Settings,
    at_risk_limit: int | None = None,
) -> dict:
    """The part of `sprint_report` the daily summary reads — `sprint`, `metrics`,
    `forecast_detail`, and `at_risk` (its rows without `assignees`; the first `at_risk_limit`
    of them) with `at_risk_count` — computed by the same code, without the listings, breakdowns
    and cycle times it does not show (at 100k tickets in one sprint those cost more than the
    figures)."""
    return _sprint_report(session, sprint, today, settings, whole=False, limit=at_risk_limit)


def _sprint_report(
    session: Session,
    sprint: Sprint,
    today: date,
    settings: Settings,
    *,
    whole: bool,
    limit: int | None = None,
) -> dict:
    """`sprint_report` (`whole`), or `sprint_figures` (at most `limit` at-risk rows)."""
    tz = settings.tz
    start = sprint.start or today
    end = sprint.end or start
    started = start <= today
    days = list(days_between(start, min(today, end))) if started else []
    instants = [day_start(start, tz), *(day_end(day, tz) for day in days)]
    if not started:
        instants = [day_end(today, tz)]
    at, at_idx = instants[-1], len(instants) - 1
    closed = end < today
    # A closed sprint's carry-over also needs where its tickets are now: one more instant.
    statuses = settings.blocked_statuses, settings.canceled_statuses
    later = [day_end(today, tz)] if closed else []
    reference_day = min(today, end)

    def days_in_status(ticket: Any) -> int:
        since = as_utc(ticket.status_since)
        return (reference_day - since.astimezone(tz).date()).days if since else 0

    at_risk_count: int | None = None
    with sprint_states(session, sprint.id, instants, later, *statuses) as view:
        timeline, states = view.timeline, view.table
        if whole:
            listed = attention_tickets(session, states, at_idx)
            cycles = cycle_times(session, states, at_idx, at)
            carry_over = (
                carried_over(session, states, sprint.id, at_idx, at_idx + 1) if closed else []
            )
            by_status = status_breakdown(session, states, at_idx)
            by_assignee = assignee_load(session, states, at_idx)
        else:
            # Only what `at_risk` can hold: blocked, or in progress since before the first day
            # that counts as aging (the same test as `aging` below, done in SQL).
            aging_from = day_start(reference_day - timedelta(days=AGING_DAYS - 1), tz)
            listed = attention_tickets(session, states, at_idx, aging_from, detail=limit is None)
            if limit is not None:
                # Ranked on what ranks them; only the first `limit` are then read in full.
                ages = {ticket.id: days_in_status(ticket) for ticket in listed}
                order = [t for group in _at_risk_groups(listed, ages) for t in _ranked(group, ages)]
                at_risk_count = len(order)
                keep = [ticket.id for ticket in order[:limit]]
                listed = attention_tickets(session, states, at_idx, aging_from, ids=keep)
    now = timeline[-1]
    committed = timeline[0].scope_points
    # Velocity: the mean completed points of the last closed sprints, recomputed from events
    # (not read from stored snapshots, which hold what a rollup counted then: a team that later
    # names a status canceled must see its velocity lose that work too). The same histories
    # feed the odds, so each closed sprint is replayed once.
    histories = [
        completed_by_day(session, s, today, settings) for s in _closed_sprints(session, today)
    ]
    velocity = sum(h[-1][1] for h in histories) / len(histories) if histories else None
    current = _completed_before(sprint, days, timeline, today)
    odds = _odds(sprint, histories, current, today, now)
    forecast, forecast_detail = _forecast(start, end, today, now)

    # `sprint_figures` rows carry no assignees: the summary looks up those of the few it shows.
    names = assignee_names(session, [ticket.id for ticket in listed]) if whole else None

    def entry(ticket: Any, **extra: Any) -> dict[str, Any]:
        row = {"id": ticket.id, "key": ticket.key, "title": ticket.title, "url": ticket.url}
        if names is not None:
            row["assignees"] = names.get(ticket.id, [])
        return {**row, "status": ticket.status, "points": ticket.points, **extra}

    in_status = {ticket.id: days_in_status(ticket) for ticket in listed}
    blocked_tickets, aging_tickets = _at_risk_groups(listed, in_status)
    if at_risk_count is None:
        at_risk_count = len(blocked_tickets) + len(aging_tickets)
    blocked = [entry(t, days_blocked=in_status[t.id]) for t in blocked_tickets]
    aging = [entry(t, days_in_status=in_status[t.id]) for t in aging_tickets]
    at_risk = attention_list(blocked, aging)
    figures = {
        "sprint": {
            "id": sprint.id,
            "name": sprint.name,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "status": sprint.status,
            "url": sprint.url,
            "closed": closed,
            "as_of": today.isoformat(),
        },
        "metrics": {
            "scope_points": _pts(now.scope_points),
            "committed_points": _pts(committed),
            "added_points": _pts(sum(p.added_points for p in timeline[1:])),
            "removed_points": _pts(sum(p.removed_points for p in timeline[1:])),
            "completed_points": _pts(now.completed_points),
            "remaining_points": _pts(now.remaining_points),
            "completion_pct": _pct(now.completed_points, now.scope_points),
            "ticket_count": now.scope_count,
            "done_count": now.done_count,
            "blocked_count": now.blocked_count,
            "unpointed_count": now.unpointed_count,
            "canceled_count": now.canceled_count,
            "canceled_points": _pts(now.canceled_points),
            "velocity": None if velocity is None else _pts(velocity),
            "forecast": forecast,
            "forecast_probability": odds["forecast_probability"],
            "forecast_dates": odds["forecast_dates"],
            "committed_estimated": as_utc(sprint.first_seen_at) > instants[0] if started else True,
        },
        "forecast_detail": {**forecast_detail, "odds": odds["forecast_odds_detail"]},
        "at_risk": at_risk,
    }
    if not whole:
        return {**figures, "at_risk_count": at_risk_count}
    return {
        **figures,
        "by_status": by_status,
        "by_assignee": by_assignee,
        "burndown": _burndown(session, sprint, days, timeline[1:], committed, today),
        # Where the lines start (the state at the sprint's first midnight): scope is the
        # committed points, remaining less any of it already done then.
        "burndown_start": {
            "scope_points": _pts(committed),
            "remaining_points": _pts(timeline[0].remaining_points),
        },
        "blocked": blocked,
        "aging": aging,
        "unpointed": [entry(t) for t in listed if t.points is None],
        "cycle_time": {
            "median_days": round(statistics.median(cycles), 2) if cycles else None,
            "p85_days": round(_percentile(cycles, 0.85), 2) if cycles else None,
            "count": len(cycles),
            # Done tickets we never saw in progress (done before the first sync, or moved
            # straight to done): Notion keeps no status history, so their start is unknown.
            "unmeasured_count": max(0, now.done_count - len(cycles)),
        },
        "carry_over": {
            "count": len(carry_over),
            "points": _pts(sum(row["points"] or 0 for row in carry_over)),
            "tickets": carry_over,
        },
    }


def attention_list(
    blocked: list[dict[str, Any]], aging: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The one ranked list of what needs attention in a sprint, which every channel (CLI, report,
    email, daily summary, artifacts) shows as is: blocked tickets, longest blocked first, then
    aging work in progress, longest in its status first; ties by key. Each row says why."""

    def ranked(rows: list[dict[str, Any]], days: str) -> list[dict[str, Any]]:
        return sorted(rows, key=lambda row: _urgency(row[days], row["key"], row["id"]))

    return [
        {**row, "reason": f"blocked for {row['days_blocked']} d"}
        for row in ranked(blocked, "days_blocked")
    ] + [
        {**row, "reason": f"in progress for {row['days_in_status']} d"}
        for row in ranked(aging, "days_in_status")
    ]


def _urgency(days: int, key: str | None, ticket_id: str) -> tuple[int, str, str]:
    """How `attention_list` ranks: longest in its state first, then by key."""
    return (-days, key or "", ticket_id)


def _at_risk_groups(tickets: list[Any], days: dict[str, int]) -> tuple[list[Any], list[Any]]:
    """Of the listed tickets, the blocked ones and the aging ones (in progress for AGING_DAYS
    days or more), in the listing's order."""
    blocked = [t for t in tickets if t.blocked]
    aging = [
        t
        for t in tickets
        if not t.blocked and t.category == "in_progress" and days[t.id] >= AGING_DAYS
    ]
    return blocked, aging


def _ranked(tickets: list[Any], days: dict[str, int]) -> list[Any]:
    """`tickets` as `attention_list` ranks their rows."""
    return sorted(tickets, key=lambda t: _urgency(days[t.id], t.key, t.id))


def _burndown(
    session: Session,
    sprint: Sprint,
    days: list[date],
    day_points: list[ScopePoint],
    committed: float,
    today: date,
) -> list[dict[str, Any]]:
    """Scope and remaining points at the end of each day: the stored snapshot for past days
    (what a rollup saw then), the live figures for today; both from the same source, so a
    chart's scope line is never below its remaining line. Ideal: committed down to 0 over
    working days."""
    start, end = sprint.start or today, sprint.end or today
    stored = {
        snap.day: (snap.scope_points, snap.remaining_points)
        for snap in session.exec(
            select(SprintSnapshot).where(
                SprintSnapshot.sprint_id == sprint.id, SprintSnapshot.day < today
            )
        )
    }
    total = working_days(start, end)
    rows = []
    for day, point in zip(days, day_points, strict=True):
        done = working_days(start, day)
        ideal = committed * (1 - done / total) if total else 0.0
        live = (point.scope_points, point.remaining_points)
        scope, remaining = stored.get(day, live) if day < today else live
        rows.append(
            {
                "date": day.isoformat(),
                "scope_points": _pts(scope),
                "remaining_points": _pts(remaining),
                "ideal_points": _pts(ideal),
            }
        )
    return rows


def _closed_sprints(session: Session, today: date) -> list[Sprint]:
    """The last VELOCITY_SPRINTS sprints that ended before `today`, newest first."""
    return list(
        session.exec(
            select(Sprint)
            .where(Sprint.removed_at.is_(None), Sprint.end < today)  # type: ignore[union-attr,operator]
            .order_by(Sprint.end.desc())  # type: ignore[union-attr]
            .limit(VELOCITY_SPRINTS)
        ).all()
    )


def _completed_before(
    sprint: Sprint, days: list[date], timeline: list[ScopePoint], today: date
) -> list[tuple[date, float]]:
    """This sprint's `completed_by_day` history, read off the report's own timeline (the same
    instants up to yesterday, from the same states) instead of replaying the sprint again:
    `(start, points at its first midnight)`, then the end of each day before `today`."""
    if sprint.start is None or sprint.end is None or not days:
        return []
    labels = [sprint.start, *(day for day in days if day < today)]
    return [(day, point.completed_points) for day, point in zip(labels, timeline, strict=False)]


def _odds(
    sprint: Sprint,
    closed: list[list[tuple[date, float]]],
    current: list[tuple[date, float]],
    today: date,
    now: ScopePoint,
) -> dict[str, Any]:
    """`forecast_probability` and `forecast_dates` (see `tasks.metrics.odds`), drawn from the
    closed sprints' and this sprint's (`current`) `completed_by_day` histories."""
    start, end = sprint.start or today, sprint.end or today
    history = daily_throughputs([*closed, current])
    odds = completion_odds(
        now.remaining_points, history, max(today, start), end, seed=f"{sprint.id}:{today}"
    )
    probability = odds.probability
    if end < today and probability is not None:
        probability = 1.0 if now.remaining_points <= 0 else 0.0  # the end is past: it is known
    return {
        "forecast_probability": probability,
        "forecast_dates": {
            "p50": odds.p50.isoformat() if odds.p50 else None,
            "p85": odds.p85.isoformat() if odds.p85 else None,
        },
        "forecast_odds_detail": {"history_days": odds.history_days, "reason": odds.reason},
    }


def _forecast(start: date, end: date, today: date, now: ScopePoint) -> tuple[str, dict]:
    """Daily throughput so far (completed points / working days before today) times the working
    days left (today included) against the remaining points."""
    elapsed = working_days(start, min(end, today - timedelta(days=1)))
    left = working_days(max(today, start), end) if today <= end else 0
    remaining = now.remaining_points
    detail: dict[str, Any] = {
        "working_days_elapsed": elapsed,
        "working_days_left": left,
        "completed_points": _pts(now.completed_points),
        "remaining_points": _pts(remaining),
        "throughput_per_day": None,
        "capacity_points": None,
        "at_risk_threshold": AT_RISK_SHARE,
    }
    if remaining <= 0:
        return ON_TRACK, {**detail, "reason": "nothing remaining"}
    if start > today:
        return ON_TRACK, {**detail, "reason": f"sprint starts on {start.isoformat()}"}
    if elapsed == 0 and left > 0:
        return ON_TRACK, {**detail, "reason": "no full working day yet, so no throughput to judge"}
    throughput = now.completed_points / elapsed if elapsed else 0.0
    capacity = throughput * left
    detail.update(throughput_per_day=_pts(throughput), capacity_points=_pts(capacity))
    reason = (
        f"{_pts(throughput)} pts/day x {left} working days left = {_pts(capacity)} pts "
        f"vs {_pts(remaining)} pts remaining"
    )
    if capacity >= remaining:
        return ON_TRACK, {**detail, "reason": reason}
    if capacity >= AT_RISK_SHARE * remaining:
        return AT_RISK, {**detail, "reason": reason + f" (≥ {AT_RISK_SHARE:.0%} of it)"}
    return OFF_TRACK, {**detail, "reason": reason + f" (< {AT_RISK_SHARE:.0%} of it)"}


def _percentile(values: list[float], share: float) -> float:
    """Linear-interpolated percentile of sorted `values` (same as numpy's default)."""
    position = (len(values) - 1) * share
    low = int(position)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (position - low)


def _pts(value: float) -> float:
    return round(float(value), 2) + 0.0


def _pct(part: float, whole: float) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0
