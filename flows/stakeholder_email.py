"""The weekly stakeholder update: report → render → claim → deliver, once per audience and week.

Scheduled Fridays 16:00 (`CONDUCTOR_TIMEZONE`). Running it again in the same ISO week finds the
outbox row already `sent` and sends nothing; `ad_hoc=True` keys the message by date instead, for
an extra update sent by hand.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact

from flows.hooks import notify_failure
from models import clock
from models.settings import get_settings
from tasks.email.delivery import (
    NoRecipientsError,
    configured_recipients,
    deliver_update,
    write_preview,
)
from tasks.email.outbox import adhoc_period, idempotency_key, weekly_period
from tasks.email.render import check_audience, collect_update_inputs, render_update
from tasks.templating import escape_markdown


@flow(
    name="stakeholder_email",
    flow_run_name="email-{audience}",
    log_prints=False,
    timeout_seconds=900,
    on_failure=[notify_failure],
)
def stakeholder_email(
    audience: str = "stakeholders",
    preview: bool = False,
    today: date | None = None,
    ad_hoc: bool = False,
) -> dict[str, Any]:
    """Send (or with `preview`, only render) the update for the current sprint.

    Returns `{"audience", "key", "status", "recipients", "subject", "path"?}`; status is `sent`,
    `written` (`.eml` outbox; `path` is the file), `already_sent`, `in_progress` (another run
    holds the claim) or `preview` (`path` is the HTML, `paths` every preview file). Sends also
    carry `message_id`. `today` defaults to the team's calendar day.
    """
    settings = get_settings()
    check_audience(audience)
    today = today or clock.local_today(settings.tz)
    recipients = _preview_recipients() if preview else configured_recipients(settings)
    inputs = collect_update_inputs(audience, today)
    update = render_update(inputs, audience)
    period = adhoc_period(today) if ad_hoc else weekly_period(today)
    key = idempotency_key(audience, update.sprint_id, period)
    if preview:
        paths = write_preview(update, settings.output_dir / "preview")
        result = {
            "audience": audience,
            "key": key,
            "status": "preview",
            "recipients": recipients,
            "subject": update.subject,
            "path": paths["html"],
            "paths": paths,
        }
    else:
        result = {"audience": audience, **deliver_update(update, key, period, recipients)}
    create_markdown_artifact(
        key=f"stakeholder-email-{audience}",
        markdown=_artifact(result),
        description=f"Stakeholder email ({audience})",
    )
    get_run_logger().info("%s: %s", key, result["status"])
    return result


def _preview_recipients() -> list[str]:
    """Who a send would go to; a preview works without any configured."""
    try:
        return configured_recipients()
    except NoRecipientsError:
        return []


def _artifact(result: dict[str, Any]) -> str:
    where = f"\n| file | `{result['path']}` |" if result.get("path") else ""
    return (
        f"## Stakeholder email: {result['status'].replace('_', ' ')}\n\n"
        f"| | |\n|---|---|\n"
        f"| subject | {escape_markdown(result['subject'])} |\n"
        f"| audience | {result['audience']} |\n"
        f"| recipients | {', '.join(result['recipients'])} |\n"
        f"| idempotency key | `{result['key']}` |"
        f"{where}\n"
    )


if __name__ == "__main__":
    from deployments import serve_deployments

    serve_deployments(get_settings().timezone, names=["stakeholder-email"])
