"""Chat posting steps (`CONDUCTOR_NOTIFY_URLS`) shared by the daily summary and stakeholder flows.

The retry policy is stated once, here: only `ChatDeliveryError(transient=True)` — a URL that
timed out, could not connect or answered 408/429/5xx — is retried, after 10 s, 60 s and 300 s.
The chat outbox makes each retry post only to the URLs that have not had the message; a URL
that answered another 4xx is marked rejected and never retried.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from models.settings import get_settings
from tasks.notify import posts
from tasks.notify.delivery import ChatDeliveryError
from tasks.retries import retry_when

_CHAT_RETRIES: dict[str, Any] = {
    "retries": 3,
    "retry_delay_seconds": [10, 60, 300],
    "retry_condition_fn": retry_when(
        lambda exc: isinstance(exc, ChatDeliveryError) and exc.transient
    ),
    "cache_policy": NO_CACHE,
}


@task(name="post-summary-to-chat", task_run_name="post summary to chat — {day}", **_CHAT_RETRIES)
def post_summary_to_chat(day: date, text: str, generated_by: str) -> list[dict[str, Any]]:
    """`tasks.notify.posts.post_daily_summary`."""
    return posts.post_daily_summary(day, text, generated_by, get_settings())


@task(
    name="post-update-to-chat", task_run_name="post update to chat — {email_key}", **_CHAT_RETRIES
)
def post_update_to_chat(report: dict[str, Any], email_key: str) -> list[dict[str, Any]]:
    """`tasks.notify.posts.post_stakeholder_update`."""
    return posts.post_stakeholder_update(report, email_key, get_settings())
