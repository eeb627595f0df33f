"""The sample workspace keeps its promises on every day, not just on `SAMPLE_TODAY`.

The demo builds the workspace for the real date, and the suite once failed on about 3 days in
60 because a fixture assumed what the generator did not promise. These are the promises the
suite and the demo rely on, checked for 60 consecutive days at the sizes the tests use.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from sandbox.sample import build_sample_workspace
from sandbox.sample_content import HOSTILE_TITLES
from sandbox.workspace import Workspace
from tests.factories import SAMPLE_TODAY

DAYS = [SAMPLE_TODAY + timedelta(days=offset) for offset in range(-30, 30)]


def broken_promises(workspace: Workspace, today: date) -> list[str]:
    """Every promise the workspace built for `today` breaks (empty when it keeps them all)."""
    broken: list[str] = []
    sprints = workspace.sprints()
    if [p.values["Status"] for p in sprints] != ["Completed"] * 6 + ["Active", "Planned"]:
        broken.append("six closed sprints, the active one, the planned one")
    current = workspace.current_sprint()
    dates = current.values["Dates"]
    if not (date.fromisoformat(dates.start) <= today <= date.fromisoformat(dates.end)):
        broken.append("the current sprint contains today")
    tickets = workspace.tickets()
    in_current = [p for p in tickets if current.id in p.values.get("Sprint", ())]
    for status in ("Blocked", "In Progress", "Todo"):
        if not any(p.values["Status"] == status and p.values.get("Points") for p in in_current):
            broken.append(f"a pointed {status!r} ticket in the current sprint")
    if not any("Points" not in p.values for p in in_current):
        broken.append("an unpointed ticket in the current sprint")
    for sprint in sprints[:6]:
        done = [
            p
            for p in tickets
            if p.values.get("Sprint") == (sprint.id,) and p.values["Status"] == "Done"
        ]
        if not done:
            broken.append(f"work done in {sprint.values['Name']}")
    horizon = datetime.combine(today, datetime.min.time(), UTC)
    if any(page.last_edited_time >= horizon for page in workspace.pages.values()):
        broken.append("every timestamp before today 00:00 UTC")
    titles = {workspace.title(p) for p in workspace.tickets(include_trashed=True)}
    if not titles >= set(HOSTILE_TITLES):
        broken.append("the hostile titles")
    if "Priya Raman" not in {person.name for person in workspace.people}:
        broken.append("Priya Raman, whom task intake tests assign work to")
    return broken


@pytest.mark.parametrize("n_tickets", [120, 400])
def test_the_sample_workspace_keeps_its_promises_on_60_consecutive_days(n_tickets: int) -> None:
    failures = {
        day.isoformat(): broken
        for day in DAYS
        if (broken := broken_promises(build_sample_workspace(day, n_tickets=n_tickets), day))
    }
    assert failures == {}
