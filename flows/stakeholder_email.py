"""The weekly stakeholder update: report → render → claim → deliver, once per audience and week.

Scheduled Fridays 16:00 (`CONDUCTOR_TIMEZONE`). Running it again in the same ISO week finds the
outbox row already `sent` and sends nothing; `ad_hoc=True` keys the message by date instead, for
an extra update sent by hand.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.exceptions import MissingContextError
from prefect.tasks import exponential_backoff

from flows.chat import post_update_to_chat
from flows.hooks import notify_failure
from models import clock
from models.settings import Settings, get_settings
from tasks.email.delivery import (
    DeliveryError,
    NoRecipientsError,
    configured_recipients,
    deliver,
    write_preview,
)
from tasks.email.inputs import load_update_inputs
from tasks.email.outbox import adhoc_period, idempotency_key, weekly_period
from tasks.email.render import RenderedUpdate, UpdateInputs, check_audience, render_email
from tasks.retries import retry_when
from tasks.templating import escape_markdown


@task(
    name="collect-update-inputs",
    task_run_name="collect update inputs — {audience}, {today}",
    cache_policy=NO_CACHE,
)
def collect_update_inputs(audience: str, today: date) -> UpdateInputs:
    """`tasks.email.inputs.load_update_inputs`: the current sprint's report, chart and the
    latest daily summary."""
    return load_update_inputs(audience, today, get_settings())


@task(name="render-update", task_run_name="render update — {audience}", cache_policy=NO_CACHE)
def render_update(inputs: UpdateInputs, audience: str) -> RenderedUpdate:
    """`tasks.email.render.render_email`."""
    return render_email(inputs, audience)


@task(
    name="deliver-update",
    task_run_name="deliver update — {period}",
    retries=3,
    retry_delay_seconds=exponential_backoff(backoff_factor=30),
    retry_jitter_factor=0.5,
    retry_condition_fn=retry_when(lambda exc: isinstance(exc, DeliveryError) and exc.transient),
    cache_policy=NO_CACHE,
)
def deliver_update(
    update: RenderedUpdate, key: str, period: str, recipients: list[str]
) -> dict[str, Any]:
    """`tasks.email.delivery.deliver`: transient SMTP failures are retried with exponential
    backoff (30 s, 60 s, 120 s), permanent ones (refused login, 5xx) and bugs are not; the
    outbox claim makes every retry safe."""
    result = deliver(update, key=key, period=period, recipients=recipients, settings=get_settings())
    _logger().info(
        "%s %s to %d recipient(s): %s",
        key,
        result["status"],
        len(result["recipients"]),
        update.subject,
    )
    return result


def _logger() -> logging.Logger | logging.LoggerAdapter:
    """The run logger inside Prefect; the module logger when the body runs via `.fn()`."""
    try:
        return get_run_logger()
    except MissingContextError:
        return logging.getLogger(__name__)


def _run_name() -> str:
    """`email-stakeholders-2026-W49`, with `-preview` for a preview: a preview and a real send
    must not look alike in the UI. The period is the one the message is keyed by."""
    from prefect.runtime import flow_run

    params = flow_run.parameters
    today = params.get("today") or clock.local_today(get_settings().tz)
    today = date.fromisoformat(today) if isinstance(today, str) else today
    period = adhoc_period(today) if params.get("ad_hoc") else weekly_period(today)
    suffix = "-preview" if params.get("preview") else ""
    return f"email-{params.get('audience', 'stakeholders')}-{period}{suffix}"


@flow(
    name="stakeholder_email",
    flow_run_name=_run_name,
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
    carry `message_id`, and `chat` (one result per `CONDUCTOR_NOTIFY_URLS` entry) when chat is
    configured. `today` defaults to the team's calendar day.
    """
    settings = get_settings()
    check_audience(audience)
    today = today or clock.local_today(settings.tz)
    recipients = _preview_recipients(settings) if preview else configured_recipients(settings)
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
        if settings.notify_urls:
            result["chat"] = post_update_to_chat(inputs.report, key)
    create_markdown_artifact(
        key=f"stakeholder-email-{audience}",
        markdown=_artifact(result),
        description=f"Stakeholder email ({audience})",
    )
    get_run_logger().info("%s: %s", key, result["status"])
    return result


def _preview_recipients(settings: Settings) -> list[str]:
    """Who a send would go to; a preview works without any configured."""
    try:
        return configured_recipients(settings)
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
