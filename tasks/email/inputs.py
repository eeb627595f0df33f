"""What an update is built from, loaded from SQL: the current sprint's report, its burndown chart
and the latest daily summary (`UpdateInputs`). Rendering (`tasks.email.render`) reads no
database; this module is the email's only reader."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from models.base import as_utc
from models.db import session_scope
from models.errors import ConductorError
from models.settings import Settings
from models.sprints import find_sprint
from models.summaries import Summary, latest_summary
from models.sync import SyncState
from tasks.email.render import UpdateInputs, check_audience
from tasks.metrics.charts import burndown_png
from tasks.metrics.report import sprint_report


class NoSprintError(ConductorError):
    """No sprint is stored yet, so there is nothing to report."""


def load_update_inputs(audience: str, today: date, settings: Settings) -> UpdateInputs:
    """Load the current sprint's report, burndown chart and the latest daily summary.

    `today` is the team's calendar day (`CONDUCTOR_TIMEZONE`). Raises `NoSprintError` when no
    sprint is stored.
    """
    check_audience(audience)
    with session_scope(settings.database_url) as session:
        sprint = find_sprint(session, "current", today)
        if sprint is None:
            raise NoSprintError("no sprint is stored yet — run `conductor ingest` first")
        report = sprint_report(session, sprint, today, settings)
        summary = _summary_view(latest_summary(session))
        synced = last_ticket_sync(session)
    chart = burndown_png(report) if report.get("burndown") else None
    return UpdateInputs(
        report=report,
        today=today,
        summary=summary,
        chart_png=chart or None,
        figures_as_of=synced.astimezone(settings.tz) if synced else None,
    )


def last_ticket_sync(session: Session) -> datetime | None:
    """When tickets were last synced from Notion (aware UTC), or None if never: the stored
    figures are Notion's as of then, which is what the email's "as of" must say."""
    at = session.exec(
        select(func.max(SyncState.last_run_at)).where(SyncState.kind == "tickets")
    ).one()
    return as_utc(at) if at else None


def _summary_view(row: Summary | None) -> dict[str, Any] | None:
    """What the email shows of a summary: `{"day", "text", "generated_by"}`."""
    if row is None:
        return None
    return {"day": row.day, "text": row.text, "generated_by": row.generated_by}
