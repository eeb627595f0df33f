"""Flow state hooks: a failed run says so in one line, mails the on-call address and posts to
chat when those are configured."""

from __future__ import annotations

import logging
from email.message import EmailMessage
from typing import Any

from models.settings import Settings, get_settings

log = logging.getLogger("conductor.alerts")


def failure_line(flow_name: str, run_name: str, message: str | None) -> str:
    """One line naming the flow, the run and why it failed (first line of the state message)."""
    reason = (message or "no message").strip().splitlines()[0][:300]
    return f"flow {flow_name} run {run_name} failed: {reason}"


def notify_failure(flow: Any, flow_run: Any, state: Any) -> None:
    """`on_failure` hook of every flow: log one clear line; mail `CONDUCTOR_ALERT_EMAIL` when
    SMTP is configured and post it to `CONDUCTOR_NOTIFY_URLS`. Never raises: an alert that
    fails must not mask the original failure.

    Only a top-level run alerts: a failing subflow fails its pipeline too, and one incident
    should be one alert (the pipeline's line names the failed step). The chat post is keyed by
    the run id, so a hook that fires twice for a run posts once.
    """
    line = failure_line(flow.name, flow_run.name, state.message)
    log.error(line)
    settings = get_settings()
    if getattr(flow_run, "parent_task_run_id", None) is not None:
        return
    _post_alert(str(flow_run.id), line, settings)
    if not (settings.smtp_configured and settings.alert_email):
        return
    from tasks.email.delivery import send_smtp

    message = EmailMessage()
    message["Subject"] = f"[Conductor] {flow.name} failed"
    message["From"] = settings.email_from
    message["To"] = settings.alert_email
    message.set_content(f"{line}\n\nOpen the run in the Prefect UI to see its logs.\n")
    try:
        send_smtp(message, [settings.alert_email], settings)
    except Exception as exc:  # the alert is best effort
        log.error(
            "could not mail the failure alert to %s: %s", settings.alert_email, type(exc).__name__
        )


def _post_alert(run_id: str, line: str, settings: Settings) -> None:
    """Post the alert to chat, best effort: a failure is logged by service name, never by URL."""
    if not settings.notify_urls:
        return
    from tasks.notify.posts import post_failure_alert

    try:
        post_failure_alert(run_id, line, settings)
    except Exception as exc:  # the alert is best effort
        log.error("could not post the failure alert to chat: %s", type(exc).__name__)
