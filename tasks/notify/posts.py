"""The three things Conductor posts to chat, as plain steps a flow (or a hook) calls.

Each returns `tasks.notify.delivery.post_message`'s per-URL results, `[]` when
`CONDUCTOR_NOTIFY_URLS` is empty, and is safe to call again: the chat outbox posts each message
once per URL.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from models.db import get_engine, session_scope
from models.settings import Settings
from models.sprints import find_sprint
from tasks.metrics.report import sprint_report
from tasks.notify import messages
from tasks.notify.delivery import post_message
from tasks.notify.targets import configured_targets


def current_report(day: date, settings: Settings) -> dict[str, Any] | None:
    """The report of the sprint current on `day` (team calendar), or None when none is stored."""
    with session_scope(settings.database_url) as session:
        sprint = find_sprint(session, "current", day)
        return sprint_report(session, sprint, day, settings) if sprint else None


def post_daily_summary(
    day: date, text: str, generated_by: str, settings: Settings
) -> list[dict[str, Any]]:
    """The day's summary with the current sprint's figures; one post per day and URL."""
    if not settings.notify_urls:
        return []
    report = current_report(day, settings)
    message = messages.daily_summary_message(day, report, text, generated_by)
    return _post(message, settings)


def post_stakeholder_update(
    report: dict[str, Any], email_key: str, settings: Settings
) -> list[dict[str, Any]]:
    """The update's figures, keyed like its email: one post per audience, sprint and period."""
    if not settings.notify_urls:
        return []
    return _post(messages.stakeholder_update_message(report, email_key), settings)


def post_failure_alert(run_id: str, line: str, settings: Settings) -> list[dict[str, Any]]:
    """A failed run's one line; one post per run and URL."""
    if not settings.notify_urls:
        return []
    return _post(messages.failure_alert_message(run_id, line), settings)


def _post(message: messages.ChatMessage, settings: Settings) -> list[dict[str, Any]]:
    targets = configured_targets(settings)
    return post_message(message, targets, engine=get_engine(settings.database_url))
