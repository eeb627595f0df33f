"""`GET /sprint/current`: the current sprint's report."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException

from api.deps import SessionDep, SettingsDep
from models import clock
from models.sprints import find_sprint
from tasks.metrics.report import sprint_report

router = APIRouter(tags=["sprints"])


@router.get("/sprint/current")
def current_sprint(session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    """The current sprint report (docs/design.md §3 `sprint --json` shape)."""
    today = clock.local_today(settings.tz)
    sprint = find_sprint(session, "current", today)
    if sprint is None:
        raise HTTPException(404, "no sprints stored yet: run `conductor ingest` first")
    return sprint_report(session, sprint, today, settings)
