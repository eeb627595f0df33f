"""The sample workspace's history: the sprint calendar and the tickets planned, worked and closed
in it, each with timestamps that tell a consistent story (see `sandbox.sample`)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sandbox.records import (
    DateValue,
    Link,
    Page,
    User,
    UserMention,
    _new_id,
    minute,
)
from sandbox.sample_content import (
    _CONTEXTS,
    _DESCRIPTIONS,
    _OBJECTS,
    _VERBS,
    EPIC_RELATED_COUNT,
    EPIC_TITLE,
    HOSTILE_TITLES,
    PAST_SPRINTS,
    PRIORITIES,
    SPRINT_ANCHOR,
    SPRINT_LENGTH_DAYS,
    TAGS,
)

#: Tickets at the head of the current sprint whose status and pointing are fixed (see `current`).
_ANCHORED_POSITIONS = 9


@dataclass(frozen=True, slots=True)
class _SprintSpan:
    page_id: str
    start: date
    end: date

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time(8), UTC)

    @property
    def end_at(self) -> datetime:
        # Sprints end on the Sunday; the work ends Friday evening.
        return datetime.combine(self.end - timedelta(days=2), time(18), UTC)


class _Timeline:
    """Plausible working-hours moments, all before `today` 00:00 UTC (the generation horizon)."""

    def __init__(self, rng: random.Random, today: date) -> None:
        self.rng = rng
        self.today = today
        self.horizon = datetime.combine(today, time(0), UTC) - timedelta(minutes=1)
        k = (today - SPRINT_ANCHOR).days // SPRINT_LENGTH_DAYS
        self.current_start = SPRINT_ANCHOR + timedelta(days=SPRINT_LENGTH_DAYS * k)
        # Keep sprint numbers positive (and monotonic) for dates long before the anchor.
        shift = 0 if k >= PAST_SPRINTS else 26 * (-(-(PAST_SPRINTS - k) // 26))
        self.current_number = k + 1 + shift

    def between(self, lo: datetime, hi: datetime) -> datetime:
        """A minute in [lo, hi] (clamped to the horizon), preferring weekdays 08:00-18:00."""
        hi = min(hi, self.horizon)
        lo = min(lo, hi)
        rng = self.rng
        days = (hi.date() - lo.date()).days
        for _ in range(4):
            day = lo.date() + timedelta(days=rng.randint(0, days))
            if day.weekday() >= 5 and rng.random() < 0.9:
                continue
            moment = datetime.combine(day, time(8), UTC) + timedelta(minutes=rng.randrange(600))
            if lo <= moment <= hi:
                return moment
        span = (hi - lo).total_seconds()
        return minute(lo + timedelta(seconds=rng.random() * span)) if span > 0 else minute(lo)

    def shortly_after(self, moment: datetime) -> datetime:
        """A few minutes after `moment` (a ticket created and never touched again)."""
        return min(moment + timedelta(minutes=self.rng.randrange(0, 6)), self.horizon)


def _make_sprints(
    timeline: _Timeline, rng: random.Random, data_source_id: str, people: list[User]
) -> list[Page]:
    pages = []
    for offset in range(-PAST_SPRINTS, 2):
        start = timeline.current_start + timedelta(days=SPRINT_LENGTH_DAYS * offset)
        end = start + timedelta(days=SPRINT_LENGTH_DAYS - 1)
        status = "Completed" if offset < 0 else "Active" if offset == 0 else "Planned"
        start_at = datetime.combine(start, time(8), UTC)
        created = timeline.between(start_at - timedelta(days=10), start_at - timedelta(days=3))
        if offset < 0:  # closed on the Monday after the sprint
            edited = timeline.between(
                start_at + timedelta(days=SPRINT_LENGTH_DAYS),
                start_at + timedelta(days=SPRINT_LENGTH_DAYS, hours=3),
            )
        elif offset == 0:  # activated on its first morning
            edited = timeline.between(start_at, start_at + timedelta(hours=2))
        else:
            created = timeline.between(start_at - timedelta(days=14), start_at - timedelta(days=5))
            edited = timeline.between(created, created + timedelta(days=3))
        editor = people[0].id
        pages.append(
            Page(
                id=_new_id(rng),
                data_source_id=data_source_id,
                created_time=created,
                last_edited_time=max(created, edited),
                created_by=editor,
                last_edited_by=editor,
                values={
                    "Name": f"Sprint {timeline.current_number + offset}",
                    "Dates": DateValue(start.isoformat(), end.isoformat()),
                    "Status": status,
                },
            )
        )
    return pages


_FIBONACCI = (1, 2, 3, 5, 8, 13)
_FIBONACCI_WEIGHTS = (15, 25, 25, 20, 10, 5)
_PRIORITY_WEIGHTS = (4, 18, 48, 30)
_TAG_COUNT_WEIGHTS = (25, 45, 22, 8)
_SHARES = (0.087,) * PAST_SPRINTS + (0.12, 0.09)  # past sprints, current, next; rest: backlog


def _make_tickets(
    timeline: _Timeline,
    n_tickets: int,
    data_source_id: str,
    sprint_pages: list[Page],
    users: list[User],
) -> list[Page]:
    """Tickets over closed sprints (mostly Done), the current one (a mix), next, and backlog."""
    rng = timeline.rng
    people = [u for u in users if u.type == "person"]
    bot = next(u for u in users if u.type == "bot")
    spans = [
        _SprintSpan(
            p.id,
            date.fromisoformat(p.values["Dates"].start),
            date.fromisoformat(p.values["Dates"].end),
        )
        for p in sprint_pages
    ]
    counts = [int(n_tickets * share) for share in _SHARES]
    counts.append(n_tickets - sum(counts))
    factory = _TicketFactory(timeline, data_source_id, people, bot)

    tickets: list[Page] = []
    for index, count in enumerate(counts):
        for position in range(count):
            if index < PAST_SPRINTS:
                page = factory.past(spans, index)
            elif index == PAST_SPRINTS:
                page = factory.current(spans, index, position)
            elif index == PAST_SPRINTS + 1:
                page = factory.next(spans, index)
            else:
                page = factory.backlog()
            tickets.append(page)

    tickets.sort(key=lambda p: p.created_time)
    for number, page in enumerate(tickets, start=1):
        page.unique_number = number
    _add_special_tickets(rng, tickets, spans[PAST_SPRINTS].page_id, timeline)
    return tickets


def _add_special_tickets(
    rng: random.Random, tickets: list[Page], current_sprint_id: str, timeline: _Timeline
) -> None:
    """Hostile titles, one epic with 30 related tickets, a few links and a few trashed pages."""
    if not tickets:
        return
    current = [p for p in tickets if current_sprint_id in p.values.get("Sprint", ())]
    epic = current[len(current) // 2] if current else tickets[len(tickets) // 2]
    epic.values["Name"] = EPIC_TITLE
    others = [p for p in tickets if p is not epic]
    epic.values["Related"] = tuple(
        p.id for p in rng.sample(others, min(EPIC_RELATED_COUNT, len(others)))
    )
    candidates = [p for p in others if p.id not in epic.values["Related"]] or others
    hostile = rng.sample(candidates, min(len(HOSTILE_TITLES), len(candidates)))
    for page, title in zip(hostile, HOSTILE_TITLES, strict=False):
        page.values["Name"] = title
    for page in rng.sample(others, len(others) // 25):
        if "Related" not in page.values:
            related = rng.sample(others, rng.randint(1, min(3, len(others))))
            page.values["Related"] = tuple(p.id for p in related if p is not page)
    keep = {p.id for p in hostile} | set(epic.values["Related"])
    trashable = [p for p in others if p.id not in keep and "Related" not in p.values]
    for page in rng.sample(trashable, min(len(trashable), max(1, len(tickets) // 150))):
        page.in_trash = True
        page.last_edited_time = timeline.between(page.last_edited_time, timeline.horizon)


class _TicketFactory:
    """Makes one ticket at a time for a given sprint position; all randomness from the timeline."""

    def __init__(
        self, timeline: _Timeline, data_source_id: str, people: list[User], bot: User
    ) -> None:
        self.timeline = timeline
        self.rng = timeline.rng
        self.data_source_id = data_source_id
        self.people = people
        self.bot = bot
        self.progress = min(
            1.0, (timeline.today - timeline.current_start).days / SPRINT_LENGTH_DAYS
        )

    def past(self, spans: list[_SprintSpan], index: int) -> Page:
        rng, span = self.rng, spans[index]
        created, sprint = self._planned_into(spans, index)
        r = rng.random()
        status = (
            "Done"
            if r < 0.88
            else "Won't Do"
            if r < 0.93
            else "In Progress"
            if r < 0.97
            else "Todo"
        )
        edited = self.timeline.between(max(created, span.start_at), span.end_at)
        return self._ticket(status, sprint, created, edited, span.end, unpointed=0.07)

    def current(self, spans: list[_SprintSpan], index: int, position: int) -> Page:
        rng, span = self.rng, spans[index]
        created, sprint = self._planned_into(spans, index)
        done = 0.1 + 0.55 * self.progress
        r = rng.random()
        # The first positions are the sprint's promised mix on any day (tests/
        # test_sample_workspace_dates.py): pointed Blocked, In Progress and Todo work, and one
        # unpointed ticket; the rest follows the sprint's progress.
        unpointed = 0.0 if position < _ANCHORED_POSITIONS - 1 else 1.0
        if position < 3:
            status = "Blocked"
        elif position < 6:
            status = "In Progress"
        elif position < _ANCHORED_POSITIONS:
            status = "Todo"
        elif r < done:
            status = "Done"
        elif r < done + 0.02:
            status = "Won't Do"
        elif r < done + 0.09:
            status = "Blocked"
        elif r < done + 0.19:
            status = "In Review"
        elif r < done + 0.39:
            status = "In Progress"
        else:
            status = "Todo"
        if status == "Todo" and rng.random() < 0.5:
            edited = self.timeline.shortly_after(created)
        else:
            edited = self.timeline.between(max(created, span.start_at), self.timeline.horizon)
        if position >= _ANCHORED_POSITIONS:
            unpointed = 0.1
        return self._ticket(status, sprint, created, edited, span.end, unpointed=unpointed)

    def next(self, spans: list[_SprintSpan], index: int) -> Page:
        rng, span = self.rng, spans[index]
        current_start = spans[index - 1].start_at
        created = self.timeline.between(current_start - timedelta(days=3), self.timeline.horizon)
        r = rng.random()
        status = "Todo" if r < 0.85 else "Backlog" if r < 0.95 else "In Progress"
        edited = self.timeline.between(created, self.timeline.horizon)
        return self._ticket(status, (span.page_id,), created, edited, span.end, unpointed=0.15)

    def backlog(self) -> Page:
        rng, timeline = self.rng, self.timeline
        lo = datetime.combine(timeline.today - timedelta(days=200), time(8), UTC)
        created = timeline.between(lo, timeline.horizon)
        r = rng.random()
        status = "Backlog" if r < 0.7 else "Todo" if r < 0.9 else "Won't Do" if r < 0.96 else "Done"
        if rng.random() < 0.6:
            edited = timeline.between(created, timeline.horizon)
        else:
            edited = timeline.shortly_after(created)
        due_anchor = (created + timedelta(days=30)).date()
        return self._ticket(status, (), created, edited, due_anchor, unpointed=0.3, assigned=0.4)

    def _planned_into(
        self, spans: list[_SprintSpan], index: int
    ) -> tuple[datetime, tuple[str, ...]]:
        """Creation time and sprint relation: planned before start, added mid-sprint, or carried over."""
        rng, span = self.rng, spans[index]
        r = rng.random()
        if index > 0 and r < 0.12:
            previous = spans[index - 1]
            created = self.timeline.between(previous.start_at - timedelta(days=5), previous.end_at)
            keeps_old = rng.random() < 0.3  # some teams add the new sprint and keep the old one
            sprint = (previous.page_id, span.page_id) if keeps_old else (span.page_id,)
            return created, sprint
        if r < 0.75:
            lo, hi = span.start_at - timedelta(days=10), span.start_at - timedelta(hours=1)
        else:
            lo, hi = span.start_at, span.start_at + timedelta(days=9)
        return self.timeline.between(lo, hi), (span.page_id,)

    def _ticket(
        self,
        status: str,
        sprint: tuple[str, ...],
        created: datetime,
        edited: datetime,
        due_anchor: date,
        *,
        unpointed: float,
        assigned: float = 0.88,
    ) -> Page:
        rng = self.rng
        values: dict[str, Any] = {
            "Name": f"{rng.choice(_VERBS)} {rng.choice(_OBJECTS)}{rng.choice(_CONTEXTS)}",
            "Status": status,
        }
        if sprint:
            values["Sprint"] = sprint
        if rng.random() >= unpointed:
            values["Points"] = rng.choices(_FIBONACCI, _FIBONACCI_WEIGHTS)[0]
        if rng.random() < assigned:
            count = 2 if rng.random() < 0.12 else 1
            values["Assignee"] = tuple(p.id for p in rng.sample(self.people, count))
        if rng.random() >= 0.03:
            values["Priority"] = rng.choices(PRIORITIES, _PRIORITY_WEIGHTS)[0]
        tags = rng.sample(TAGS, rng.choices(range(4), _TAG_COUNT_WEIGHTS)[0])
        if tags:
            values["Tags"] = tuple(tags)
        if rng.random() < 0.28:
            values["Due"] = self._due(due_anchor)
        if rng.random() < 0.65:
            values["Description"] = self._description()
        author = self.bot.id if rng.random() < 0.05 else rng.choice(self.people).id
        assignees = values.get("Assignee") or (author,)
        editor = rng.choice(assignees) if edited > created else author
        if editor == self.bot.id:
            editor = rng.choice(self.people).id if edited > created else editor
        return Page(
            id=_new_id(rng),
            data_source_id=self.data_source_id,
            created_time=created,
            last_edited_time=max(created, edited),
            created_by=author,
            last_edited_by=editor,
            values=values,
        )

    def _due(self, anchor: date) -> DateValue:
        rng = self.rng
        day = anchor + timedelta(days=rng.randint(-4, 3))
        r = rng.random()
        if r < 0.7:
            return DateValue(day.isoformat())
        if r < 0.8:
            return DateValue(day.isoformat(), (day + timedelta(days=rng.randint(1, 4))).isoformat())
        hour = rng.choice((9, 12, 17))
        offset = rng.choice(("+00:00", "+01:00", "-05:00", "+05:30", "-08:00"))
        start = f"{day.isoformat()}T{hour:02d}:00:00.000{offset}"
        if r < 0.9:
            return DateValue(start)
        if r < 0.96:
            return DateValue(start, f"{day.isoformat()}T{hour + 2:02d}:00:00.000{offset}")
        zone = rng.choice(("Europe/Berlin", "America/New_York", "Asia/Tokyo"))
        return DateValue(f"{day.isoformat()}T{hour:02d}:00:00.000", None, zone)

    def _description(self) -> str | tuple[str | UserMention | Link, ...]:
        rng = self.rng
        text = rng.choice(_DESCRIPTIONS)
        r = rng.random()
        if r < 0.2:
            return ("Pairing with ", UserMention(rng.choice(self.people).id), f" on this. {text}")
        if r < 0.3:
            number = rng.randint(10, 99)
            return (
                f"{text} See ",
                Link(f"RFC-{number}", f"https://docs.acme.dev/rfc/{number}"),
                " for context.",
            )
        return text
